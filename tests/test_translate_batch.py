"""`envport translate --batch FILE`: many translate runs as tasks of an executor, promoted on the driver.

The Ray side (the same batch on a two-node cluster gives the same summary) is in tests/test_ray_executor.py, on its
cluster.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from recipe_fixtures import BROKEN, CORRECT, SECRET, run_folder_text, translate

# Two runs of the registered cartpole: a replayed agent that writes the correct translation (passes L1, promoted into
# `good`), and one whose translation does not import (stopped by its budget of one iteration, nothing promoted).
BATCH = """
port = "cartpole"
agent = "replay"
levels = "L1"
examples = 2
optimise-rounds = 0
max-iterations = 1

[[run]]
replay = "recordings/correct"
output = "good"

[[run]]
replay = "recordings/broken"
output = "broken"
"""


def write_batch(folder: Path, text: str = BATCH) -> Path:
    """The batch file and the two recordings it names, in `folder`."""
    for name, source in (("correct", CORRECT), ("broken", BROKEN)):
        calls = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                 for i, (n, a) in enumerate([("write_file", {"path": "jax_env.py", "content": source}), ("submit", {})])]
        event = {"event": "response", "message": {"role": "assistant", "content": "", "tool_calls": calls},
                 "prompt_tokens": 100, "completion_tokens": 20, "model": "recorded"}
        (folder / "recordings" / name).mkdir(parents=True)
        (folder / "recordings" / name / "trajectory.jsonl").write_text(json.dumps(event) + "\n")
    (folder / "batch.toml").write_text(text)
    return folder / "batch.toml"


def test_a_batch_runs_each_entry_as_translate_does_and_promotes_on_the_driver(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    write_batch(tmp_path)
    # two runs at once in this process's threads (the Ray test runs the same batch one run after another, --workers 1)
    result = translate(["--batch", "batch.toml", "--workers", "2", "--json", "summary.json", "--journal", "journal.jsonl"])
    assert result.exit_code == 1, result.output  # one run did not pass
    summary = json.loads((tmp_path / "summary.json").read_text())
    runs = tmp_path / "runs" / "batch"
    first, second = summary["runs"]
    assert {k: v for k, v in first.items() if k != "seconds"} == {
        "index": 1, "port": "cartpole", "target": "jax", "outcome": "passed", "iterations": 1, "levels": {"L1": "pass"},
        "promoted": [str(tmp_path / "good" / "jax_env.py")], "run_folder": str(runs / "01-cartpole-jax")}
    assert second["outcome"] == "stopped: budget: --max-iterations 1 reached" and second["promoted"] == []
    assert second["iterations"] == 1 and second["run_folder"] == str(runs / "02-cartpole-jax")
    assert (tmp_path / "good" / "jax_env.py").read_text() == CORRECT and not (tmp_path / "broken").exists()
    # each run folder came back whole, and names what the driver promoted (the node promoted into a scratch folder)
    state = json.loads((runs / "01-cartpole-jax" / "state.json").read_text())
    assert state["state"]["promoted"] == first["promoted"] and state["options"]["output"] == str(tmp_path / "good")
    assert (runs / "01-cartpole-jax" / "workspace" / "jax_env.py").read_text() == CORRECT
    assert (runs / "02-cartpole-jax" / "workspace" / "jax_env.py").read_text() == BROKEN
    assert json.loads((runs / "01-cartpole-jax" / "summary.json").read_text())["run_dir"] == first["run_folder"]
    assert "run 1 cartpole -> jax: passed after 1 iteration(s) (L1:pass), promoted 1 file(s)" in result.stderr
    # the key was in the environment only: in no file the batch wrote
    assert SECRET not in run_folder_text(tmp_path) + result.output
    # a re-run with the journal runs nothing and gives the same summary; without it, the folders are not overwritten
    again = translate(["--batch", "batch.toml", "--json", "again.json", "--journal", "journal.jsonl"])
    assert again.exit_code == 1 and "2 run(s), 2 finished already" in again.stderr
    assert json.loads((tmp_path / "again.json").read_text()) == summary
    refused = translate(["--batch", "batch.toml"])
    assert refused.exit_code == 2 and "run 1's folder" in refused.stderr and "exists" in refused.stderr


def test_a_task_carries_no_secret_and_travels_by_pickle(tmp_path, monkeypatch):
    from recipe.batch import TranslateTask, plan
    from recipe.options import TranslateOptions

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    (run,) = plan([(TranslateOptions(name="cartpole", agent="openai", model="m", base_url="http://127.0.0.1:9/v1",
                                     output=tmp_path / "out"), "key")])
    sent = pickle.dumps(TranslateTask(run))
    assert SECRET.encode() not in sent and pickle.loads(sent).entry == run
    assert TranslateTask.fingerprinted == ("recipe", "prompts")  # a Ray node must run the driver's loop and prompts too


def _refused(tmp_path, monkeypatch, text: str, *args: str) -> str:
    monkeypatch.chdir(tmp_path)
    write_batch(tmp_path, text)
    result = translate(["--batch", "batch.toml", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "runs").exists()  # nothing ran
    return result.stderr


def test_bad_batch_files_are_one_line_and_exit_2_before_anything_runs(tmp_path, monkeypatch):
    cases = {
        "not TOML": ("port = ", "not a TOML file"),
        "no runs": ('port = "cartpole"\n', "no runs: list each one as a [[run]] table"),
        "unknown key": (BATCH + "colour = 3\n", "run 2: unknown key 'colour'"),
        "unknown port": (BATCH.replace('port = "cartpole"', 'port = "cartpol"'), "run 1: "),
        "bad value": (BATCH.replace("examples = 2", 'examples = "many"'), "run 1: Invalid value for '--examples'"),
        "out of range": (BATCH.replace("examples = 2", "examples = 0"), "run 1: Invalid value for '--examples'"),
        "missing recording": (BATCH.replace("recordings/broken", "recordings/none"), "run 2: "),
        "same target": (BATCH.replace('output = "broken"', 'output = "good"'), "runs 1 and 2 (cartpole -> jax) would both promote"),
        "a table of values": (BATCH + "levels = [1]\n", "run 2: levels = [1]: give a string or a number"),
    }
    for case, (text, expected) in cases.items():
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        assert expected in _refused(folder, monkeypatch, text), case


def test_batch_and_single_run_options_do_not_mix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_batch(tmp_path)
    result = translate(["--batch", "batch.toml", "--levels", "L0"])
    assert result.exit_code == 2 and "put --levels in it" in result.stderr
    result = translate(["cartpole", "--batch", "batch.toml"])
    assert result.exit_code == 2 and "put port (NAME) in it" in result.stderr
    result = translate(["cartpole", "--executor", "ray"])
    assert result.exit_code == 2 and "--executor belong(s) to --batch FILE" in result.stderr
    result = translate(["--batch", "missing.toml"])
    assert result.exit_code == 2 and "--batch missing.toml does not exist" in result.stderr


class _Elsewhere:
    """An executor that sends each task through pickle (as Ray does) to a 'node' without the batch's recordings, and
    loses the first task (its node gone, retries spent). `env`: what the command gave for the workers' environment."""

    name, in_process = "elsewhere", False

    def __init__(self, recordings: Path, env=None):
        self.recordings, self.tasks, self.env = recordings, [], env

    def submit(self, task):
        from concurrent.futures import Future

        self.tasks.append((Future(), pickle.loads(pickle.dumps(task))))
        return self.tasks[-1][0]

    def as_completed(self, futures):
        import shutil

        shutil.rmtree(self.recordings, ignore_errors=True)
        for position, (future, task) in enumerate(self.tasks):
            if position == 0:
                future.set_exception(RuntimeError("the node running it died\nand more"))
            else:
                future.set_result(task.run(None))
            yield future

    def shutdown(self, cancel=False):
        pass


