"""A self-contained HTML page for verification reports: verdict, per-level chart, first-divergence plot,
float32 drift plot, failure details, notes and the environment.

One file, nothing fetched: CSS inline, plots drawn with matplotlib's Agg canvas and embedded as base64
PNG. Every string from the report goes through `html.escape` (it can come from an untrusted translation).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from datetime import datetime, timezone
from typing import Any, Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from verify.reports.common import (
    as_report_list,
    divergence_failure,
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
    policy_transfer,
    report_name,
    overall_status,
    report_status,
    series_points,
)

COLORS = {"pass": "#2e7d32", "fail": "#c62828", "skipped": "#9e9e9e", "not-run": "#9e9e9e"}
LABELS = {"pass": "pass", "fail": "FAIL", "skipped": "skipped", "not-run": "not run"}
MAX_OTHER_FAILURES = 20
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328;
       margin: 0; background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
header { padding: 20px 24px; color: #fff; }
header.pass { background: #2e7d32; } header.fail { background: #b71c1c; } header.not-run { background: #6e7781; }
header h1 { margin: 0 0 4px; font-size: 26px; } header p { margin: 0; opacity: 0.9; }
section.report { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 4px 20px 16px;
                 margin: 20px 0; }
h2 { font-size: 20px; border-bottom: 1px solid #d0d7de; padding-bottom: 6px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td code { overflow-wrap: anywhere; }
td.field, td.field code { white-space: nowrap; }
div.levels { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 28px; }
div.levels img.plot { max-width: 520px; margin: 8px 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
         font-weight: 600; vertical-align: middle; }
.badge.pass { background: #2e7d32; } .badge.fail { background: #c62828; } .badge.skipped, .badge.not-run { background: #8c959f; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; font-size: 12px;
      overflow-x: auto; }
pre.message { white-space: pre-wrap; word-break: break-word; border-left: 4px solid #c62828; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
img.plot { max-width: 100%; height: auto; display: block; margin: 6px 0; }
.failure { border: 1px solid #f1aeb5; background: #fff8f8; border-radius: 6px; padding: 2px 14px 10px; }
.muted { color: #57606a; font-size: 13px; }
dl.where { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; margin: 6px 0; }
dl.where dt { font-weight: 600; } dl.where dd { margin: 0; }
details { margin: 6px 0; } summary { cursor: pointer; }
"""


def render_html(report_json: dict | list) -> str:
    """One self-contained HTML page (str) for one report or a list of reports."""
    reports = as_report_list(report_json)
    passed = sum(report_status(r) == "pass" for r in reports)
    verdict = overall_status(reports) if reports else "fail"
    started = [r["started"] for r in reports if isinstance(r.get("started"), (int, float))]
    when = ""
    if started:
        when = " · started " + datetime.fromtimestamp(min(started), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    names = ", ".join(report_name(r) for r in reports)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>envport verification: {_e(LABELS[verdict].upper())} ({_e(names)})</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<header class="{verdict}"><h1>envport verification: {LABELS[verdict].upper()}</h1>',
        f"<p>{passed} of {len(reports)} report(s) passed · {_e(names)}{_e(when)}</p></header>",
        "<main>",
        "<h2>Summary</h2>",
        _summary_table(reports),
    ]
    parts += [_report_section(i, r) for i, r in enumerate(reports)]
    parts += [_environment_section(reports), "</main></body></html>"]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- page sections


def _summary_table(reports: list[dict]) -> str:
    names = level_names(reports)
    head = "".join(f"<th>{_e(level_label(n))}</th>" for n in names)
    rows = [f"<table><tr><th>env</th><th>backend</th><th>result</th>{head}<th>seconds</th></tr>"]
    for i, report in enumerate(reports):
        levels = dict(ordered_levels(report))
        cells = []
        for name in names:
            level = levels.get(name)
            if level is None:
                cells.append("<td></td>")
                continue
            status = level_status(level)
            checks = "" if status == "skipped" else f" ({_e(level.get('checks', 0))})"
            cells.append(f"<td>{_badge(status)}{checks}</td>")
        rows.append(
            f'<tr><td><a href="#report-{i}">{_e(report.get("env", "?"))}</a></td><td>{_e(report.get("backend", "?"))}</td>'
            f"<td>{_badge(report_status(report))}</td>{''.join(cells)}"
            f'<td class="num">{_e(format_seconds(report.get("seconds")))}</td></tr>'
        )
    return "\n".join(rows) + "</table>"


