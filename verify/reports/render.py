"""Load verification reports and write them out in the formats people and CI tools read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from verify.reports.model import ReportFormatError, check_report_json

FORMATS = {"md": ".md", "html": ".html", "junit": ".xml"}


def load_report(path: str | Path) -> dict | list:
    """The parsed JSON report at `path`: one report (dict) or a list of them (`verify --all`).

    Raises ReportFormatError (a ValueError) for a file that is not JSON or not a verification report
    (`verify.reports.model.check_report_json`), and OSError for one that cannot be read."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    check_report_json(data)
    return data


def render_all(
    report_json: dict | list, out_dir: str | Path, stem: str, formats: Iterable[str] = ("md", "html", "junit")
) -> dict[str, Path]:
    """Write `stem`.md, `stem`.html and `stem`.xml (those in `formats`) to `out_dir`; the paths by format."""
    # Imported here: loading a report needs no plotting library.
    from verify.reports.html import render_html
    from verify.reports.junit import render_junit
    from verify.reports.markdown import render_markdown

    renderers = {"md": render_markdown, "html": render_html, "junit": render_junit}
    unknown = [f for f in formats if f not in renderers]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; available: {', '.join(renderers)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt in formats:
        path = out_dir / f"{stem}{FORMATS[fmt]}"
        path.write_text(renderers[fmt](report_json), encoding="utf-8")
        written[fmt] = path
    return written
