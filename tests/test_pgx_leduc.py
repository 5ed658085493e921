"""Pgx's Leduc Hold'em as a third-party candidate for `rlcard-leduc-holdem` (examples/pgx_leduc/): the verifier
finds the rule differences its README lists, and the adapter itself adds none."""

from pathlib import Path

import jax
import numpy as np
import pytest

from envs import get_port
from verify.candidates import load_candidate
from verify.lockstep import Lockstep
from verify.runner import VerifyOptions, verify_port

pytest.importorskip("pgx", reason="Pgx is not installed: pip install 'envport[compare]' (setup.sh installs it)")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pgx_leduc"
PORT = get_port("rlcard-leduc-holdem")
OPTIONS = VerifyOptions(episodes=5, policies=("uniform",), coverage=False)


def test_pgx_as_shipped_differs_from_the_first_state_on_stakes_and_fold():
    from verify.compare import compare_outcomes

    candidate = load_candidate(PORT, str(EXAMPLE / "candidate.py"))
    lock = Lockstep(candidate.port_view(PORT), candidate.env)
    for seed in range(4):
        draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(seed), lock.params))
        ref, ours = lock.reference_reset(draws), lock.translation_reset(draws)
        first = int(draws["small_blind"])
        assert ref.state["in_chips"][first] == 1 and ref.state["in_chips"][1 - first] == 2  # RLCard's blinds
        assert list(ours.state["in_chips"]) == [1, 1]  # Pgx's antes
        assert ref.action_mask[2] and not ours.action_mask[2]  # RLCard lets the small blind fold; Pgx has no fold yet
        assert {m.field for m in compare_outcomes(lock.port, ref, ours, with_step=False)} >= {"state.in_chips", "action_mask"}


def test_with_rlcard_blinds_the_next_differences_show_and_the_deal_agrees():
    candidate = load_candidate(PORT, str(EXAMPLE / "candidate_rlcard_blinds.py"))
    lock = Lockstep(candidate.port_view(PORT), candidate.env)
    for seed in range(6):  # the adapter's own part: the deal and the observation layout agree with RLCard's at reset
        draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(seed), lock.params))
        ref, ours = lock.reference_reset(draws), lock.translation_reset(draws)
        np.testing.assert_array_equal(ref.obs, ours.obs)
        np.testing.assert_array_equal(ref.observations, ours.observations)
        for name in ("hands", "in_chips", "game_pointer", "deck"):
            np.testing.assert_array_equal(ref.state[name], ours.state[name])
    report = verify_port(PORT, ("L3",), OPTIONS, candidate=candidate)
    first = report.levels["L3"].failures[0]["message"]
    # past the opening: the second round's first player, or the fold before a bet (the README's list)
    assert "after reset" not in first and ("game_pointer" in first or "action_mask" in first), first
