"""Markdown rendering of verification reports, for a person and for a repair agent.

Text from the report (which can come from an untrusted translation) only ever appears inside code
spans or fenced blocks, or backslash-escaped, so it cannot inject Markdown or HTML.
"""

from __future__ import annotations

import re
from typing import Any

from verify.reports.common import (
    as_report_list,
    failures_of,
    float32_drift,
    format_seconds,
    format_short,
    format_value,
    level_heading,
    level_label,
    level_names,
    level_status,
    lowest_failure,
    one_step_errors,
    ordered_levels,
    overall_status,
    policy_transfer,
    report_status,
    series_points,
)

MAX_OTHER_FAILURES = 20
SERIES_CONTEXT = 5  # rows either side of the divergence step in the series table
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
STATUS_TEXT = {"pass": "pass", "fail": "**FAIL**", "skipped": "skipped", "not-run": "not run"}
VERDICT_TEXT = {"pass": "PASS", "fail": "FAIL", "not-run": "NOT RUN (every level skipped)"}


def render_markdown(report_json: dict | list) -> str:
    """The Markdown text for one report or a list of reports: a summary table, then per env the lowest
    failing level in detail (message, mismatches, reproducer, preceding steps), other failures and notes."""
    reports = as_report_list(report_json)
    passed = sum(report_status(r) == "pass" for r in reports)
    verdict = VERDICT_TEXT[overall_status(reports)] if reports else "FAIL"
    lines = ["# envport verification report", ""]
    lines.append(f"**Verdict: {verdict}**: {passed} of {len(reports)} report(s) passed.")
    lines += ["", "## Summary", ""] + _summary_table(reports)
    for report in reports:
        lines += [""] + _report_section(report)
    lines += [""] + _environment_section(reports)
    # Sections end in a blank line; drop the repeats (fenced text is one element, so it is kept verbatim).
    kept = [line for i, line in enumerate(lines) if line or i == 0 or lines[i - 1]]
    return "\n".join(kept).rstrip() + "\n"


def _summary_table(reports: list[dict]) -> list[str]:
    names = level_names(reports)
    header = ["env", "backend", "result"] + names + ["seconds"]
    rows = [_row(header), _row(["---"] * len(header))]
    for report in reports:
        levels = dict(ordered_levels(report))
        cells = [_text(report.get("env", "?")), _text(report.get("backend", "?")), STATUS_TEXT[report_status(report)]]
        for name in names:
            level = levels.get(name)
            if level is None:
                cells.append("")
                continue
            status = level_status(level)
            cells.append(STATUS_TEXT[status] + ("" if status == "skipped" else f" ({_text(level.get('checks', 0))})"))
        cells.append(format_seconds(report.get("seconds")))
        rows.append(_row(cells))
    return rows


def _report_section(report: dict) -> list[str]:
    title = f"## {_text(report.get('env', '?'))} ({_text(report.get('backend', '?'))}): "
    lines = [title + VERDICT_TEXT[report_status(report)], ""]
    options = report.get("options")
    if isinstance(options, dict) and options:
        lines += ["Options: " + ", ".join(f"{_text(k)}={_code(format_value(v, 80))}" for k, v in options.items()), ""]
    lowest = lowest_failure(report)
    if lowest is not None:
        lines += _failure_detail(*lowest)
        lines += _other_failures(report, lowest[1])
    lines += _levels_table(report)
    lines += _float32_section(report)
    lines += _policy_transfer_section(report)
    lines += _notes_section(report)
    return lines


