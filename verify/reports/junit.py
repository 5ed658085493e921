"""JUnit XML for verification reports, for CI tools: one <testsuite> per env/backend, one <testcase> per level."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Any

from verify.reports.common import (
    as_float,
    as_report_list,
    failures_of,
    format_value,
    level_label,
    level_status,
    ordered_levels,
    report_name,
)

MAX_FAILURES_PER_CASE = 20
# Characters XML 1.0 cannot carry at all (ElementTree would write them and make the file unreadable).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(report_json: dict | list) -> str:
    """JUnit XML (str) for one report or a list of reports: a <testsuites> root with a <testsuite> per
    env/backend and a <testcase> per level; failed levels carry <failure>, skipped ones <skipped>."""
    root = ET.Element("testsuites", name="envport verify")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    seconds = 0.0
    for report in as_report_list(report_json):
        suite = _suite(report)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += as_float(suite.get("time"))
    root.attrib.update({k: str(v) for k, v in totals.items()}, errors="0", time=_time(seconds))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(report: dict) -> ET.Element:
    name = report_name(report)
    suite = ET.Element("testsuite", name=_clean(name))
    properties = ET.SubElement(suite, "properties")
    environment = report.get("environment") if isinstance(report.get("environment"), dict) else {}
    versions = environment.get("versions") if isinstance(environment.get("versions"), dict) else {}
    for key, value in [*(report.get("options") or {}).items(), *environment.items(), *versions.items()]:
        if key != "versions":
            ET.SubElement(properties, "property", name=_clean(key), value=_clean(format_value(value, 200)))
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for level_name, level in ordered_levels(report):
        status = level_status(level)
        counts["tests"] += 1
        case = ET.SubElement(
            suite, "testcase", classname=_clean(f"envport.{name}"),
            name=_clean(f"{name}.{level_label(level_name)}"), time=_time(level.get("seconds")),
        )
        if status == "fail":
            counts["failures"] += 1
            failures = failures_of(level)
            first = failures[0]
            ET.SubElement(
                case, "failure", message=_clean(format_value(first.get("message", "failed"), 500)),
                type=_clean(str(first.get("check", "failure"))),
            ).text = _clean(_details(failures))
        elif status == "skipped":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=_clean(str(level.get("skipped_reason") or "skipped")))
        notes = level.get("notes")
        if notes:
            text = "\n".join(map(str, notes)) if isinstance(notes, list) else str(notes)
            ET.SubElement(case, "system-out").text = _clean(text)
    started = report.get("started")
    if isinstance(started, (int, float)) and not isinstance(started, bool):
        suite.set("timestamp", datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    suite.attrib.update({k: str(v) for k, v in counts.items()}, errors="0", time=_time(report.get("seconds")))
    if not len(properties):
        suite.remove(properties)
    return suite


def _details(failures: list[dict]) -> str:
    """Plain text of a level's failures: the first in full (mismatches, preceding steps, reproducer)."""
    first = failures[0]
    lines = [f"[{first.get('check', '?')}] {first.get('message', '')}"]
    lines += [f"{key}: {format_value(first[key], 600)}" for key in ("field", "episode", "step", "policy", "action")
              if first.get(key) is not None]
    mismatches = [m for m in (first.get("mismatches") or []) if isinstance(m, dict)]
    if mismatches:
        lines.append("mismatches:")
        lines += [f"  {m.get('field', '?')}: reference {format_value(m.get('expected'))}, "
                  f"translation {format_value(m.get('actual'))} ({m.get('rule', '')})" for m in mismatches]
    preceding = [s for s in (first.get("preceding_steps") or []) if isinstance(s, dict)]
    if preceding:
        lines.append("preceding steps (reference):")
        lines += [f"  step {s.get('step')}: action {format_value(s.get('action'))}, "
                  f"state {format_value(s.get('state'), 400)}" for s in preceding]
    if first.get("reproduce"):
        lines += ["reproduce with:", str(first["reproduce"]).rstrip("\n")]
    if len(failures) > 1:
        lines.append(f"other failures ({len(failures) - 1}):")
        lines += [f"  [{f.get('check', '?')}] {format_value(f.get('message', ''), 400)}"
                  for f in failures[1:MAX_FAILURES_PER_CASE]]
        if len(failures) > MAX_FAILURES_PER_CASE:
            lines.append(f"  ... and {len(failures) - MAX_FAILURES_PER_CASE} more (see the JSON report)")
    return "\n".join(lines)


def _time(value: Any) -> str:
    seconds = as_float(value)
    return f"{seconds:.3f}" if seconds == seconds and seconds >= 0 else "0.000"


def _clean(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (control characters, lone surrogates)."""
    return _NOT_XML.sub("\ufffd", str(text))