def _report_section(index: int, report: dict) -> str:
    status = report_status(report)
    parts = [
        f'<section class="report" id="report-{index}">',
        f"<h2>{_e(report.get('env', '?'))} <span class='muted'>({_e(report.get('backend', '?'))})</span> "
        f"{_badge(status)}</h2>",
    ]
    options = report.get("options")
    if isinstance(options, dict) and options:
        text = ", ".join(f"{k}={format_value(v, 80)}" for k, v in options.items())
        parts.append(f'<p class="muted">options: {_e(text)} · {_e(format_seconds(report.get("seconds")))} s</p>')
    parts += ["<h3>Levels</h3>", '<div class="levels">', _levels_table(report),
              _plot(_levels_chart, report, "checks per level"), "</div>"]
    lowest = lowest_failure(report)
    if lowest is not None:
        parts.append(_failure_detail(*lowest))
    diverging = divergence_failure(report)
    if diverging is not None:
        name, failure = diverging
        parts.append(f"<h3>First divergence ({_e(name)} {_e(failure.get('check', ''))})</h3>")
        parts.append(_plot(_divergence_plot, failure, "reference vs translation around the divergence"))
    if lowest is not None:
        parts.append(_other_failures(report, lowest[1]))
    parts.append(_float32_section(report))
    parts.append(_policy_transfer_section(report))
    parts.append(_notes_section(report))
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _levels_table(report: dict) -> str:
    rows = ["<table><tr><th>level</th><th>result</th><th>checks</th><th>failures</th><th>seconds</th>"
            "<th>skipped because</th></tr>"]
    for name, level in ordered_levels(report):
        status = level_status(level)
        failures = len(failures_of(level)) if status == "fail" else ""
        rows.append(
            f"<tr><td>{_e(level_label(name))}</td><td>{_badge(status)}</td>"
            f'<td class="num">{_e(level.get("checks", ""))}</td><td class="num">{failures}</td>'
            f'<td class="num">{_e(format_seconds(level.get("seconds")))}</td>'
            f"<td>{_e(level.get('skipped_reason') or '')}</td></tr>"
        )
    return "\n".join(rows) + "</table>"


def _failure_detail(level: str, failure: dict) -> str:
    parts = [
        '<div class="failure">',
        f"<h3>Lowest failing level: {_e(level_heading(level))}, check "
        f"<code>{_e(failure.get('check', '?'))}</code></h3>",
        f'<pre class="message">{_e(failure.get("message", ""))}</pre>',
    ]
    where = [
        f"<dt>{key}</dt><dd><code>{_e(format_value(failure[key], 600))}</code></dd>"
        for key in ("field", "episode", "step", "policy", "action", "state")
        if failure.get(key) is not None
    ]
    mismatches = [m for m in (failure.get("mismatches") or []) if isinstance(m, dict)]
    if not mismatches:
        where += [f"<dt>{label}</dt><dd><code>{_e(format_value(failure[key], 600))}</code></dd>"
                  for key, label in (("expected", "reference"), ("actual", "translation")) if key in failure]
    if where:
        parts.append('<dl class="where">' + "".join(where) + "</dl>")
    if mismatches:
        rows = ["<table><tr><th>field</th><th>reference</th><th>translation</th><th>rule</th></tr>"]
        for m in mismatches:
            cells = "".join(f"<td class='{k}'><code>{_e(format_value(m.get(k, '')))}</code></td>"
                            for k in ("field", "expected", "actual", "rule"))
            rows.append(f"<tr>{cells}</tr>")
        parts += ["<h3>Mismatches</h3>", "\n".join(rows) + "</table>"]
    parts.append(_preceding_steps(failure))
    if failure.get("reproduce"):
        parts += ["<h3>Reproduce</h3>", f"<pre><code>{_e(failure['reproduce'])}</code></pre>"]
    notes = failure.get("hypothesis_notes")
    if notes:
        text = "\n".join(map(str, notes)) if isinstance(notes, list) else str(notes)
        parts.append(f"<details><summary>Hypothesis notes</summary><pre>{_e(text)}</pre></details>")
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def _preceding_steps(failure: dict) -> str:
    steps = [s for s in (failure.get("preceding_steps") or []) if isinstance(s, dict)]
    if not steps:
        return ""
    rows = ["<table><tr><th>step</th><th>action</th><th>state (reference)</th></tr>"]
    for s in steps:
        state = s.get("state")
        if isinstance(state, dict):
            text = ", ".join(f"{k}={format_value(v, 60)}" for k, v in state.items())
        else:
            text = format_value(state)
        rows.append(f'<tr><td class="num">{_e(s.get("step", ""))}</td><td><code>{_e(format_value(s.get("action")))}'
                    f"</code></td><td><code>{_e(text)}</code></td></tr>")
    return "<h3>Preceding steps</h3>\n" + "\n".join(rows) + "</table>"


