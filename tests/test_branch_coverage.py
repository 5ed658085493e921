"""Branch coverage of the reference (verify.branch_coverage) and L1's guided search (verify.guided).

The Vault port (tests/data/rare_ports/vault) has one rare branch: the vault opens only when armed, at
charge exactly 377 and beyond 0.9. Plain L1 never takes it, so a mutant inside it passes; the guided
search takes it, compares from there, and catches the mutant.
"""

import importlib.util
import json
import sys
import textwrap

import numpy as np
import pytest

from verify.branch_coverage import EXIT, BranchTracer, file_branches, summary_note


SOURCE = textwrap.dedent('''
    def f(x, items):
        if x > 1:
            y = 1
        elif x < -1:
            y = 2
        else:
            y = 3
        for i in items:
            y += i
        while True:
            break
        if x == 0: return 0
        return y

    def g(x):
        if x:
            return 1
''')


def test_branches_are_read_from_conditions_and_loops(tmp_path):
    path = tmp_path / "src.py"
    path.write_text(SOURCE)
    found = {(b.line, b.outcome): b.dest for b in file_branches(str(path))}
    assert found == {
        (3, "true"): 4, (3, "false"): 5,  # if -> body; elif
        (5, "true"): 6, (5, "false"): 8,  # elif -> body; else
        (9, "true"): 10, (9, "false"): 11,  # for -> body; the statement after the loop
        (17, "true"): 18, (17, "false"): EXIT,  # the function returns
    }  # `while True` and the one-line `if` have no branches


