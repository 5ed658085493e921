"""Record the translate run `envport demo` replays: run once, by hand, from the repository root.

    PYTHONPATH=. .venv/bin/python examples/demo/record_demo_run.py

The agent is scripted: `tests/recipe_server.py` serves two replies to `envport translate --reference
gym:CartPole-v1 --name cartpole-demo` through the real openai client. The first writes a port (metadata, adapter,
translation) whose translation has a sign error in the pole's reaction term; verification rejects it at L1 and the
repair prompt carries the counterexample. The second writes the corrected translation, which passes and is promoted.
The files are envport's own catalogue port `cartpole` under a new name. The run's trajectory is kept in
`recipe/demo_run/trajectory.jsonl` (package data, so an installed envport replays it too).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from recipe_server import ScriptedServer, tool_reply  # noqa: E402

CATALOGUE = ROOT / "envs" / "classic_control" / "cartpole"
TARGET = ROOT / "recipe" / "demo_run" / "trajectory.jsonl"
BUG_FROM, BUG_TO = "params.gravity * sintheta - costheta * temp", "params.gravity * sintheta + costheta * temp"


def port_files() -> dict[str, str]:
    """The catalogue's cartpole as the new port `cartpole-demo` (package cartpole_demo, class CartpoleDemo)."""
    init = (CATALOGUE / "__init__.py").read_text()
    for old, new in (("from envs.classic_control.cartpole import reference", "from cartpole_demo import reference"),
                     ("from envs.classic_control.cartpole.jax_env import CartPole", "from cartpole_demo.jax_env import CartpoleDemo"),
                     ("return CartPole()", "return CartpoleDemo()"), ('name="cartpole"', 'name="cartpole-demo"'),
                     ('jax_module="envs.classic_control.cartpole.jax_env"', 'jax_module="cartpole_demo.jax_env"'),
                     ('backends=("jax", "rust")', 'backends=("jax",)'), ('aliases=("CartPole",)', "aliases=()"),
                     ('    rust_classes=("CartPole", "CartPoleVec"),\n', ""),
                     ('    rust_source="src/classic_control/cartpole.rs",\n', "")):
        assert old in init, old
        init = init.replace(old, new)
    translation = (CATALOGUE / "jax_env.py").read_text().replace("class CartPole(JaxEnv)", "class CartpoleDemo(JaxEnv)")
    return {"cartpole_demo/__init__.py": init, "cartpole_demo/reference.py": (CATALOGUE / "reference.py").read_text(),
            "cartpole_demo/jax_env.py": translation}


def main() -> None:
    from typer.testing import CliRunner

    from recipe.cli import app

    files = port_files()
    assert files["cartpole_demo/jax_env.py"].count(BUG_FROM) == 1
    buggy = {**files, "cartpole_demo/jax_env.py": files["cartpole_demo/jax_env.py"].replace(BUG_FROM, BUG_TO)}
    write = [("write_file", {"path": p, "content": c}) for p, c in buggy.items()]
    script = [tool_reply(*write, ("submit", {"summary": "metadata, adapter and JAX translation of CartPole-v1"}),
                         prompt_tokens=14_000, completion_tokens=3_500),
              tool_reply(("write_file", {"path": "cartpole_demo/jax_env.py", "content": files["cartpole_demo/jax_env.py"]}),
                         ("submit", {"summary": "fixed the sign of the pole's reaction term"}),
                         prompt_tokens=20_000, completion_tokens=1_800)]
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(script, model="scripted-agent") as server:
        result = CliRunner().invoke(app, [
            "translate", "--reference", "gym:CartPole-v1", "--name", "cartpole-demo", "--agent", "openai",
            "--base-url", server.base_url, "--model", "scripted-agent", "--runs-dir", f"{tmp}/runs",
            "--output", f"{tmp}/ports", "--levels", "L0,L1", "--examples", "50", "--optimise-rounds", "0"],
            env={"OPENAI_API_KEY": "no-key"}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        (run,) = Path(tmp, "runs").iterdir()
        summary = json.loads((run / "summary.json").read_text())
        assert [r["passed"] for r in summary["rows"]] == [False, True], summary
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run / "trajectory.jsonl", TARGET)
    print(f"recorded {TARGET} ({TARGET.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
