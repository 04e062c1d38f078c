"""The rules layer: a guidance catalogue (TOML data) and the engine that turns an analysis into
findings citing the guidance documents. Findings are form feedback, never a diagnosis."""

from formlab.rules.catalogue import Catalogue, load_catalogue
from formlab.rules.engine import evaluate, rules_summary, unevaluated
from formlab.rules.standing import NOT_A_DIAGNOSIS, RED_FLAGS_NOTE, RED_FLAGS_SOURCES

__all__ = ["Catalogue", "load_catalogue", "evaluate", "unevaluated", "rules_summary",
           "NOT_A_DIAGNOSIS", "RED_FLAGS_NOTE", "RED_FLAGS_SOURCES"]