def test_a_lost_task_and_a_run_its_node_cannot_start_are_errors_in_the_summary(tmp_path, monkeypatch):
    import recipe.cli.executor_options

    monkeypatch.chdir(tmp_path)
    write_batch(tmp_path)
    made = []
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setattr(recipe.cli.executor_options, "make_executor",
                        lambda kind, **kw: made.append(_Elsewhere(tmp_path / "recordings", kw.get("env"))) or made[-1])
    result = translate(["--batch", "batch.toml", "--executor", "ray", "--json", "summary.json", "--journal", "journal.jsonl"])
    assert result.exit_code == 1, result.output
    lost, refused = json.loads((tmp_path / "summary.json").read_text())["runs"]
    assert lost["outcome"] == "error: the task did not return: RuntimeError: the node running it died"
    assert refused["outcome"].startswith("error: UsageProblem: --replay ") and "no trajectory.jsonl there" in refused["outcome"]
    assert lost["promoted"] == refused["promoted"] == [] and lost["iterations"] == 0
    assert not (tmp_path / "good").exists() and not (tmp_path / "broken").exists()
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) == 2  # each counted once
    assert made[0].env == {}  # replayed agents need no key: none is sent


def test_an_agent_that_needs_the_key_gets_it_in_the_workers_environment_only(tmp_path, monkeypatch):
    import recipe.cli.executor_options
    from verify.ray_executor import _runtime_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    write_batch(tmp_path, 'port = "cartpole"\nmodel = "m"\nbase-url = "http://127.0.0.1:9/v1"\n[[run]]\noutput = "out"\n')
    made = []
    monkeypatch.setattr(recipe.cli.executor_options, "make_executor",
                        lambda kind, **kw: made.append(_Elsewhere(tmp_path / "recordings", kw.get("env"))) or made[-1])
    result = translate(["--batch", "batch.toml", "--executor", "ray", "--json", "summary.json"])
    assert result.exit_code == 1 and made[0].env == {"OPENAI_API_KEY": SECRET}  # the one task was lost: no run
    assert _runtime_env(made[0].env)["env_vars"]["OPENAI_API_KEY"] == SECRET  # Ray's workers' environment
    assert SECRET not in (tmp_path / "summary.json").read_text() + result.output