def _failure_detail(level: str, failure: dict) -> list[str]:
    lines = [
        f"### Lowest failing level: {_text(level_heading(level))}, check {_code(failure.get('check', '?'))}",
        "",
    ]
    lines += _fenced(str(failure.get("message", "")), "text") + [""]
    where = [
        f"- {key}: {_code(format_value(failure[key]))}"
        for key in ("field", "episode", "step", "policy", "action", "state")
        if failure.get(key) is not None
    ]
    lines += where + ([""] if where else [])
    mismatches = [m for m in (failure.get("mismatches") or []) if isinstance(m, dict)]
    if mismatches:
        lines += ["Mismatches:", "", _row(["field", "reference", "translation", "rule"]), _row(["---"] * 4)]
        for m in mismatches:
            cells = [format_value(m.get(k, "")) for k in ("field", "expected", "actual", "rule")]
            lines.append(_row([_code(c) for c in cells]))
        lines.append("")
    elif "expected" in failure or "actual" in failure:
        lines += [
            f"Reference {_code(format_value(failure.get('expected')))}, "
            f"translation {_code(format_value(failure.get('actual')))}",
            "",
        ]
    lines += _series_table(failure)
    lines += _preceding_steps(failure)
    if failure.get("reproduce"):
        lines += ["Reproduce:", ""] + _fenced(str(failure["reproduce"]).rstrip("\n"), "python") + [""]
    notes = failure.get("hypothesis_notes")
    if notes:
        text = "\n".join(map(str, notes)) if isinstance(notes, list) else str(notes)
        lines += ["Hypothesis notes:", ""] + _fenced(text, "text") + [""]
    return lines


def _series_table(failure: dict) -> list[str]:
    points = series_points(failure.get("series"))
    if points is None:
        return []
    steps, reference, translation = points
    step = failure.get("step")
    field = failure["series"].get("field", failure.get("field", "value"))
    keep = [
        i for i, s in enumerate(steps)
        if not isinstance(step, (int, float)) or abs(s - step) <= SERIES_CONTEXT
    ]
    lines = [f"Series of {_code(format_value(field, 80))} around the divergence:", ""]
    lines += [_row(["step", "reference", "translation", ""]), _row(["---"] * 4)]
    for i in keep:
        marker = "diverges" if isinstance(step, (int, float)) and steps[i] == step else ""
        lines.append(_row([_number(steps[i]), _number(reference[i]), _number(translation[i]), marker]))
    return lines + [""]


def _preceding_steps(failure: dict) -> list[str]:
    steps = [s for s in (failure.get("preceding_steps") or []) if isinstance(s, dict)]
    if not steps:
        return []
    lines = ["Preceding steps (reference):", "", _row(["step", "action", "state"]), _row(["---"] * 3)]
    for s in steps:
        state = s.get("state")
        if isinstance(state, dict):
            state_text = ", ".join(f"{k}={format_value(v, 60)}" for k, v in state.items())
        else:
            state_text = format_value(state)
        lines.append(_row([_text(s.get("step", "")), _code(format_value(s.get("action"))), _code(state_text)]))
    return lines + [""]


def _other_failures(report: dict, shown: dict) -> list[str]:
    others = [
        (name, f) for name, level in ordered_levels(report) for f in failures_of(level)
        if f is not shown and not _same_failure(f, shown)
    ]
    if not others:
        return []
    lines = ["### Other failures", ""]
    for name, f in others[:MAX_OTHER_FAILURES]:
        lines.append(f"- {_text(name)} {_code(f.get('check', '?'))}: {_code(format_value(f.get('message', ''), 400))}")
    if len(others) > MAX_OTHER_FAILURES:
        lines.append(f"- ... and {len(others) - MAX_OTHER_FAILURES} more (see the JSON report)")
    return lines + [""]


def _same_failure(a: dict, b: dict) -> bool:
    """`first_failure` is a copy of a level's failure with a `level` key added."""
    return {k: v for k, v in a.items() if k != "level"} == {k: v for k, v in b.items() if k != "level"}


def _levels_table(report: dict) -> list[str]:
    lines = ["### Levels", "", _row(["level", "result", "checks", "failures", "seconds", "skipped because"])]
    lines.append(_row(["---"] * 6))
    for name, level in ordered_levels(report):
        status = level_status(level)
        lines.append(_row([
            _text(level_label(name)),
            STATUS_TEXT[status],
            _text(level.get("checks", "")),
            str(len(failures_of(level))) if status == "fail" else "",
            format_seconds(level.get("seconds")),
            _text(level.get("skipped_reason") or ""),
        ]))
    return lines + [""]