def _other_failures(report: dict, shown: dict) -> str:
    shown_core = {k: v for k, v in shown.items() if k != "level"}
    others = [(name, f) for name, level in ordered_levels(report) for f in failures_of(level)
              if f is not shown and f != shown_core]
    if not others:
        return ""
    parts = ["<h3>Other failures</h3>"]
    for name, f in others[:MAX_OTHER_FAILURES]:
        summary = f"{name} {f.get('check', '?')}: {format_value(f.get('message', ''), 160)}"
        body = f"<pre class='message'>{_e(f.get('message', ''))}</pre>"
        if f.get("reproduce"):
            body += f"<pre><code>{_e(f['reproduce'])}</code></pre>"
        parts.append(f"<details><summary>{_e(summary)}</summary>{body}</details>")
    if len(others) > MAX_OTHER_FAILURES:
        parts.append(f"<p class='muted'>... and {len(others) - MAX_OTHER_FAILURES} more (see the JSON report)</p>")
    return "\n".join(parts)


def _float32_section(report: dict) -> str:
    parts = []
    for name, level in ordered_levels(report):
        errors, drift = one_step_errors(level), float32_drift(level)
        if not errors and drift is None:
            continue
        parts.append(f"<h3>Float32 drift ({_e(name)})</h3>")
        if drift is not None:
            parts.append(_plot(_drift_plot, drift, "float32 absolute error per field over steps"))
            flat = [k for k, v in drift[1].items() if not any(x > 0 for x in v)]
            if flat:
                parts.append(f"<p class='muted'>no drift (not drawn on the log scale): {_e(', '.join(flat))}</p>")
        if errors:
            rows = "".join(f"<tr><td><code>{_e(k)}</code></td><td class='num'>{_e(format_short(v))}</td></tr>"
                           for k, v in errors.items())
            parts.append(f"<table><tr><th>field</th><th>one-step max error</th></tr>{rows}</table>")
    return "\n".join(parts)


def _policy_transfer_section(report: dict) -> str:
    parts = []
    for name, level in ordered_levels(report):
        results = policy_transfer(level)
        if not results:
            continue
        rows = ["<table><tr><th>trained on</th><th>seeds</th><th>return on reference</th><th>return on translation</th>"
                "<th>mean difference</th><th>CI</th><th>margin</th><th>p</th><th>result</th></tr>"]
        for d in results:
            ref, trans = d.get("reference_returns") or [], d.get("translation_returns") or []
            ok = "pass" if d.get("equivalent") else "fail"
            rows.append(
                f"<tr><td>{_e(d.get('trained_on', '?'))}</td><td class='num'>{_e(d.get('n', ''))}</td>"
                f"<td class='num'>{_e(format_short(sum(ref) / len(ref)) if ref else '')}</td>"
                f"<td class='num'>{_e(format_short(sum(trans) / len(trans)) if trans else '')}</td>"
                f"<td class='num'>{_e(format_short(d.get('mean_difference')))}</td>"
                f"<td>{_e(_percent(d.get('ci_level')))} [{_e(format_short(d.get('ci_low')))}, {_e(format_short(d.get('ci_high')))}]</td>"
                f"<td class='num'>&plusmn;{_e(format_short(d.get('margin')))}</td><td class='num'>{_e(format_short(d.get('p_value')))}</td>"
                f"<td><span class='badge {ok}'>{'equivalent' if ok == 'pass' else 'not shown equivalent'}</span></td></tr>"
            )
        parts.append(f"<h3>Policy transfer ({_e(name)}): paired TOST</h3>")
        parts.append("<div class='levels'>" + "\n".join(rows) + "</table>" + _plot(_transfer_plot, results, "mean return per seed, reference vs translation") + "</div>")
    return "\n".join(parts)


