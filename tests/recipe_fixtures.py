"""Shared pieces of the recipe tests: translations (correct, with a planted bug, hanging) and a CLI runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CORRECT = (ROOT / "envs" / "classic_control" / "cartpole" / "jax_env.py").read_text()
# Planted bug: the sign of the pole's reaction term. L1 catches it from any state.
BUG_FROM, BUG_TO = "params.gravity * sintheta - costheta * temp", "params.gravity * sintheta + costheta * temp"
assert CORRECT.count(BUG_FROM) == 1
BUGGY = CORRECT.replace(BUG_FROM, BUG_TO)
# A first try that does not even import (cheap to verify: it fails at load, before any level runs).
BROKEN = CORRECT.replace("class CartPole(JaxEnv):", "class CartPole(JaxEnvTypo):")
assert BROKEN != CORRECT
# A translation whose step never returns once the cart is more than 1 from the centre: it loads, resets and steps near
# the centre, and hangs on L1's generated states. The loop's counter cycles 0..6 and its result is used, so XLA can
# neither count its trips nor drop it.
_X_STEP = "x = state.x + params.tau * state.x_dot"
assert CORRECT.count(_X_STEP) == 1
HANGS_FAR_OUT = CORRECT.replace(_X_STEP, "x = jax.lax.while_loop(lambda c: (jnp.abs(state.x) > 1.0) & (c[0] >= 0), "
                                "lambda c: ((c[0] + 1) % 7, c[1] + 0.0 * c[0]), (0, state.x))[1] + params.tau * state.x_dot")
SECRET = "sk-test-DO-NOT-LEAK-0123456789abcdef"
# Cheap verification: L1 only, few examples; enough to catch the planted bug.
CHEAP = ["--levels", "L1", "--examples", "5", "--verify-timeout", "240", "--optimise-rounds", "0"]


def hanging_translation(pid_file: Path) -> str:
    """A translation that records its process id, then never finishes importing."""
    return f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nwhile True:\n    pass\n"


def translate(args: list[str]):
    """Invoke `envport translate ARGS` in-process; returns the click Result (exit_code, stdout, stderr)."""
    from recipe.cli import app

    return CliRunner().invoke(app, ["translate", *args], catch_exceptions=False)


def run_folder_text(runs: Path) -> str:
    """Every file under the runs folder, concatenated (to look for secrets)."""
    return "\n".join(p.read_text(errors="replace") for p in Path(runs).rglob("*") if p.is_file())


def only_run(runs: Path) -> Path:
    (run,) = [p for p in Path(runs).iterdir() if p.is_dir()]
    return run
