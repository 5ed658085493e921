"""Replaying Brinewatch's recorded `envport create` run (made with `--agent manual`, docs/runs/brinewatch/): the rounds'
files re-applied in order, the port's hand edits between rounds included, under another name; and the pieces that make
a manual run replayable (edits to a create stage's port package recorded, re-applied, and a renamed recording)."""

import json
import re
from pathlib import Path

import pytest

from envs.registry import PORTS_ENV
from recipe.task import ROOT

RECORDED = ROOT / "docs" / "runs" / "brinewatch" / "brinewatch-create-20261204-232739"
USER_SPEC = ROOT.parent / "shared" / "specs" / "brinewatch.md"  # the user's own file, where this checkout has it
# The levels of the replay: L1 alone keeps it short (the recorded run's round 1 failed L1 and L2, round 2 passed all)
LEVELS = ["--levels", "L1", "--examples", "5", "--verify-timeout", "600"]


def _failing(levels: dict, run: set[str]) -> list[str]:
    return sorted(name for name, verdict in levels.items() if verdict == "FAIL" and name in run)


def _rounds(summary: Path, run: set[str]) -> list[tuple]:
    rows = json.loads(summary.read_text())["rows"]
    return [(r["iteration"], r["phase"], r["passed"], _failing(r["levels"], run)) for r in rows]


@pytest.mark.slow
def test_the_recorded_manual_create_run_replays_with_the_same_outcome(tmp_path, monkeypatch):
    """`envport create --spec ../shared/specs/brinewatch.md --name brinewatch-check --to jax --agent replay --replay
    <the recorded run>`: the same outcome per stage and round (about 100 s on the loaded 2-core machine: the JAX
    translation's compilations). Optimisation rounds 0: the recorded round 3 left the files unchanged and only adds
    a throughput measurement."""
    from typer.testing import CliRunner

    from recipe.cli import app

    spec = USER_SPEC if USER_SPEC.is_file() else RECORDED / "spec.md"
    if not spec.is_file():
        pytest.skip(f"neither {USER_SPEC} nor the run's kept {RECORDED / 'spec.md'} exists")
    monkeypatch.setenv(PORTS_ENV, "")
    ports, runs = tmp_path / "ports", tmp_path / "runs"
    result = CliRunner().invoke(app, ["create", "--spec", str(spec), "--name", "brinewatch-check", "--to", "jax",
                                      "--agent", "replay", "--replay", str(RECORDED), "--runs-dir", str(runs),
                                      "--output", str(ports), "--optimise-rounds", "0", *LEVELS], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (run,) = [p for p in runs.iterdir() if p.is_dir()]
    # reference: one round, every check passed, the package promoted under the new name
    assert _rounds(run / "reference" / "summary.json", {"load", "rules", "tests", "checker", "adapter"}) == \
        _rounds(RECORDED / "reference" / "summary.json", {"load", "rules", "tests", "checker", "adapter"})
    # jax: round 1 failed L1 (the generated final states the reference refuses), round 2 passed after the port's
    # canonical_state, re-applied from the recording as the hand edit it was
    assert _rounds(run / "jax" / "summary.json", {"L1"}) == _rounds(RECORDED / "jax" / "summary.json", {"L1"})[:2] == \
        [(1, "translate", False, ["L1"]), (2, "repair", True, [])]
    recorded, replayed = (json.loads((d / "summary.json").read_text()) for d in (RECORDED, run))
    assert {s: v["status"] for s, v in replayed["stages"].items()} == {s: v["status"] for s, v in recorded["stages"].items()}
    assert replayed["conformance"] == recorded["conformance"]  # 31 passed, 2 skipped (numpy's stream) on the JAX face
    package = ports / "brinewatch_check"
    assert sorted(p.name for p in package.iterdir() if p.is_file()) == \
        ["OPEN_QUESTIONS.md", "__init__.py", "jax_env.py", "reference.py", "test_conformance.py"]
    # the promoted translation is the recorded one, renamed (package, port name and class) and nothing else
    text = (package / "jax_env.py").read_text().replace('"brinewatch-check"', '"brinewatch"')
    back = re.sub(r"\bbrinewatch_check\b", "brinewatch", text).replace("BrinewatchCheck", "Brinewatch")
    assert back == (RECORDED / "jax" / "verified" / "jax_env.py").read_text()
    assert 'name="brinewatch-check"' in (package / "__init__.py").read_text()
    assert "canonical_state=_running" in (package / "__init__.py").read_text()


def test_a_manual_create_stage_records_the_ports_hand_edits_and_a_replay_reapplies_them(tmp_path):
    """Edits to a create stage's port package between rounds become `write_port_file` calls in the round's response;
    a replayed toolbox writes them into its own port package and forgets the outcomes it verified before."""
    from recipe.accounting import RunLog, read_events
    from recipe.agents import AgentPaused, ManualAgent
    from recipe.models import ReplayModel
    from recipe.replay_edits import create_stage_port
    from recipe.tools import Toolbox
    from recipe.workspace import Workspace

    create_dir = tmp_path / "create"
    (create_dir / "jax").mkdir(parents=True)
    (create_dir / "create.json").write_text("{}")
    port_dir = tmp_path / "ports" / "toy"
    port_dir.mkdir(parents=True)
    (port_dir / "__init__.py").write_text("PORT = 1\n")
    assert create_stage_port(create_dir / "jax", "jax", port_dir) == port_dir
    assert create_stage_port(create_dir / "reference", "reference", port_dir) is None
    assert create_stage_port(tmp_path / "plain-run", "jax", port_dir) is None  # a translate run: no port edits

    workspace = Workspace(create_dir / "jax" / "workspace")
    log = RunLog(create_dir / "jax" / "trajectory.jsonl")
    agent = ManualAgent(workspace, create_dir / "jax", log, "system", port=Workspace(port_dir))
    with pytest.raises(AgentPaused):
        agent.attempt("translate")
    workspace.write("jax_env.py", "class Toy: ...\n")
    (port_dir / "__init__.py").write_text("PORT = 2  # by hand\n")
    (port_dir / "NOTES.md").write_text("why\n")
    assert agent.attempt("translate").ended == "external agent done"
    (response,) = [e for e in read_events(create_dir / "jax" / "trajectory.jsonl") if e["event"] == "response"]
    calls = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in response["message"]["tool_calls"]]
    assert calls == [("write_file", {"path": "jax_env.py", "content": "class Toy: ...\n"}),
                     ("write_port_file", {"path": "NOTES.md", "content": "why\n"}),
                     ("write_port_file", {"path": "__init__.py", "content": "PORT = 2  # by hand\n"}),
                     ("submit", {"summary": "external agent done"})]

    class Remembering:
        cache = {"fingerprint:L1": {"passed": False}}

    replay_port = tmp_path / "replay-ports" / "toy"
    replay_port.mkdir(parents=True)
    (replay_port / "__init__.py").write_text("PORT = 1\n")
    verifier = Remembering()
    toolbox = Toolbox(Workspace(tmp_path / "replay-ws"), verifier, tmp_path, port=Workspace(replay_port))
    reply = ReplayModel(create_dir / "jax").query([], [])
    for call in reply.message["tool_calls"]:
        assert not toolbox.call(call["function"]["name"], call["function"]["arguments"]).error
    assert (replay_port / "__init__.py").read_text() == "PORT = 2  # by hand\n" and (replay_port / "NOTES.md").is_file()
    assert (tmp_path / "replay-ws" / "jax_env.py").read_text() == "class Toy: ...\n"
    assert verifier.cache == {}
    refused = toolbox.call("write_port_file", json.dumps({"path": "../escape.py", "content": "x"}))
    assert refused.error and not (tmp_path / "replay-ports" / "escape.py").exists()
    # without a port package (any run but a replayed create stage) the tool does not exist
    plain = Toolbox(Workspace(tmp_path / "ws2"), verifier, tmp_path)
    assert plain.call("write_port_file", json.dumps({"path": "a.py", "content": "x"})).error