def _module(tmp_path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the tracer finds the reference's file through its module
    spec.loader.exec_module(module)
    return module


def test_the_tracer_counts_only_the_references_file_and_only_while_tracing(tmp_path):
    module = _module(tmp_path, "tiny_reference", '''
        class Env:
            def step(self, a):
                if a > 0:
                    return 1
                return helper(a)

        def helper(a):
            for _ in range(a):
                pass
            return 0

        def never_called(a):
            if a:
                return 1
    ''')
    env = module.Env()
    tracer = BranchTracer(env, unreachable=(("tiny_reference.py", "if a > 0", "true", "tested below"),))
    env.step(5)  # not traced: outside `tracing()`
    with tracer.tracing():
        env.step(0)
    summary = tracer.summary()
    # step's `if` and helper's `for` count (helper was entered); never_called's `if` does not
    assert (summary["covered"], summary["total"]) == (2, 4)
    labels = {e["branch"]: e for e in summary["uncovered"]}
    assert labels["tiny_reference.py:4 -> 5"]["reason"] == "tested below"
    assert labels["tiny_reference.py:9 -> 10"] == {
        "branch": "tiny_reference.py:9 -> 10", "outcome": "true", "source": "for _ in range(a):", "reason": None}
    assert summary["files"] == ["tiny_reference.py"]
    with tracer.probing() as (arcs, _):
        with tracer.tracing():
            env.step(1)
    assert arcs and tracer.summary()["covered"] == 2  # a probe's arcs are kept apart
    note = summary_note(tracer.summary())
    assert note.startswith("reference branch coverage 2/4; 1 unreachable") and "tiny_reference.py:9 -> 10" in note


def test_a_face_over_an_upstream_game_is_measured_in_the_games_code():
    """An RLCard port's reference is envport's Gymnasium face; its `coverage_target` points the tracer at RLCard's
    package, so the branches counted are the game's rules (round, dealer, judger), not the face's."""
    from envs import get_port

    reference = get_port("rlcard-leduc-holdem").make_reference()
    tracer = BranchTracer(reference)
    with tracer.tracing():
        reference.reset(seed=3)
        for _ in range(4):
            mask = reference._info()["action_mask"]
            _, _, done, _, _ = reference.step(int(np.flatnonzero(mask)[0]))
            if done:
                break
    files = tracer.summary()["files"]
    assert files and all(f.startswith("rlcard/") for f in files), files
    assert any(f.startswith("rlcard/games/leducholdem/") for f in files), files
    assert tracer.summary()["covered"] > 0


def test_another_tracer_is_left_alone(tmp_path):
    module = _module(tmp_path, "tiny_reference_2", '''
        class Env:
            def step(self, a):
                if a:
                    return 1
    ''')
    tracer = BranchTracer(module.Env())
    sentinel = lambda frame, event, arg: None  # noqa: E731
    previous = sys.gettrace()
    sys.settrace(sentinel)
    try:
        with tracer.tracing():
            assert sys.gettrace() is sentinel
    finally:
        sys.settrace(previous)
    assert not tracer.measured and "not measured" in summary_note(tracer.summary())


# ----- the Vault port: plain L1 misses its rare branch, the guided search reaches it ----------------------


RARE = "vault/vault_env.py:39 -> 40"


def _verify(port, guided: bool, bonus: float = 10.0, levels=("L1",)):
    from vault.jax_env import Vault

    from verify.runner import VerifyOptions, verify_port

    options = VerifyOptions(examples=40, episodes=5, guided=guided)
    report = verify_port(port, levels, options, env=Vault(bonus))
    return report, json.loads(report.to_json())


def test_plain_l1_misses_the_rare_branch_and_the_mutant_inside_it(vault):
    report, data = _verify(vault, guided=False, bonus=9.0, levels=("L1", "L3"))
    assert report.passed  # the mutant survives: no comparison ever opens the vault
    for level in ("L1", "L3"):
        coverage = data["levels"][level]["coverage"]
        assert (coverage["covered"], coverage["total"], coverage["unreachable"]) == (4, 6, 1)
        rare = [e for e in coverage["uncovered"] if e["branch"] == RARE]
        assert rare == [{"branch": RARE, "outcome": "true", "reason": None,
                         "source": "if self.armed and self.charge == 377 and self.position > 0.9:"}]
        render = [e for e in coverage["uncovered"] if e["reason"] is not None]
        assert render[0]["source"] == 'if self.render_mode == "human":' and render[0]["reason"].startswith("render")
        assert any(n.startswith("reference branch coverage 4/6") and RARE in n for n in data["levels"][level]["notes"])


def test_the_guided_search_reaches_the_rare_branch_and_catches_the_mutant(vault):
    report, data = _verify(vault, guided=True, bonus=9.0)
    failure = data["levels"]["L1"]["failures"][0]
    assert not report.passed and failure["check"] == "guided_branch"
    assert failure["branches"] == [RARE] and failure["field"] == "reward"
    assert failure["state"]["charge"] in (376, 377) and failure["state"]["armed"] is True
    report, data = _verify(vault, guided=True)  # the correct translation agrees in the rare branch
    coverage = data["levels"]["L1"]["coverage"]
    assert report.passed
    assert (coverage["covered"], coverage["total"]) == (5, 6)
    assert coverage["guided"]["before"] == {"covered": 4, "total": 6}
    assert coverage["guided"]["reached"] == [RARE] and coverage["guided"]["compared"] == 1
    assert [e["reason"] is not None for e in coverage["uncovered"]] == [True]  # only the declared render branch is left


def test_the_cli_shows_coverage_per_level_and_no_coverage_turns_it_off(vault, tmp_path):
    from typer.testing import CliRunner

    from recipe.cli import app

    runner = CliRunner()
    args = ["verify", "vault", "--levels", "L3", "--episodes", "3", "--json"]
    result = runner.invoke(app, [*args, str(tmp_path / "on.json")])
    assert result.exit_code == 0, result.output
    assert "branches 4/6" in result.output  # L3 takes neither the rare branch nor the declared render one
    assert json.loads((tmp_path / "on.json").read_text())["levels"]["L3"]["coverage"]["total"] == 6
    result = runner.invoke(app, [*args, str(tmp_path / "off.json"), "--no-coverage"])
    assert result.exit_code == 0, result.output
    level = json.loads((tmp_path / "off.json").read_text())["levels"]["L3"]
    assert level["coverage"] is None and "branches" not in result.output
    assert not any("branch coverage" in note for note in level["notes"])
