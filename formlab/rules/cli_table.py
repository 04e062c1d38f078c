"""`formlab rules`: list the guidance catalogue in the terminal (rich tables).

Wiring in ``cli.py``::

    p = sub.add_parser("rules", help="list the guidance catalogue")
    add_rules_arguments(p); p.set_defaults(func=run_rules)

``formlab rules`` shows every rule with its metrics, thresholds and sources; ``formlab rules ID``
shows one rule in full (messages and advice); ``--rules FILE`` applies a coach's overrides first,
so a coach can check the file before analysing with it.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table
from rich.text import Text

from formlab.rules.catalogue import SEVERITIES, Catalogue, Check, Rule, load_catalogue
from formlab.rules.guidance import citation_text
from formlab.rules.measures import MEASURES
from formlab.rules.standing import NOT_A_DIAGNOSIS, RED_FLAGS_NOTE, RED_FLAGS_SOURCES

SEVERITY_STYLE = {"info": "cyan", "watch": "yellow", "flag": "bold red"}


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``formlab rules``."""
    parser.add_argument("rule", nargs="?", metavar="RULE_ID",
                        help="show one rule in full (messages, advice, sources)")
    parser.add_argument("--rules", metavar="FILE", dest="rules_file",
                        help="coach's overrides (TOML): switch rules off, change thresholds")


def _thresholds(check: Check, sep: str = "  ") -> Text:
    text = Text()
    sign = ">" if check.direction == "above" else "<"
    unit = MEASURES[check.metric].unit
    for severity in SEVERITIES:
        t = check.thresholds.get(severity)
        if t is None:
            continue
        if text:
            text.append(sep)
        text.append(f"{severity} {sign} {t.value:g} {unit}", style=SEVERITY_STYLE[severity])
    return text


def _metric_name(metric: str) -> str:
    """The metric's label, with the key a coach's file uses for it."""
    return f"{MEASURES[metric].label}\n({metric})"


def _basis_label(basis: str) -> str:
    """Short kind of threshold for the overview (the full text is in ``formlab rules ID``)."""
    if "population percentile" in basis:
        return "population band"
    if basis.startswith("no published threshold") or "no published threshold" in basis:
        return "information only: no published threshold"
    return "published figure" if "force-plate" in basis else basis


def _overview(catalogue: Catalogue) -> Table:
    """One row per check; the rule's id and its sources on its first row."""
    table = Table(title="formlab guidance catalogue", expand=True)
    table.add_column("rule", style="bold", overflow="fold", ratio=2)
    table.add_column("metric", overflow="fold", ratio=2)
    table.add_column("thresholds (kind)", ratio=2)
    table.add_column("sources (document, section)", ratio=4)
    for rule in catalogue.rules:
        sources = "\n".join(citation_text(s.document, s.section) for s in rule.sources)
        for i, check in enumerate(rule.checks):
            name = Text("")
            if i == 0:
                name = Text(rule.id) + (Text(" (off)", style="dim") if not rule.enabled else Text())
            thresholds = _thresholds(check, "\n")
            thresholds.append(f"\n({_basis_label(check.basis)})", style="dim")
            table.add_row(name, _metric_name(check.metric), thresholds, sources if i == 0 else "",
                          end_section=i == len(rule.checks) - 1)
    return table


def _detail(rule: Rule, console: Console) -> None:
    console.print(Text(f"{rule.id}: {rule.title}" + ("" if rule.enabled else " (switched off)"),
                       style="bold"))
    table = Table(show_lines=True)
    table.add_column("metric", style="bold")
    table.add_column("thresholds")
    table.add_column("source of each threshold")
    table.add_column("message")
    for c in rule.checks:
        sources = "\n".join(f"{s}: {t.source}" for s, t in c.thresholds.items())
        table.add_row(_metric_name(c.metric), _thresholds(c), sources, c.message)
    console.print(table)
    console.print("Advice:")
    for a in rule.advice:
        console.print(f"  • {a}")
    console.print("Sources:")
    for s in rule.sources:
        console.print(f"  • {citation_text(s.document, s.section)}")


def print_standing_notes(console: Console) -> None:
    """The not-a-diagnosis and red-flag texts, printed once."""
    console.print(Text(NOT_A_DIAGNOSIS, style="italic"))
    sources = "; ".join(citation_text(s["document"], s["section"]) for s in RED_FLAGS_SOURCES)
    console.print(Text(f"{RED_FLAGS_NOTE} (see {sources})", style="italic"))


def run_rules(args: argparse.Namespace, console: Console | None = None) -> int:
    """List the catalogue (or one rule); returns the exit status. Bad override files raise
    :class:`~formlab.errors.InputError` for the command line to print."""
    console = console or Console()
    catalogue = load_catalogue(overrides_path=getattr(args, "rules_file", None))
    rule_id = getattr(args, "rule", None)
    if rule_id:
        try:
            rule = catalogue.rule(rule_id)
        except KeyError:
            console.print(f"unknown rule '{rule_id}' (known: "
                          f"{', '.join(r.id for r in catalogue.rules)})")
            return 2
        _detail(rule, console)
    else:
        console.print(_overview(catalogue))
    print_standing_notes(console)
    return 0
