"""`envport translate`'s typed options, and the shape of the command line: one app, no printing below it."""

from __future__ import annotations

import ast
from pathlib import Path

from recipe.options import DEFAULTS, TranslateOptions

ROOT = Path(__file__).resolve().parent.parent


def test_options_resolve_defaults_and_round_trip_through_state_json():
    given = TranslateOptions(name="cartpole", replay=Path("runs/old"), max_tokens=1000, runs_dir=Path("elsewhere"), print_prompt=True)
    resolved = given.resolved()
    assert resolved.max_iterations == 5 and resolved.levels == DEFAULTS["levels"] and resolved.max_tokens == 1000
    stored = resolved.to_dict()
    assert len(stored) == 29 and stored["replay"] == "runs/old"
    assert not {"runs_dir", "resume", "print_prompt"} & set(stored)  # this invocation only
    assert TranslateOptions.from_dict({**stored, "unknown": 1}) == TranslateOptions(**{**vars(resolved), "runs_dir": Path("runs"), "print_prompt": False})


def test_resume_takes_only_the_budgets_and_endpoint_given_now():
    stored = TranslateOptions(name="cartpole", model="old", max_tokens=10, levels="L1").resolved()
    now = TranslateOptions(resume=Path("runs/x"), max_tokens=500, levels="L0")
    resumed = now.resumed_from(stored)
    assert resumed.max_tokens == 500 and resumed.model == "old" and resumed.levels == "L1" and resumed.resume == Path("runs/x")
    assert resumed.verify_timeout == 900.0  # stored default kept when not given
    assert TranslateOptions(resume=Path("runs/x"), verify_timeout=3600.0).resumed_from(stored).verify_timeout == 3600.0
    moved = TranslateOptions(resume=Path("runs/x"), output=Path("elsewhere"), bench_steps=100_000, batch_sizes="512")
    resumed = moved.resumed_from(stored)  # a run resumed from another checkout, with a smaller throughput measurement
    assert (resumed.output, resumed.bench_steps, resumed.batch_sizes) == (Path("elsewhere"), 100_000, "512")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_one_command_line_and_no_printing_below_it():
    sources = [p for package in ("recipe", "envs", "verify", "ppo") for p in (ROOT / package).rglob("*.py")]
    assert [p.relative_to(ROOT).as_posix() for p in sources if "typer.Typer(" in p.read_text()] == ["recipe/cli/__init__.py"]
    for path in (ROOT / "ppo").rglob("*.py"):
        assert not {m for m in _imports(path) if m.split(".")[0] == "recipe"}, path
    session = _imports(ROOT / "recipe" / "session.py")
    assert not {m for m in session if m.startswith("recipe.cli") or m.startswith("rich")}, session