def _notes_section(report: dict) -> str:
    items = []
    for name, level in ordered_levels(report):
        notes = level.get("notes") or []
        items += [f"<li><b>{_e(name)}</b>: {_e(n)}</li>" for n in (notes if isinstance(notes, list) else [notes])]
        data = level.get("data")
        if isinstance(data, dict) and data and not (one_step_errors(level) or float32_drift(level) or policy_transfer(level)):
            items.append(f"<li><b>{_e(name)}</b> data: <code>{_e(format_value(data, 400))}</code></li>")
    return ("<h3>Notes</h3><ul>" + "".join(items) + "</ul>") if items else ""


def _environment_section(reports: list[dict]) -> str:
    groups: list[tuple[dict, list[str]]] = []
    for report in reports:
        env = report.get("environment")
        if not isinstance(env, dict):
            continue
        for seen, names in groups:
            if seen == env:
                names.append(report_name(report))
                break
        else:
            groups.append((env, [report_name(report)]))
    parts = []
    for env, names in groups:
        rows = [(k, v) for k, v in env.items() if k != "versions"]
        versions = env.get("versions")
        if isinstance(versions, dict):
            rows += list(versions.items())
        body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(format_value(v, 200))}</td></tr>" for k, v in rows)
        title = "Environment" if len(groups) == 1 else f"Environment ({', '.join(names)})"
        parts.append(f"<h2>{_e(title)}</h2><table>{body}</table>")
    return "\n".join(parts)


def _badge(status: str) -> str:
    return f'<span class="badge {status}">{LABELS[status]}</span>'


def _e(value: Any) -> str:
    """Report text as HTML text or attribute value; control characters (bar tab and newline) as U+FFFD."""
    return html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


# ---------------------------------------------------------------- plots


