"""Mutation analysis: the mutants are well formed, the worker kills bad ones and times out hanging ones."""

import ast
import json
import time

import pytest

from envs import get_port
from verify.levels import MUTATION_LEVELS
from verify.mutation.analysis import STATUSES, mutants_for_port, run_mutation_analysis, select_mutants
from verify.mutation.fingerprint import same_program_mutants
from verify.mutation.generate import OPERATORS, generate_mutants
from verify.mutation.mutants import Mutant
from verify.mutation.pool import MutantWorker, WorkerOptions, run_worker
from verify.runner import VerifyOptions
from verify.variants import translation_source

CARTPOLE = get_port("cartpole")
FAST = dict(examples=30, episodes=3, policies=("uniform",))


@pytest.fixture(scope="module")
def cartpole_mutants():
    return mutants_for_port(CARTPOLE)


def test_every_operator_applies_to_cartpole_and_every_mutant_is_a_real_change(cartpole_mutants):
    original = translation_source(CARTPOLE)
    original_tree = ast.dump(ast.parse(original))
    assert {m.operator for m in cartpole_mutants.mutants} == set(OPERATORS)
    ids = [m.id for m in cartpole_mutants.mutants]
    assert len(ids) == len(set(ids))
    for m in cartpole_mutants.mutants:
        assert m.source != original
        assert ast.dump(ast.parse(m.source)) != original_tree, m.id


def test_each_diff_shows_one_change(cartpole_mutants):
    original_lines = translation_source(CARTPOLE).splitlines()
    for m in cartpole_mutants.mutants:
        assert m.diff.startswith("--- a/envs/classic_control/cartpole/jax_env.py\n+++ b/envs/classic_control/cartpole/jax_env.py\n"), m.id
        assert m.diff.count("\n@@ ") == 1, (m.id, m.diff)  # one hunk
        removed = [l[1:] for l in m.diff.splitlines()[3:] if l.startswith("-")]
        added = [l[1:] for l in m.diff.splitlines()[3:] if l.startswith("+")]
        assert removed and added
        assert removed[0] == original_lines[m.line - 1], m.id  # the mutant's line is the first one changed
        if len(removed) == 1 and m.operator != "drop_term":
            assert len(added) == 1


def test_operators_leave_the_rest_of_the_line_alone(cartpole_mutants):
    by_change = {
        (m.operator, "+" + line[1:].strip())
        for m in cartpole_mutants.mutants
        for line in m.diff.splitlines()[3:]
        if line.startswith("+")
    }
    assert ("where_swap", "+force = jnp.where(action == 1, -params.force_mag, params.force_mag)") in by_change
    assert ("float32", '+return {"reset_uniform": jax_random.uniform(key, (4,), jnp.float32)}') in by_change
    assert ("constant", "+gravity: float = 9.898000000000001") in by_change
    assert ("constant", "+gravity: float = 4.9") in by_change
    assert ("constant", "+max_steps_in_episode: int = 501") in by_change
    assert ("compare", "+| (x >= params.x_threshold)") in by_change
    assert ("sign", "+force = jnp.where(action == 1, params.force_mag, params.force_mag)") in by_change
    # not mutated: docstrings, imports, annotations, the spaces, `name`
    for m in cartpole_mutants.mutants:
        changed = "\n".join(l for l in m.diff.splitlines()[3:] if l[:1] in "+-")
        for untouchable in ("import", '"""', "CartPole-v1", "spaces.", "inf", ": jax.Array"):
            assert untouchable not in changed, (m.id, changed)


SMALL = '''
import jax.numpy as jnp
from envs.jax_env import JaxEnv, float_dtype


class Params:
    used: float = 2.0
    unused: float = 3.0
    zero: float = 0.0
    one: float = 1.0


class Env(JaxEnv):
    """Doc 1.5"""

    name = "X-v0"

    def transition(self, state, action, draws, params):
        a = state.x | state.y & state.z
        b = -state.x ** 2
        c = jnp.where(a & (state.v < 0), 0.0, state.v)
        d = jnp.where(state.v > 1, 0.0, state.v)
        e = jnp.cos(3 * state.p) + jnp.sin(3 * state.p)
        f = state.v >= params.zero
        g = state.q == 0
        h = state.v + 4.0 * params.one * state.p
        return jnp.where(a, params.used * b, 0.0).astype(float_dtype()), 1.0, a

    def observation_space(self, params=None):
        return 4.0 + 1.0


def helper_never_called(x):
    return x + 1
'''


