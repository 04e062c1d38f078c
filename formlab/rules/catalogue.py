"""Load the guidance catalogue (TOML) and a coach's overrides, checking every key.

The catalogue shipped in the package (``formlab/rules/catalogue.toml``) holds the rules; a coach's
file passed with ``--rules FILE`` may switch rules off (``enabled = false``), change thresholds
(``watch = 0.35``) and change the ``[settings]``. Anything else in either file is an
:class:`~formlab.errors.InputError` ``FILE:line: problem``, the line found by reading the TOML text
for the offending key (``None`` when it cannot be told).
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from formlab.errors import InputError
from formlab.rules.guidance import citation, guidance_index
from formlab.rules.measures import MEASURES

DEFAULT_PATH = Path(__file__).with_name("catalogue.toml")
SEVERITIES = ("info", "watch", "flag")
"""Severities, mildest first."""
DIRECTIONS = ("above", "below")
PLACEHOLDERS = {"value", "threshold", "unit", "severity", "label", "side", "detail"}
SETTINGS_DEFAULTS = {"min_running_steps": 30, "window_min_span_s": 120.0, "window_min_steps": 20}


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str


@dataclass(frozen=True)
class Check:
    """One metric of a rule: a problem when the value is beyond a threshold in ``direction``."""

    metric: str
    direction: str
    basis: str
    message: str
    thresholds: dict[str, Threshold]

    def severity_of(self, value: float) -> str | None:
        """The highest severity whose threshold ``value`` passes (strictly), or ``None``."""
        for severity in reversed(SEVERITIES):
            t = self.thresholds.get(severity)
            if t is not None and self.beyond(value, t.value):
                return severity
        return None

    def beyond(self, value: float, threshold: float) -> bool:
        return value > threshold if self.direction == "above" else value < threshold


@dataclass(frozen=True)
class Citation:
    """A guidance document (its key in the guidance index) and one of its section headings."""

    document: str
    section: str

    def as_dict(self) -> dict[str, str]:
        """As outputs carry it: the document's title and the section heading."""
        return citation(self.document, self.section)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    enabled: bool
    checks: tuple[Check, ...]
    advice: tuple[str, ...]
    sources: tuple[Citation, ...]
    disabled_by: str | None = None


@dataclass(frozen=True)
class Settings:
    min_running_steps: int
    window_min_span_s: float
    window_min_steps: int


@dataclass(frozen=True)
class Catalogue:
    path: str
    settings: Settings
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


# ---------------------------------------------------------------------------------------------
# locating keys in TOML text


def _split_dotted(key: str) -> tuple[str, ...]:
    parts, buf, quote = [], "", None
    for ch in key:
        if quote:
            if ch == quote:
                quote = None
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return tuple(parts)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=""")


def find_line(text: str, keys: tuple[str, ...]) -> int | None:
    """1-based line where the key path ``keys`` is written in TOML ``text`` (None if unknown).

    Knows table headers and (dotted) keys; a key written as part of an inline table is found at
    the line of the enclosing key. Longer matches win; the first line wins among equals.
    """
    table: tuple[str, ...] = ()
    best, best_len = None, 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _split_dotted(header.group(1))
            written = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            written = table + _split_dotted(key.group(1))
        n = min(len(written), len(keys))
        if written[:n] == keys[:n] and n > best_len:
            best, best_len = number, n
            if n == len(keys):
                return best
    return best


class _Source:
    """A TOML file's name and text, to raise located errors."""

    def __init__(self, path: str, text: str):
        self.path, self.text = path, text

    def error(self, keys: tuple[str, ...], problem: str) -> InputError:
        return InputError(self.path, find_line(self.text, keys), problem)


