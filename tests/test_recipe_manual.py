"""`--agent manual`: an external coding agent or a person acts between verification rounds; each --resume
verifies the workspace and either promotes it or writes the next prompt."""

import json

from recipe_fixtures import BUGGY, CORRECT, only_run, translate


def test_manual_agent_pauses_is_repaired_by_hand_and_promotes(tmp_path):
    common = ["--runs-dir", str(tmp_path / "runs"), "--output", str(tmp_path / "out")]
    first = translate(["cartpole", "--agent", "manual", "--levels", "L1", "--examples", "10", "--optimise-rounds", "0", *common])
    assert first.exit_code == 0, first.output
    run = only_run(tmp_path / "runs")
    assert "waiting for the agent" in first.stderr and f"--resume {run}" in first.stderr
    workspace = run / "workspace"
    assert "`jax_env.py`" in (workspace / "PROMPT.md").read_text() and (run / "prompts" / "prompt-001.md").is_file()
    assert json.loads((run / "state.json").read_text())["state"]["status"] == "waiting"

    (workspace / "jax_env.py").write_text(BUGGY)  # the person's first try has a bug
    second = translate(["--resume", str(run), *common[:2]])
    assert second.exit_code == 0 and "waiting for the agent" in second.stderr, second.output
    repair = (run / "prompts" / "prompt-002.md").read_text()
    assert "Iteration 1: `jax_env.py` failed verification at level L1" in repair
    assert (workspace / "PROMPT.md").read_text() == repair
    assert not (tmp_path / "out" / "jax_env.py").exists()  # nothing promoted yet

    (workspace / "jax_env.py").write_text(CORRECT)
    third = translate(["--resume", str(run), *common[:2]])
    assert third.exit_code == 0, third.output
    assert (tmp_path / "out" / "jax_env.py").read_text() == CORRECT
    rows = json.loads((run / "summary.json").read_text())["rows"]
    assert [(r["phase"], r["passed"]) for r in rows] == [("translate", False), ("repair", True)]

    # The edits made between rounds are in the trajectory as replayable responses: a replay of this run takes the
    # same two rounds, the buggy try failing and the fix promoted, with no person and no model.
    events = [json.loads(line) for line in (run / "trajectory.jsonl").read_text().splitlines()]
    edits = [e for e in events if e["event"] == "response"]
    assert len(edits) == 2 and all(e.get("external") for e in edits)
    written = [json.loads(c["function"]["arguments"]) for c in edits[0]["message"]["tool_calls"] if c["function"]["name"] == "write_file"]
    assert [w["path"] for w in written] == ["jax_env.py"] and written[0]["content"] == BUGGY
    replay = translate(["cartpole", "--agent", "replay", "--replay", str(run), "--levels", "L1", "--examples", "10",
                        "--optimise-rounds", "0", "--runs-dir", str(tmp_path / "replays"), "--output", str(tmp_path / "out2")])
    assert replay.exit_code == 0, replay.output
    replayed = json.loads((only_run(tmp_path / "replays") / "summary.json").read_text())["rows"]
    assert [(r["phase"], r["passed"]) for r in replayed] == [("translate", False), ("repair", True)]
    assert (tmp_path / "out2" / "jax_env.py").read_text() == CORRECT