def test_precedence_safe_edits_and_equivalence_rules():
    gen = generate_mutants(SMALL, class_name="Env")
    for m in gen.mutants:
        ast.parse(m.source)
    # '&' -> '|' inside 'x | y & z' must keep meaning 'x | (y | z)'
    swap = next(m for m in gen.mutants if m.operator == "logical" and m.description == "'&' -> '|'")
    line = next(l for l in swap.source.splitlines() if l.strip().startswith("a ="))
    assert ast.dump(ast.parse(line.strip())) == ast.dump(ast.parse("a = state.x | (state.y | state.z)"))
    # dropping the minus of -x ** 2 gives x ** 2; adding one to the product's factor exists once
    assert any(m.operator == "sign" and "b = state.x ** 2" in m.source for m in gen.mutants)
    assert sum(1 for m in gen.mutants if m.operator == "sign" and "-params.used" in m.source) == 1
    # a Params field nothing reads: equivalent, with the reason; a read one: not
    unused = [m for m in gen.mutants if m.description.startswith("3.0 -> ")]
    used = [m for m in gen.mutants if m.description.startswith("2.0 -> ")]
    assert len(unused) == len(used) == 2
    assert all(m.equivalent and "Params.unused" in m.equivalent for m in unused)
    assert all(m.equivalent is None for m in used)
    # '<' vs '<=' where both branches agree at the boundary: equivalent; elsewhere: not
    boundary = {m.description: m for m in gen.mutants if m.operator == "compare"}
    assert "state.v == 0" in boundary["'<' -> '<='"].equivalent
    assert boundary["'<' -> '>'"].equivalent is None
    assert boundary["'>' -> '>='"].equivalent is None  # at v == 1 the branches differ (0.0 vs 1)
    # a minus reaching only an even function's argument; a minus on a zero comparison operand
    signs = {m.description: m for m in gen.mutants if m.operator == "sign"}
    cos_sin = [m for m in gen.mutants if m.operator == "sign" and "'state.p' -> '-state.p'" == m.description]
    assert len(cos_sin) == 2
    assert sum(bool(m.equivalent) for m in cos_sin) == 1  # cos: equivalent; sin: not
    assert "jnp.cos" in next(m.equivalent for m in cos_sin if m.equivalent)
    assert "Params.zero" in signs["'params.zero' -> '-params.zero'"].equivalent
    assert signs["'state.v' -> '-state.v'"].equivalent is None
    assert "equality with zero" in signs["'state.q' -> '-state.q'"].equivalent  # g = -state.q == 0
    # at the default Params 4.0 * one == 4.0 / one: equivalent (only other Params expose it)
    fold = [m for m in gen.mutants if m.operator == "arith" and "4.0 / params.one" in m.source]
    assert len(fold) == 1 and "default Params" in fold[0].equivalent
    assert all(m.equivalent is None for m in gen.mutants if m.description.startswith("4.0 -> "))
    # not mutated: the docstring, the spaces, `name`, and functions the environment never calls
    assert not any(w in m.diff for m in gen.mutants for w in ("Doc", "4.0 + 1.0", "X-v0", "x + 1"))
    assert any("helper_never_called" in note for note in gen.skipped)


def test_max_steps_is_read_by_the_base_class_so_its_mutants_are_not_equivalent(cartpole_mutants):
    max_steps = [m for m in cartpole_mutants.mutants if m.description.startswith("500 -> ")]
    assert len(max_steps) == 2 and all(m.equivalent is None for m in max_steps)
    # the only equivalent CartPole mutant is the one a person reviewed (equivalent_mutants.toml)
    claimed = [m.equivalent for m in cartpole_mutants.mutants if m.equivalent]
    assert len(claimed) == 1 and claimed[0].startswith("reviewed: ")


def test_select_mutants_spreads_over_the_source(cartpole_mutants):
    picked = select_mutants(cartpole_mutants.mutants, 6)
    assert len(picked) == 6 and len({m.id for m in picked}) == 6
    assert picked[0].line < picked[-1].line
    assert select_mutants(cartpole_mutants.mutants, None) == cartpole_mutants.mutants