def test_a_recording_under_another_name_is_renamed_and_a_reconstructed_one_is_read(tmp_path):
    """The recorded package, port name and class names become the replay's; `replay.jsonl` is read where the trajectory
    holds no replies (runs older than the recording of external edits)."""
    from recipe.models import ReplayModel
    from recipe.replay_edits import recorded_rename

    stage = tmp_path / "run" / "jax"
    stage.mkdir(parents=True)
    (stage / "trajectory.jsonl").write_text(json.dumps({"t": 0, "event": "start"}) + "\n")
    (stage.parent / "create.json").write_text(json.dumps({"options": {"new_name": "brine"}, "stages": {"reference": {"package": "brine"}}}))
    text = ('from brine import reference\nPORT = Port(name="brine", gym_id="Brine-v1", entry="brine.reference:BrineEnv")\n'
            "class Brine(JaxEnv): ...  # brine_extra and Brinewatch stay\n")
    call = {"id": "1", "type": "function", "function": {"name": "write_file", "arguments": json.dumps({"path": "brine/__init__.py", "content": text})}}
    (stage / "replay.jsonl").write_text(json.dumps({"event": "response", "message": {"role": "assistant", "content": "", "tool_calls": [call]}}) + "\n")
    assert recorded_rename(stage, "brine", "brine") is None
    rename = recorded_rename(stage, "brine_check", "brine-check")
    assert rename == ("brine", "brine", "brine_check", "brine-check")
    model = ReplayModel(stage, rename=rename)
    assert model.path == stage / "replay.jsonl"
    args = json.loads(model.query([], []).message["tool_calls"][0]["function"]["arguments"])
    assert args["path"] == "brine_check/__init__.py"
    assert args["content"] == ('from brine_check import reference\nPORT = Port(name="brine-check", gym_id="BrineCheck-v1", '
                               'entry="brine_check.reference:BrineCheckEnv")\n'
                               "class BrineCheck(JaxEnv): ...  # brine_extra and Brinewatch stay\n")
