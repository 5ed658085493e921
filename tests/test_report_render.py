"""Rendering verification reports to Markdown, self-contained HTML and JUnit XML."""

from __future__ import annotations

import base64
import copy
import html
import json
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from envs import get_port
from verify.reports.html import render_html
from verify.reports.junit import render_junit
from verify.reports.markdown import render_markdown
from verify.reports.render import load_report, render_all
from verify.runner import VerifyOptions, verify_port
from verify.variants import edited_translation

MALICIOUS = "<script>alert(1)</script>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def passing() -> dict:
    """A real passing report (cheap: L3, one episode)."""
    port = get_port("cartpole")
    return verify_port(port, ("L3",), VerifyOptions(episodes=1, policies=("uniform",))).to_dict()


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> dict:
    """A real failing report: gravity off by 0.01, caught by L1 (with a reproducer) and L3 (with a series)."""
    port = get_port("cartpole")
    wrong = edited_translation(port, "gravity: float = 9.8", "gravity: float = 9.81", tmp_path_factory.mktemp("g"))
    options = VerifyOptions(episodes=1, examples=10, policies=("uniform",))
    report = verify_port(port, ("L1", "L3"), options, env=wrong).to_dict()
    return json.loads(json.dumps(report, default=str))  # as `verify --json` writes it


def float32_report(base: dict) -> dict:
    """`base` with a failing F32 level carrying drift data, and a level this renderer does not know."""
    report = copy.deepcopy(base)
    report["env"] = "pendulum"
    steps = list(range(0, 100, 5))
    report["levels"]["F32"] = {
        "level": "F32", "passed": False, "checks": 2, "seconds": 0.5, "notes": ["float32 vs float64"],
        "skipped_reason": None,
        "failures": [{"check": "drift", "message": "theta drifts past 1e-3"}],
        "data": {
            "drift": {"steps": steps, "fields": {
                "theta": [1e-8 * math.exp(0.1 * s) for s in steps], "reward": [0.0] * len(steps)}},
            "one_step_max_error": {"theta": 1.5e-8, "reward": 0.0},
        },
    }
    report["levels"]["L7"] = {"level": "L7", "passed": None, "skipped_reason": "not yet", "brand_new_key": [1, 2]}
    report["passed"] = False
    return report


def malicious_report(base: dict) -> dict:
    """`base` whose strings come from a hostile translation (markup, control characters, mathtext)."""
    report = copy.deepcopy(base)
    report["env"] = f"evil{MALICIOUS}"
    level = report["levels"]["L3"]
    failure = level["failures"][0]
    failure["message"] = f"{MALICIOUS} \x00\x1b[31m bad & \"quoted\" ``` `tick` | pipe"
    failure["check"] = f"rollout{MALICIOUS}"
    failure["series"]["field"] = "x$_{bad$ \\frac{"
    failure["mismatches"][0]["field"] = f"<b>{MALICIOUS}</b>"
    level["notes"] = [MALICIOUS]
    del report["levels"]["L1"]  # the hostile L3 failure is the lowest one ...
    report["first_failure"] = None  # ... and the renderers find it in the levels themselves
    return report


def junk_report() -> dict:
    """Unknown keys, wrong types, missing fields: rendering must not crash."""
    return {
        "env": "junk", "surprise": {"a": 1},
        "levels": {
            "L0": {"passed": True, "checks": "many", "seconds": "slow"},
            "L1": "not a dict",
            "L3": {"passed": False, "failures": ["nope", {"message": None, "series": {"steps": [0, 1],
                   "reference": ["a", None], "translation": [1]}, "mismatches": "no"}]},
            "LX": {"passed": "maybe", "notes": "one note", "data": {"x": [1, 2]}},
        },
        "environment": "none",
    }


# ---------------------------------------------------------------- helpers