def _float32_section(report: dict) -> list[str]:
    lines = []
    for name, level in ordered_levels(report):
        errors = one_step_errors(level)
        drift = float32_drift(level)
        if not errors and drift is None:
            continue
        fields = list(dict.fromkeys(list(errors) + (list(drift[1]) if drift else [])))
        lines += [f"### Float32 drift ({_text(name)})", "", _row(["field", "one-step max error", "max drift", "final drift"])]
        lines.append(_row(["---"] * 4))
        for field in fields:
            series = drift[1].get(field, []) if drift else []
            finite = [x for x in series if x == x]
            lines.append(_row([
                _code(field),
                _text(format_short(errors[field])) if field in errors else "",
                _text(format_short(max(finite))) if finite else "",
                _text(format_short(series[-1])) if series else "",
            ]))
        lines.append("")
    return lines


def _policy_transfer_section(report: dict) -> list[str]:
    lines = []
    for name, level in ordered_levels(report):
        results = policy_transfer(level)
        if not results:
            continue
        lines += [f"### Policy transfer ({_text(name)}): paired TOST", ""]
        header = ["trained on", "seeds", "return on reference", "return on translation", "mean difference", "CI", "margin", "p", "result"]
        lines += [_row(header), _row(["---"] * len(header))]
        for d in results:
            ref, trans = d.get("reference_returns") or [], d.get("translation_returns") or []
            ci = f"{_percent(d.get('ci_level'))} [{format_short(d.get('ci_low'))}, {format_short(d.get('ci_high'))}]"
            lines.append(_row([
                _text(d.get("trained_on", "?")), _text(d.get("n", "")),
                _text(format_short(sum(ref) / len(ref))) if ref else "", _text(format_short(sum(trans) / len(trans))) if trans else "",
                _text(format_short(d.get("mean_difference"))), _text(ci), _text("+-" + format_short(d.get("margin"))),
                _text(format_short(d.get("p_value"))), "equivalent" if d.get("equivalent") else "**not shown equivalent**",
            ]))
        lines.append("")
    return lines


def _notes_section(report: dict) -> list[str]:
    lines = []
    for name, level in ordered_levels(report):
        notes = level.get("notes") or []
        for note in notes if isinstance(notes, list) else [notes]:
            lines.append(f"- {_text(name)}: {_code(format_value(note, 400))}")
        data = level.get("data")
        if isinstance(data, dict) and data and not (one_step_errors(level) or float32_drift(level) or policy_transfer(level)):
            lines.append(f"- {_text(name)} data: {_code(format_value(data, 400))}")
    return (["### Notes", ""] + lines + [""]) if lines else []


def _environment_section(reports: list[dict]) -> list[str]:
    seen: list[dict] = []
    for report in reports:
        env = report.get("environment")
        if isinstance(env, dict) and env not in seen:
            seen.append(env)
    if not seen:
        return []
    lines = ["## Environment", ""]
    for env in seen:
        parts = [f"{_text(k)} {_code(format_value(env[k], 120))}" for k in env if k != "versions"]
        versions = env.get("versions")
        if isinstance(versions, dict):
            parts += [f"{_text(k)} {_code(format_value(v, 60))}" for k, v in versions.items()]
        lines.append("- " + ", ".join(parts))
    return lines


def _row(cells: list[str]) -> str:
    """A table row; pipes inside cells (also inside code spans) are escaped, as GFM tables require."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _percent(value: Any) -> str:
    """0.9 -> '90%' (other values as they are)."""
    return f"{value:.0%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else format_value(value, 20)


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _text(repr(value) if isinstance(value, float) else format_value(value, 60))


def _text(value: Any) -> str:
    """Backslash-escape Markdown (and inline HTML) punctuation, on one line."""
    text = " ".join(_printable(value).split())
    return re.sub(r"([\\`*_\[\]<>~#!])", r"\\\1", text)


def _code(value: Any) -> str:
    """An inline code span holding `value` verbatim, on one line."""
    text = " ".join(_printable(value).split())
    if not text:
        return ""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fenced(text: str, language: str) -> list[str]:
    """A fenced block whose fence is longer than any backtick run inside `text`."""
    text = _printable(text)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return [fence + language, text, fence]


def _printable(value: Any) -> str:
    """`value` as text with control characters (other than tab and newline) shown as U+FFFD."""
    return _CONTROL.sub("\ufffd", str(value))
