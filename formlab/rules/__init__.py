"""The rules layer: a guidance catalogue (TOML data) and the engine that turns an analysis into
findings citing the guidance documents. Findings are form feedback, never a diagnosis."""

from formlab.rules.catalogue import Catalogue, load_catalogue
from formlab.rules.engine import checks_status, evaluate, rules_summary, status_lines, unevaluated
from formlab.rules.standing import NOT_A_DIAGNOSIS, RED_FLAGS_NOTE, RED_FLAGS_SOURCES

__all__ = ["Catalogue", "load_catalogue", "evaluate", "unevaluated", "rules_summary",
           "checks_status", "status_lines",
           "NOT_A_DIAGNOSIS", "RED_FLAGS_NOTE", "RED_FLAGS_SOURCES"]
