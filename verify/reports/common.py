"""The read side of verification reports (the JSON of `VerificationReport.to_dict`), shared by the renderers.

The renderers (markdown, html, junit) use these small helpers: they accept one report or a list of
reports, and tolerate missing or unknown keys, since a report may come from a newer or older
envport, and its strings from an untrusted translation.
"""

from __future__ import annotations

import json
import math
from typing import Any

from verify.levels import LEVEL_ORDER, LEVEL_TITLES

# Known levels in the order a repair should follow; unknown levels come after, as they appear.
KNOWN_LEVELS = LEVEL_ORDER


def as_report_list(report_json: dict | list) -> list[dict]:
    """One report or a list of them, as a list of report dicts (anything else in a list is dropped)."""
    items = report_json if isinstance(report_json, list) else [report_json]
    return [r for r in items if isinstance(r, dict)]


def report_name(report: dict) -> str:
    """'env.backend', e.g. 'cartpole.jax'."""
    return f"{report.get('env', '?')}.{report.get('backend', '?')}"


def ordered_levels(report: dict) -> list[tuple[str, dict]]:
    """(name, level dict) pairs: known levels in repair order, then the unknown ones as they appear."""
    levels = report.get("levels")
    if isinstance(levels, list):  # tolerate a list of level dicts
        levels = {str(l.get("level", i)): l for i, l in enumerate(levels) if isinstance(l, dict)}
    if not isinstance(levels, dict):
        return []
    pairs = [(str(name), level) for name, level in levels.items() if isinstance(level, dict)]
    rank = {name: i for i, name in enumerate(KNOWN_LEVELS)}
    return sorted(pairs, key=lambda pair: rank.get(pair[0], len(KNOWN_LEVELS)))  # stable for unknowns


def level_names(reports: list[dict]) -> list[str]:
    """The level names across all reports, in `ordered_levels` order."""
    names: dict[str, None] = {}
    for report in reports:
        names.update((name, None) for name, _ in ordered_levels(report))
    rank = {name: i for i, name in enumerate(KNOWN_LEVELS)}
    return sorted(names, key=lambda name: rank.get(name, len(KNOWN_LEVELS)))


def level_title(name: str) -> str:
    """'L1' -> 'properties'; an unknown level is its own title."""
    return LEVEL_TITLES.get(name) or name


def level_label(name: str) -> str:
    """'L1' -> 'L1 properties'; an unknown level is just its name."""
    title = level_title(name)
    return name if title == name else f"{name} {title}"


def level_heading(name: str) -> str:
    """'L1' -> 'L1 (properties)'; an unknown level is just its name."""
    title = level_title(name)
    return name if title == name else f"{name} ({title})"


def level_status(level: dict | None) -> str:
    """'pass', 'fail' or 'skipped' (also for a missing level or a `passed` that is not a bool)."""
    passed = None if level is None else level.get("passed")
    if passed is True:
        return "pass"
    if passed is False:
        return "fail"
    return "skipped"


def report_status(report: dict) -> str:
    """'pass' or 'fail' for the whole report, or 'not-run' when it has levels and every one was skipped (each says
    why): nothing was verified, which is not a pass, and not a failure of anything that ran."""
    if report.get("passed") is True:
        return "pass"
    levels = report.get("levels")
    if isinstance(levels, dict) and levels and all(level_status(level) == "skipped" for level in levels.values()):
        return "not-run"
    return "fail"


def overall_status(reports: list[dict]) -> str:
    """The verdict over several reports: 'pass' when every one passed, 'not-run' when none ran a level, else 'fail'."""
    statuses = {report_status(r) for r in reports}
    if statuses == {"pass"}:
        return "pass"
    return "not-run" if statuses == {"not-run"} else "fail"


def failures_of(level: dict) -> list[dict]:
    """The level's failure dicts; a failed level without any gets one that says so."""
    failures = [f for f in (level.get("failures") or []) if isinstance(f, dict)]
    if not failures and level_status(level) == "fail":
        failures = [{"check": "level", "message": "the level failed without recording a failure"}]
    return failures


def lowest_failure(report: dict) -> tuple[str, dict] | None:
    """(level name, failure) that a repair should fix first: the report's `first_failure`, else the first
    failure of the lowest failing level."""
    first = report.get("first_failure")
    if isinstance(first, dict) and first.get("level") is not None:
        return str(first["level"]), first
    for name, level in ordered_levels(report):
        if level_status(level) == "fail":
            return name, failures_of(level)[0]
    return None


def divergence_failure(report: dict) -> tuple[str, dict] | None:
    """(level name, failure) of the lowest failure that carries a plottable `series`, if any."""
    lowest = lowest_failure(report)
    candidates = [lowest] if lowest else []
    for name, level in ordered_levels(report):
        candidates.extend((name, f) for f in failures_of(level))
    for name, failure in candidates:
        if series_points(failure.get("series")) is not None:
            return name, failure
    return None


def series_points(series: Any) -> tuple[list[float], list[float], list[float]] | None:
    """(steps, reference, translation) of a failure's `series` as floats (nan for null), or None if unusable."""
    if not isinstance(series, dict):
        return None
    steps, reference, translation = (series.get(k) for k in ("steps", "reference", "translation"))
    if not all(isinstance(v, list) for v in (steps, reference, translation)) or not steps:
        return None
    n = len(steps)
    pad = [None] * n
    return (
        [as_float(v) for v in steps],
        [as_float(v) for v in (reference + pad)[:n]],
        [as_float(v) for v in (translation + pad)[:n]],
    )


def float32_drift(level: dict) -> tuple[list[float], dict[str, list[float]]] | None:
    """(steps, {field: abs error per step}) from an F32 level's `data.drift`, or None if absent or unusable."""
    data = level.get("data")
    drift = data.get("drift") if isinstance(data, dict) else None
    if not isinstance(drift, dict) or not isinstance(drift.get("fields"), dict):
        return None
    fields = {str(k): [as_float(x) for x in v] for k, v in drift["fields"].items() if isinstance(v, list) and v}
    if not fields:
        return None
    steps = drift.get("steps")
    longest = max(len(v) for v in fields.values())
    steps = [as_float(s) for s in steps] if isinstance(steps, list) and steps else [float(i) for i in range(longest)]
    return steps, fields


def one_step_errors(level: dict) -> dict[str, Any]:
    """An F32 level's `data.one_step_max_error` ({field: max abs error}), or {}."""
    data = level.get("data")
    errors = data.get("one_step_max_error") if isinstance(data, dict) else None
    return {str(k): v for k, v in errors.items()} if isinstance(errors, dict) else {}


def as_float(value: Any) -> float:
    """A number as float; null, bools as 0/1, anything unparsable as nan."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def format_value(value: Any, limit: int = 240) -> str:
    """A compact, full-precision one-line text of a value from the report, cut to `limit` characters."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=repr)
        except (TypeError, ValueError):  # e.g. circular structures
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_short(value: Any) -> str:
    """A number to 3 significant digits, for summaries (failure values keep full precision)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.3g}"
    return format_value(value, 40)


def format_seconds(value: Any) -> str:
    """Seconds as '1.23' ('' when not a number)."""
    seconds = as_float(value)
    return "" if math.isnan(seconds) else f"{seconds:.2f}"


def policy_transfer(level: dict) -> list[dict]:
    """L4's TOST results, one dict per direction (trained on the translation, and on the reference when run)."""
    data = level.get("data")
    items = data.get("policy_transfer") if isinstance(data, dict) else None
    return [d for d in items if isinstance(d, dict)] if isinstance(items, list) else []
