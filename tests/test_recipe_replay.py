"""`--agent replay` of a recorded trajectory, on a user's own reference (`--reference ... --name NEW`), with the optimisation pass."""

import json

from recipe.accounting import read_events
from envs import get_port, port_origin
from envs.registry import PORTS_ENV
from recipe_fixtures import CORRECT, ROOT, only_run, translate

REFERENCE = "gymnasium.envs.classic_control.cartpole:CartPoleEnv"


def new_port_files() -> dict[str, str]:
    """The cartpole port as a user's new port `my-cartpole` in package my_cartpole (what an agent would write)."""
    init = (ROOT / "envs" / "classic_control" / "cartpole" / "__init__.py").read_text()
    for old, new in (("from envs.classic_control.cartpole import reference", "from my_cartpole import reference"),
                     ("from envs.classic_control.cartpole.jax_env import CartPole", "from my_cartpole.jax_env import MyCartpole"),
                     ("return CartPole()", "return MyCartpole()"), ('name="cartpole"', 'name="my-cartpole"'),
                     ('jax_module="envs.classic_control.cartpole.jax_env"', 'jax_module="my_cartpole.jax_env"'),
                     ('backends=("jax", "rust")', 'backends=("jax",)'), ('aliases=("CartPole",)', "aliases=()")):
        assert old in init
        init = init.replace(old, new)
    return {"my_cartpole/__init__.py": init,
            "my_cartpole/reference.py": (ROOT / "envs" / "classic_control" / "cartpole" / "reference.py").read_text(),
            "my_cartpole/jax_env.py": CORRECT.replace("class CartPole(JaxEnv)", "class MyCartpole(JaxEnv)")}


def response(*calls):
    tool_calls = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}} for i, (n, a) in enumerate(calls)]
    return {"event": "response", "message": {"role": "assistant", "content": "", "tool_calls": tool_calls},
            "prompt_tokens": 1000, "completion_tokens": 200, "model": "recorded"}


def test_replay_new_port_with_optimisation(tmp_path, monkeypatch):
    files = new_port_files()
    # an "optimisation" that breaks the translation (it renames the class the metadata imports): must be thrown away
    broken = files["my_cartpole/jax_env.py"].replace("class MyCartpole(JaxEnv)", "class FastCartpole(JaxEnv)")
    recording = tmp_path / "recorded" / "trajectory.jsonl"
    recording.parent.mkdir()
    recording.write_text("\n".join(json.dumps(e) for e in [
        response(*[("write_file", {"path": p, "content": c}) for p, c in files.items()], ("submit", {})),
        response(("write_file", {"path": "my_cartpole/jax_env.py", "content": broken}), ("submit", {})),
    ]) + "\n")
    out = tmp_path / "ports"
    result = translate(["--reference", REFERENCE, "--name", "my-cartpole", "--agent", "replay", "--replay", str(recording.parent),
                        "--runs-dir", str(tmp_path / "runs"), "--output", str(out), "--levels", "L1", "--examples", "5",
                        "--optimise-rounds", "1", "--batch-sizes", "32", "--bench-steps", "200", "--max-iterations", "3"])
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    summary = json.loads((run / "summary.json").read_text())
    first, optimise = summary["rows"]
    assert first["passed"] and first["phase"] == "translate"
    assert first["throughput"][0]["batch_size"] == 32 and first["throughput"][0]["steps_per_second"] > 0
    assert optimise["phase"] == "optimise" and not optimise["passed"] and "reverted" in optimise["note"]
    # the failed optimisation was thrown away: workspace and output hold the verified version
    assert (run / "workspace" / "my_cartpole" / "jax_env.py").read_text() == files["my_cartpole/jax_env.py"]
    for rel, text in files.items():
        assert (out / rel).read_text() == text
    # a new port in the output folder, which the registry reads as a ports folder
    monkeypatch.setenv(PORTS_ENV, str(out))
    port = get_port("my-cartpole")
    assert port_origin("my-cartpole") == f"folder {out / 'my_cartpole'}" and type(port.make_jax()).__name__ == "MyCartpole"
    # the optimisation prompt carried the measured throughput
    requests = [e for e in read_events(run / "trajectory.jsonl") if e["event"] == "request"]
    assert "| 32 |" in requests[-1]["last"]["content"] and "Optimise" in requests[-1]["last"]["content"]


def test_replay_runs_out(tmp_path):
    recording = tmp_path / "t.jsonl"
    recording.write_text(json.dumps(response(("list_files", {}))) + "\n")
    result = translate(["cartpole", "--agent", "replay", "--replay", str(recording), "--runs-dir", str(tmp_path / "runs"),
                        "--output", str(tmp_path / "out"), "--levels", "L1", "--max-iterations", "2"])
    assert result.exit_code == 1 and "has only 1 responses" in result.stderr


def test_replay_needs_a_recording(tmp_path):
    result = translate(["cartpole", "--agent", "replay", "--replay", str(tmp_path / "nope"), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "no trajectory.jsonl" in result.stderr


def test_repair_labels_the_failed_iteration_and_an_unchanged_optimisation_is_logged_as_unchanged(tmp_path):
    broken = CORRECT.replace("force = jnp.where(action == 1, params.force_mag, -params.force_mag)",
                             "force = jnp.where(action == 1, -params.force_mag, params.force_mag)")
    assert broken != CORRECT
    recording = tmp_path / "rec" / "trajectory.jsonl"
    recording.parent.mkdir()
    recording.write_text("\n".join(json.dumps(r) for r in [
        response(("write_file", {"path": "jax_env.py", "content": broken}), ("submit", {})),
        response(("write_file", {"path": "jax_env.py", "content": CORRECT}), ("submit", {})),
        response(("submit", {})),  # the optimisation round changes nothing
    ]) + "\n")
    result = translate(["cartpole", "--agent", "replay", "--replay", str(recording.parent), "--runs-dir", str(tmp_path / "runs"),
                        "--output", str(tmp_path / "out"), "--levels", "L1", "--examples", "5", "--optimise-rounds", "1",
                        "--batch-sizes", "32", "--bench-steps", "200", "--max-iterations", "4"])
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    requests = [e for e in read_events(run / "trajectory.jsonl") if e["event"] == "request"]
    assert "Iteration 1: `jax_env.py` failed verification" in requests[1]["last"]["content"]
    rows = json.loads((run / "summary.json").read_text())["rows"]
    assert [r["phase"] for r in rows] == ["translate", "repair", "optimise"]
    assert rows[2]["note"].startswith("optimisation unchanged") and "speedup" not in rows[2]
    assert sum(e["event"] == "verification" for e in read_events(run / "trajectory.jsonl")) == 2