def _parse(path: Path) -> tuple[dict, _Source]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(str(path), None, f"not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise InputError(str(path), None, f"cannot read: {e.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(m.group(1)) if m else None
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) if m else message
        raise InputError(str(path), line, f"not valid TOML: {problem}") from None
    return data, _Source(str(path), text)


def _keys_only(src: _Source, where: tuple[str, ...], table: Any, allowed: set[str],
               required: set[str] = frozenset()) -> None:
    if not isinstance(table, dict):
        raise src.error(where, f"[{'.'.join(where)}] must be a table")
    for key in table:
        if key not in allowed:
            raise src.error(where + (key,), f"unknown key '{key}' in [{'.'.join(where)}] "
                                            f"(allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if key not in table:
            raise src.error(where, f"[{'.'.join(where)}] misses '{key}'")


def _number(src: _Source, where: tuple[str, ...], value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise src.error(where, f"{where[-1]} must be a number, got {value!r}")
    return float(value)


def _text(src: _Source, where: tuple[str, ...], value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise src.error(where, f"{where[-1]} must be non-empty text")
    return value


def _check_order(src: _Source, where: tuple[str, ...], check: Check,
                 written: set[str] | None = None) -> None:
    """Thresholds must grow stricter from info to flag; the error points at a key the file wrote."""
    values = [(s, check.thresholds[s].value) for s in SEVERITIES if s in check.thresholds]
    if not values:
        raise src.error(where, f"[{'.'.join(where)}] has no threshold (info, watch or flag)")
    for (s1, v1), (s2, v2) in zip(values, values[1:]):
        ok = v2 > v1 if check.direction == "above" else v2 < v1
        if not ok:
            at = s2 if written is None or s2 in written else s1
            order = "info < watch < flag" if check.direction == "above" else "info > watch > flag"
            raise src.error(where + (at,), f"thresholds out of order for {check.metric}: "
                                           f"{s1} {v1:g}, {s2} {v2:g} (direction "
                                           f"\"{check.direction}\" needs {order})")


def _settings(src: _Source, raw: Any, base: Settings) -> Settings:
    _keys_only(src, ("settings",), raw, set(SETTINGS_DEFAULTS))
    values = {}
    for key, value in raw.items():
        number = _number(src, ("settings", key), value)
        if number < 0 or (key != "window_min_span_s" and number != int(number)):
            raise src.error(("settings", key), f"{key} must be a non-negative "
                            + ("number" if key == "window_min_span_s" else "whole number"))
        values[key] = number if key == "window_min_span_s" else int(number)
    return replace(base, **values)


# ---------------------------------------------------------------------------------------------
# the catalogue


def _catalogue_check(src: _Source, where: tuple[str, ...], metric: str, raw: Any) -> Check:
    if metric not in MEASURES:
        raise src.error(where, f"unknown metric '{metric}' (known: {', '.join(sorted(MEASURES))})")
    _keys_only(src, where, raw, {"direction", "basis", "message", *SEVERITIES},
               {"direction", "basis", "message"})
    direction = raw["direction"]
    if direction not in DIRECTIONS:
        raise src.error(where + ("direction",), f"direction must be \"above\" or \"below\", "
                                                f"got {direction!r}")
    message = _text(src, where + ("message",), raw["message"])
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(message) if f is not None}
    except ValueError as e:
        raise src.error(where + ("message",), f"bad message template: {e}") from None
    unknown = fields - PLACEHOLDERS
    if unknown or (fields & {"side", "detail"} and not MEASURES[metric].has_side):
        bad = sorted(unknown) or sorted(fields & {"side", "detail"})
        raise src.error(where + ("message",), f"message placeholder {{{bad[0]}}} is not "
                                              f"available for {metric}")
    thresholds = {}
    for severity in SEVERITIES:
        if severity not in raw:
            continue
        t = raw[severity]
        tw = where + (severity,)
        _keys_only(src, tw, t, {"value", "source"}, {"value", "source"})
        thresholds[severity] = Threshold(_number(src, tw + ("value",), t["value"]),
                                         _text(src, tw + ("source",), t["source"]))
    check = Check(metric, direction, _text(src, where + ("basis",), raw["basis"]), message,
                  thresholds)
    _check_order(src, where, check)
    return check


def _catalogue_rule(src: _Source, rule_id: str, raw: Any) -> Rule:
    where = ("rules", rule_id)
    _keys_only(src, where, raw, {"title", "enabled", "advice", "sources", "checks"},
               {"title", "advice", "sources", "checks"})
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise src.error(where + ("enabled",), "enabled must be true or false")
    advice = raw["advice"]
    if not isinstance(advice, list) or not advice:
        raise src.error(where + ("advice",), "advice must be a non-empty list of text")
    advice = tuple(_text(src, where + ("advice",), a) for a in advice)
    sources = raw["sources"]
    if not isinstance(sources, list) or not sources:
        raise src.error(where + ("sources",), "sources must be a non-empty list")
    citations = []
    for s in sources:
        _keys_only(src, where + ("sources",), s, {"document", "section"}, {"document", "section"})
        document = _text(src, where + ("sources",), s["document"])
        index = guidance_index()
        if document not in index:
            raise src.error(where + ("sources",), f"document '{document}' is not in the guidance "
                                                  f"index (known: {', '.join(index)})")
        section = _text(src, where + ("sources",), s["section"])
        if section not in index[document].sections:
            raise src.error(where + ("sources",), f"section '{section}' is not a heading of "
                                                  f"'{index[document].title}'")
        citations.append(Citation(document, section))
    checks_raw = raw["checks"]
    if not isinstance(checks_raw, dict) or not checks_raw:
        raise src.error(where + ("checks",), "a rule needs at least one check")
    checks = tuple(_catalogue_check(src, where + ("checks", m), m, c)
                   for m, c in checks_raw.items())
    return Rule(rule_id, _text(src, where + ("title",), raw["title"]), enabled, checks, advice,
                tuple(citations))


def _read_catalogue(path: Path) -> Catalogue:
    data, src = _parse(path)
    _keys_only(src, (), data, {"format", "settings", "rules"}, {"format", "rules"})
    if data["format"] != "formlab-rules/1":
        raise src.error(("format",), f"format must be \"formlab-rules/1\", got {data['format']!r}")
    settings = _settings(src, data.get("settings", {}), Settings(**SETTINGS_DEFAULTS))
    rules_raw = data["rules"]
    if not isinstance(rules_raw, dict) or not rules_raw:
        raise src.error(("rules",), "the catalogue has no rules")
    rules = tuple(_catalogue_rule(src, rid, r) for rid, r in rules_raw.items())
    return Catalogue(str(path), settings, rules)


@lru_cache(maxsize=8)
def _cached_catalogue(path: str, mtime_ns: int) -> Catalogue:
    return _read_catalogue(Path(path))


# ---------------------------------------------------------------------------------------------
# a coach's overrides


def _override_check(src: _Source, rule_id: str, check: Check, raw: Any) -> Check:
    where = ("rules", rule_id, "checks", check.metric)
    _keys_only(src, where, raw, set(SEVERITIES))
    thresholds = dict(check.thresholds)
    for severity, value in raw.items():
        thresholds[severity] = Threshold(_number(src, where + (severity,), value),
                                         f"coach override ({src.path})")
    out = replace(check, thresholds=thresholds)
    _check_order(src, where, out, set(raw))
    return out


def _apply_overrides(catalogue: Catalogue, path: Path) -> Catalogue:
    data, src = _parse(path)
    _keys_only(src, (), data, {"rules", "settings"})
    settings = _settings(src, data.get("settings", {}), catalogue.settings)
    known = {r.id: r for r in catalogue.rules}
    rules_raw = data.get("rules", {})
    if not isinstance(rules_raw, dict):
        raise src.error(("rules",), "[rules] must be a table of rule ids")
    changed = dict(known)
    for rule_id, raw in rules_raw.items():
        if rule_id not in known:
            raise src.error(("rules", rule_id), f"unknown rule '{rule_id}' "
                                                f"(known: {', '.join(known)})")
        rule = known[rule_id]
        _keys_only(src, ("rules", rule_id), raw, {"enabled", "checks"})
        if "enabled" in raw:
            if not isinstance(raw["enabled"], bool):
                raise src.error(("rules", rule_id, "enabled"), "enabled must be true or false")
            rule = replace(rule, enabled=raw["enabled"],
                           disabled_by=None if raw["enabled"] else str(path))
        checks_raw = raw.get("checks", {})
        if not isinstance(checks_raw, dict):
            raise src.error(("rules", rule_id, "checks"), "checks must be a table of metrics")
        by_metric = {c.metric: c for c in rule.checks}
        for metric, c_raw in checks_raw.items():
            if metric not in by_metric:
                raise src.error(("rules", rule_id, "checks", metric),
                                f"rule '{rule_id}' has no check '{metric}' "
                                f"(its checks: {', '.join(by_metric)})")
            by_metric[metric] = _override_check(src, rule_id, by_metric[metric], c_raw)
        changed[rule_id] = replace(rule, checks=tuple(by_metric[c.metric] for c in rule.checks))
    return replace(catalogue, settings=settings,
                   rules=tuple(changed[r.id] for r in catalogue.rules))


def load_catalogue(path: str | Path | None = None,
                   overrides_path: str | Path | None = None) -> Catalogue:
    """The guidance catalogue (the packaged one unless ``path``), with a coach's overrides.

    Raises :class:`~formlab.errors.InputError` ``FILE:line: problem`` for any unknown key, wrong
    type, unknown rule or metric, or thresholds out of order in either file.
    """
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise InputError(str(p), None, "file not found") from None
    catalogue = _cached_catalogue(str(p), mtime)
    if overrides_path is not None:
        catalogue = _apply_overrides(catalogue, Path(overrides_path))
    return catalogue