# ----- the worker (subprocesses) ----------------------------------------------


def test_mutants_that_trace_to_the_original_programs_are_found():
    original = translation_source(CARTPOLE)
    same = original.replace("steps_beyond_terminated=jnp.asarray(-1, int_dtype())", "steps_beyond_terminated=jnp.asarray(-1, jnp.int64)")
    other = original.replace("gravity: float = 9.8", "gravity: float = 9.81")
    broken = original.replace("def transition(self, state, action, draws, params):", "def transition(self, state, action, draws, params):\n        raise ValueError", 1)
    assert same != original and other != original and broken != original
    mutants = [Mutant(f"T{i}", "hand", 1, "", "", src) for i, src in enumerate((same, other, broken))]
    assert same_program_mutants(CARTPOLE, original, mutants, "CartPole") == {"T0"}  # x64: int_dtype() is int64



def test_compiled_fingerprints_see_through_index_clamping_but_not_a_changed_constant():
    original = translation_source(CARTPOLE)
    clamped = original.replace("theta_dot=values[3],", "theta_dot=values[4],", 1)  # JAX clamps a static index to the last element
    heavier = original.replace("gravity: float = 9.8", "gravity: float = 9.81", 1)
    stronger = original.replace("force = jnp.where(action == 1, params.force_mag, -params.force_mag)", "force = jnp.where(action == 1, params.force_mag, -2 * params.force_mag)", 1)
    assert len({original, clamped, heavier, stronger}) == 4
    mutants = [Mutant(f"C{i}", "hand", 1, "", "", src) for i, src in enumerate((clamped, heavier, stronger))]
    assert same_program_mutants(CARTPOLE, original, mutants, "CartPole", compiled=True) == {"C0"}
    assert same_program_mutants(CARTPOLE, original, mutants[:1], "CartPole") == set()  # the jaxprs differ


def test_a_mutant_that_does_not_import_is_killed_at_L0():
    source = translation_source(CARTPOLE).replace("class CartPole(JaxEnv):", "class CartPole(JaxEnv)", 1)
    out = run_worker("cartpole", source, timeout_s=120, **FAST)
    assert out.killed and out.level == "L0", out
    assert "SyntaxError" in out.message


def test_the_sign_of_force_mutant_is_killed_by_L1_or_L3(cartpole_mutants):
    mutant = next(
        m for m in cartpole_mutants.mutants
        if m.operator == "where_swap" and "force = jnp.where(action == 1, -params.force_mag, params.force_mag)" in m.source
    )
    out = run_worker("cartpole", mutant.source, class_name="CartPole", timeout_s=240, **FAST)
    assert out.killed and out.level in ("L1", "L3"), out
    assert "x_dot" in out.message or "theta_dot" in out.message


def test_a_narrowed_reset_draw_passes_the_lockstep_levels_and_is_killed_by_D():
    # Breakout's ball always starting on one side is an episode the reference can also play,
    # so L1 and L3 (which inject the draws) pass it; only the draws' distribution shows it.
    port = get_port("minatar-breakout")
    original = translation_source(port)
    narrowed = original.replace('randint(key, (), 0, 2)', 'randint(key, (), 1, 2)', 1)
    assert narrowed != original
    out = run_worker(port.name, narrowed, timeout_s=300, **FAST)  # the default levels end with D
    assert out.killed and out.level == "D", out  # so L0, L1 and L3, which run first, passed it
    assert set(out.level_seconds) == {"L0", "L1", "L3", "D"}
    assert "ball_start" in out.message, out


def test_a_hanging_mutant_is_stopped_as_a_timeout_within_the_limit_not_killed():
    source = translation_source(CARTPOLE) + "\nwhile True:\n    pass\n"
    start = time.perf_counter()
    out = run_worker("cartpole", source, timeout_s=15, **FAST)
    elapsed = time.perf_counter() - start
    assert not out.killed and not out.passed and out.level == "timeout", out
    assert elapsed < 15 + 10