def _plot(draw: Callable[[Any], Figure | None], subject: Any, alt: str) -> str:
    """An <img> with the figure `draw(subject)` as an embedded PNG ('' if nothing to draw; a note if it fails)."""
    try:
        figure = draw(subject)
    except Exception as exc:  # a malformed report must not lose the whole page
        return f"<p class='muted'>plot unavailable: {_e(type(exc).__name__)}: {_e(exc)}</p>"
    if figure is None:
        return ""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _levels_chart(report: dict) -> Figure | None:
    levels = ordered_levels(report)
    if not levels:
        return None
    labels = [_mpl(level_label(name)) for name, _ in levels][::-1]
    statuses = [level_status(level) for _, level in levels][::-1]
    checks = [max(0.0, _number(level.get("checks"))) for _, level in levels][::-1]
    figure = Figure(figsize=(5.0, 0.34 * len(levels) + 0.75), layout="constrained")
    ax = figure.add_subplot()
    top = max(checks + [1.0])
    positive = [n for n in checks if n > 0]
    log = bool(positive) and top / min(positive) > 30  # e.g. 2 draw checks next to 800 rollout steps
    ax.barh(range(len(levels)), checks, color=[COLORS[s] for s in statuses], height=0.6)
    ax.set_ylim(-0.6, max(len(levels), 2) - 0.4)  # keep one level's bar from filling the chart
    ax.set_yticks(range(len(levels)), labels)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(0.7, top * 4)
    else:
        ax.set_xlim(0, top * 1.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    left = ax.get_xlim()[0]
    for y, (status, n) in enumerate(zip(statuses, checks)):
        text = "skipped" if status == "skipped" else f"{n:g}" + ("" if status == "pass" else " FAIL")
        ax.text(max(n, left), y, " " + text, va="center", fontsize=8.5, color=COLORS[status])
    ax.set_xlabel("checks" + (" (log scale)" if log else ""))
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _divergence_plot(failure: dict) -> Figure | None:
    points = series_points(failure.get("series"))
    if points is None:
        return None
    steps, reference, translation = points
    field = _mpl(format_value(failure["series"].get("field", failure.get("field", "value")), 80))
    step = failure.get("step")
    if not isinstance(step, (int, float)) or isinstance(step, bool):
        differs = [s for s, r, t in zip(steps, reference, translation) if r != t and not math.isnan(t)]
        step = differs[0] if differs else None
    diffs = [(s, abs(r - t)) for s, r, t in zip(steps, reference, translation)
             if not (math.isnan(r) or math.isnan(t)) and abs(r - t) > 0]
    figure = Figure(figsize=(9, 4.8 if diffs else 3.6), layout="constrained")
    axes = figure.subplots(2, 1, sharex=True, height_ratios=[5, 2]) if diffs else [figure.add_subplot()]
    marker = dict(marker="o", markersize=3.5) if len(steps) <= 120 else {}
    top = axes[0]
    top.plot(steps, reference, color="#1f77b4", linewidth=2, label="reference", **marker)
    top.plot(steps, translation, color="#ff7f0e", linewidth=1.5, linestyle="--", label="translation",
             **({**marker, "marker": "x"} if marker else {}))
    top.set_ylabel(field)
    top.set_title(f"{field}: reference vs translation", fontsize=11)
    if diffs:
        bottom = axes[1]
        bottom.semilogy([d[0] for d in diffs], [d[1] for d in diffs], "o-", color="#c62828", markersize=3.5)
        bottom.set_ylabel("|difference| (log)")
    for ax in axes:
        if step is not None:
            ax.axvline(step, color="#c62828", linestyle=":", linewidth=1.5,
                       label=f"divergence at step {step:g}" if ax is top else None)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    top.legend(fontsize=9, loc="best")
    return figure


def _drift_plot(drift: tuple[list[float], dict[str, list[float]]]) -> Figure | None:
    steps, fields = drift
    figure = Figure(figsize=(9, 4), layout="constrained")
    ax = figure.add_subplot()
    drawn = 0
    for name, errors in fields.items():
        xs = steps[: len(errors)] + [math.nan] * max(0, len(errors) - len(steps))
        ys = [e if e > 0 else math.nan for e in errors]  # log scale: zeros are not drawn
        if any(not math.isnan(y) for y in ys):
            ax.plot(xs, ys, linewidth=1.5, label=_mpl(format_value(name, 40)))
            drawn += 1
    if not drawn:
        return None
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("absolute error (float32 vs float64)")
    ax.set_title("float32 drift per field", fontsize=11)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncols=2 if drawn > 6 else 1, loc="best")
    return figure


def _transfer_plot(results: list[dict]) -> Figure | None:
    """Per direction: each seed's mean return on the reference against on the translation, with the diagonal."""
    figure = Figure(figsize=(4.6, 4), layout="constrained")
    ax = figure.add_subplot()
    values = []
    for d in results:
        ref = [_number(v) for v in d.get("reference_returns") or []]
        trans = [_number(v) for v in d.get("translation_returns") or []]
        if ref and len(ref) == len(trans):
            ax.scatter(trans, ref, s=22, label=_mpl(f"trained on {format_value(d.get('trained_on', '?'), 30)}"))
            values += ref + trans
    if not values:
        return None
    low, high = min(values), max(values)
    pad = max(1.0, 0.05 * (high - low))
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="#9e9e9e", linewidth=1, zorder=0)
    ax.set_xlabel("mean return on the translation")
    ax.set_ylabel("mean return on the reference")
    ax.set_title("policy transfer, one point per seed", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return figure


def _percent(value: Any) -> str:
    """0.9 -> '90%' (other values as they are)."""
    return f"{value:.0%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else format_value(value, 20)


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _mpl(text: str) -> str:
    """Report text as a matplotlib label: '$' would start mathtext (and can make drawing fail)."""
    return str(text).replace("$", r"\$")