class _Page(HTMLParser):
    """Collects the tags, images and text of an HTML page (and fails on nothing: html.parser is lenient)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def markdown_outside_code(md: str) -> str:
    """The Markdown text without its fenced blocks and code spans (where raw text is inert)."""
    kept, fence = [], None
    for line in md.splitlines():
        opening = re.match(r"^(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            kept.append(re.sub(r"(`+).+?\1", "", line))
    return "\n".join(kept)


def png_images(page: _Page) -> list[bytes]:
    prefix = "data:image/png;base64,"
    return [base64.b64decode(img["src"][len(prefix):]) for img in page.images if img.get("src", "").startswith(prefix)]


def plot_alts(page: _Page) -> list[str]:
    return [img.get("alt", "") for img in page.images]


# ---------------------------------------------------------------- Markdown


def test_markdown_failing_report_leads_with_the_lowest_failure(failing):
    md = render_markdown(failing)
    first = failing["first_failure"]
    assert first["level"] == "L1" and first["reproduce"]
    assert "| cartpole | jax | **FAIL** | **FAIL** (" in md
    assert "### Lowest failing level: L1 (properties), check `one_step`" in md
    assert f"- field: `{first['field']}`" in md
    assert "| field | reference | translation | rule |" in md
    assert f"| `{first['mismatches'][0]['field']}` | `{first['mismatches'][0]['expected']!r}` |" in md
    assert "```python\n" + first["reproduce"].rstrip("\n") + "\n```" in md
    # the L3 rollout failure follows, with its step
    l3 = failing["levels"]["L3"]["failures"][0]
    assert f"- L3 `rollout`: `episode {l3['episode']}, step {l3['step']}" in md
    assert md.index("Lowest failing level") < md.index("### Other failures") < md.index("### Levels")


def test_markdown_shows_series_and_preceding_steps(failing):
    report = copy.deepcopy(failing)
    report["first_failure"] = None  # fall back to the levels: L1 first ...
    report["levels"]["L1"] = {"level": "L1", "passed": True, "checks": 10, "failures": [], "seconds": 1.0}
    md = render_markdown(report)  # ... now L3, with a series
    l3 = report["levels"]["L3"]["failures"][0]
    assert "### Lowest failing level: L3 (rollouts), check `rollout`" in md
    assert f"- step: `{l3['step']}`" in md
    assert f"Series of `{l3['series']['field']}` around the divergence:" in md
    assert f"| {l3['step']} | {l3['series']['reference'][l3['step']]!r} |" in md
    assert "diverges |" in md


def test_markdown_passing_and_list(passing, failing):
    md = render_markdown(passing)
    assert "**Verdict: PASS**: 1 of 1 report(s) passed." in md
    assert "Lowest failing level" not in md
    assert "| cartpole | jax | pass | pass (" in md
    both = render_markdown([passing, failing])
    assert "**Verdict: FAIL**: 1 of 2 report(s) passed." in both
    assert both.count("## cartpole (jax): ") == 2
    assert "| env | backend | result | L1 | L3 | seconds |" in both


def test_markdown_float32_and_unknown_levels(passing):
    md = render_markdown(float32_report(passing))
    assert "### Float32 drift (F32)" in md
    assert "| `theta` | 1.5e-08 | 0.000134 | 0.000134 |" in md
    assert "| L7 | skipped |" in md and "not yet" in md
    assert "F32 float32" in md


def test_markdown_keeps_hostile_text_inert(failing):
    md = render_markdown(malicious_report(failing))
    assert "# envport verification report" in md
    assert "\x00" not in md and "\x1b" not in md  # control characters do not reach the file
    assert "\n````text\n" in md  # the message holds ```: a longer fence keeps it in its block
    assert MALICIOUS in md and "<script>" not in markdown_outside_code(md)  # verbatim only inside code
    assert "## evil\\<script\\>alert(1)\\</script\\> (jax): FAIL" in md


# ---------------------------------------------------------------- HTML


def test_html_failing_report_is_self_contained_with_plots(failing):
    page = render_html(failing)
    parsed = parse_html(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert "http://" not in page and "https://" not in page
    images = png_images(parsed)
    assert len(images) == len(parsed.images) == 2  # levels chart and first divergence
    assert all(image.startswith(PNG_MAGIC) and len(image) > 5000 for image in images)
    assert "reference vs translation around the divergence" in plot_alts(parsed)
    text = "".join(parsed.text)
    assert "envport verification: FAIL" in text
    assert "Lowest failing level: L1 (properties)" in text
    assert failing["first_failure"]["reproduce"].splitlines()[-1] in text
    assert "Environment" in text and failing["environment"]["versions"]["jax"] in text


def test_html_escapes_hostile_text(failing):
    page = render_html(malicious_report(failing))
    parsed = parse_html(page)
    assert MALICIOUS not in page and "\x00" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script" not in parsed.tags
    assert f"&lt;b&gt;{html.escape(MALICIOUS)}&lt;/b&gt;" in page  # the hostile field name, as text
    assert MALICIOUS in "".join(parsed.text)  # shown to the reader as text
    assert "plot unavailable" not in page  # '$' in a field name does not break matplotlib
    assert len(png_images(parsed)) == 2


def test_html_passing_list_and_float32(passing, failing):
    parsed = parse_html(render_html([passing, failing]))
    text = "".join(parsed.text)
    assert "envport verification: FAIL" in text and "1 of 2 report(s) passed" in text
    assert len(png_images(parsed)) == 3  # two levels charts, one divergence
    parsed = parse_html(render_html(passing))
    assert "envport verification: PASS" in "".join(parsed.text)
    assert plot_alts(parsed) == ["checks per level"]
    parsed = parse_html(render_html(float32_report(passing)))
    assert "float32 absolute error per field over steps" in plot_alts(parsed)
    assert "no drift (not drawn on the log scale): reward" in "".join(parsed.text)
    assert all(image.startswith(PNG_MAGIC) for image in png_images(parsed))


# ---------------------------------------------------------------- JUnit


def test_junit_counts_levels_failures_and_skips(passing, failing):
    reports = [passing, failing, float32_report(passing)]
    root = ET.fromstring(render_junit(reports))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["cartpole.jax", "cartpole.jax", "pendulum.jax"]
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in suites[1].findall("testcase")] == ["cartpole.jax.L1 properties",
                                                                      "cartpole.jax.L3 rollouts"]
    assert len(cases) == 1 + 2 + 3
    assert len(root.findall(".//failure")) == 3 and root.get("failures") == "3"
    assert len(root.findall(".//skipped")) == 1 and root.get("skipped") == "1" and root.get("tests") == "6"
    assert [s.get("failures") for s in suites] == ["0", "2", "1"]
    failure = suites[1].find("testcase/failure")
    assert failure.get("type") == "one_step"
    assert "reproduce with:" in failure.text and failing["first_failure"]["field"] in failure.text
    assert all(float(c.get("time")) >= 0 for c in cases)
    assert suites[2].find("testcase[@name='pendulum.jax.L7']/skipped").get("message") == "not yet"


def test_junit_survives_hostile_text_and_junk(failing):
    root = ET.fromstring(render_junit([malicious_report(failing), junk_report()]))
    failure = root.find("testsuite/testcase/failure")
    assert MALICIOUS in failure.get("message") and "\x00" not in failure.get("message")
    assert root.get("tests") == "4"  # L3; and L0, L3, LX of the junk (L1 there is not a level)


# ---------------------------------------------------------------- robustness and files


def test_junk_renders_everywhere(tmp_path):
    paths = render_all(junk_report(), tmp_path, "junk")
    assert "junk" in paths["md"].read_text() and "<html" in paths["html"].read_text()
    ET.parse(paths["junit"])
    assert render_markdown([]) and render_html([]) and render_junit([])


def test_render_all_and_load_report_round_trip(tmp_path, passing, failing):
    path = tmp_path / "run.json"
    path.write_text(json.dumps([passing, failing]))
    data = load_report(path)
    paths = render_all(data, tmp_path / "out", "run")
    assert {k: p.name for k, p in paths.items()} == {"md": "run.md", "html": "run.html", "junit": "run.xml"}
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert list(render_all(failing, tmp_path, "one", formats=("junit",))) == ["junit"]
    with pytest.raises(ValueError, match="unknown report format"):
        render_all(failing, tmp_path, "x", formats=("pdf",))


# ---------------------------------------------------------------- what a person sees


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_screenshot_is_not_blank(tmp_path, passing, failing):
    page = tmp_path / "report.html"
    page.write_text(render_html([failing, float32_report(passing)]), encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2400",
         page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    assert pixels.reshape(-1, pixels.shape[-1]).std(axis=0).max() > 0.05  # not a single colour