def test_one_worker_serves_mutant_after_mutant_and_is_replaced_after_a_hang():
    original = translation_source(CARTPOLE)
    flipped = original.replace("(x > params.x_threshold)", "(x < params.x_threshold)", 1)
    hanging = original + "\nwhile True:\n    pass\n"
    assert flipped != original
    with MutantWorker("cartpole", WorkerOptions(class_name="CartPole", **FAST)) as worker:
        first = worker.verify(flipped, timeout_s=240)
        hung = worker.verify(hanging, timeout_s=10)
        survivor = worker.verify(original, timeout_s=240)  # the unmutated source, in a fresh worker
    assert first.killed and first.level in ("L1", "L3"), first
    assert not hung.killed and hung.level == "timeout" and hung.seconds < 10 + 5, hung
    assert not survivor.killed and survivor.level is None, survivor


def test_a_strictness_swap_on_a_termination_threshold_is_killed_by_L1(tmp_path):
    # x > 2.4 and x >= 2.4 differ only at x == 2.4 exactly; L1's edge states put x there at rest.
    from verify.lockstep import Lockstep
    from verify.properties import check_properties
    from verify.variants import edited_translation

    wrong = edited_translation(CARTPOLE, "(x > params.x_threshold)", "(x >= params.x_threshold)", tmp_path)
    result = check_properties(Lockstep(CARTPOLE, wrong), max_examples=100, harvest=0)
    assert not result.passed
    failure = result.failures[0]
    assert failure["state"]["x"] == 2.4
    assert {m["field"] for m in failure["mismatches"]} >= {"terminated"}, failure["mismatches"]


def test_run_mutation_analysis_counts_are_consistent_and_a_journal_resumes_it(tmp_path):
    messages = []
    journal = tmp_path / "journal.jsonl"
    analyse = lambda: run_mutation_analysis(
        CARTPOLE,
        max_mutants=4,
        timeout_s=240,
        workers=2,
        options=VerifyOptions(examples=30, episodes=3, policies=("uniform",)),
        progress=messages.append,
        check_original=False,  # the unmutated translation's own tests cover it; saves a full run
        journal=journal,
    )
    result = analyse()
    assert len(journal.read_text().splitlines()) == 4
    messages.clear()
    again = analyse()  # every verdict comes from the journal: nothing is verified again
    assert sum("(from the journal)" in m for m in messages) == 4
    assert [r["status"] for r in again["results"]] == [r["status"] for r in result["results"]]
    json.dumps(result)  # serialisable
    assert result["env"] == "cartpole" and result["backend"] == "jax"
    assert result["mutants"] == 4 == len(result["results"])
    assert sum(result[status] for status in STATUSES) == result["mutants"]
    assert sum(result["killed_by_level"].values()) == result["killed"]
    assert set(result["killed_by_level"]) == set(MUTATION_LEVELS)
    assert result["kill_rate"] == pytest.approx(result["killed"] / (result["mutants"] - result["equivalent"]))
    assert len(result["survivors"]) == result["survived"]
    assert result["original"] is None
    for r in result["results"]:
        assert {"id", "operator", "line", "diff", "status", "level", "message", "seconds"} <= set(r)
        assert r["status"] in ("killed", "survived", "equivalent"), r
        assert (r["level"] is not None) == (r["status"] == "killed")
    assert any("[4/4]" in m for m in messages)


def test_every_reviewed_equivalent_matches_exactly_one_generated_mutant():
    import tomllib

    from verify.mutation.equivalence import REVIEWED_EQUIVALENTS

    from verify.mutation.rust import rust_mutants_for_port

    entries = tomllib.loads(REVIEWED_EQUIVALENTS.read_text())["mutant"]
    assert entries and {e.get("backend", "jax") for e in entries} == {"jax", "rust"}
    generators = {"jax": mutants_for_port, "rust": rust_mutants_for_port}
    for port_name, backend in sorted({(e["port"], e.get("backend", "jax")) for e in entries}):
        marked = [m for m in generators[backend](get_port(port_name)).mutants if (m.equivalent or "").startswith("reviewed: ")]
        expected = [e for e in entries if e["port"] == port_name and e.get("backend", "jax") == backend]
        assert len(marked) == len(expected), (port_name, backend, [m.id for m in marked])
        assert {m.equivalent for m in marked} == {"reviewed: " + e["reason"] for e in expected}
