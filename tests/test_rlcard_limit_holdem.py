"""The `rlcard-limit-holdem` port: its metadata's states on RLCard, and the JAX (and Rust) translation against RLCard
from the same states: the showdown boundaries (ties, split pots, the ace-low straight, flushes against full houses,
kickers), the raise cap, and the hand order itself against RLCard's `compare_hands` on random deals."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from rlcard.games.limitholdem.utils import compare_hands

from envs.rlcard.limit_holdem import PORT, SHOWDOWNS, canonical_state, showdown_states
from envs.rlcard.limit_holdem import reference as ref

jax.config.update("jax_enable_x64", True)


def _name(card: int) -> str:
    return ref.SUITS[card // 13] + ref.RANKS[card % 13]


def _generated(rng) -> dict:
    """A state drawn from the metadata's bounds, as L1 draws them before `canonical_state`."""
    out = {}
    for f in PORT.state_fields:
        if f.kind == "bool":
            out[f.name] = np.asarray(rng.random(f.shape) < 0.5)
        elif f.kind == "float":
            out[f.name] = rng.uniform(f.low, f.high, f.shape)
        else:
            out[f.name] = rng.integers(f.low, f.high + 1, f.shape).astype(np.int64)
    return out


def _reference_at(state: dict):
    env = PORT.make_reference()
    env.reset(seed=0)
    PORT.set_state(env, state)
    return env


def _jax_state(env, state: dict):
    fields = {f.name: jnp.asarray(state[f.name]) for f in PORT.state_fields}
    return type(env.reset(jax.random.PRNGKey(0))[1])(**fields)


def test_canonical_states_are_running_games_with_every_card_once():
    rng = np.random.default_rng(0)
    for _ in range(100):
        state = canonical_state(_generated(rng))
        cards = [*state["hands"].ravel(), *state["public_cards"][: state["public_count"]],
                 *state["deck"][: state["deck_count"]]]
        assert sorted(cards) == list(range(52))
        assert state["public_count"] == (0, 3, 4, 5)[int(state["round_counter"])]
        env = _reference_at(state)
        assert not env.facade.is_over()
        assert {k: v.tolist() for k, v in PORT.get_state(env).items()} == {k: np.asarray(v).tolist() for k, v in state.items()}


# player 0 wins (1), player 1 wins (-1) or a split (0), in SHOWDOWNS' order (its comments say which)
SHOWDOWN_WINNERS = [1, -1, -1, 0, 0, -1, -1, 1, 1, 1, 1, -1, -1, 0, 1, -1, 1, 1, 1, 1, 1, 1, -1, 1, -1, 1, -1]


def test_showdown_states_reach_rlcards_showdown_with_the_expected_winner():
    base = canonical_state(_generated(np.random.default_rng(1)))
    states = showdown_states([base])
    assert len(SHOWDOWN_WINNERS) == len(SHOWDOWNS)
    for i, sign in enumerate(SHOWDOWN_WINNERS):
        for state in states[2 * i: 2 * i + 2]:
            env = _reference_at(state)
            env.step(3)  # a check, the second of the last round: the showdown
            assert env.facade.is_over()
            rewards = env.facade.rewards()
            stake = min(state["in_chips"]) / 2
            assert rewards.tolist() == [sign * stake, -sign * stake], SHOWDOWNS[i]


def test_hand_order_matches_rlcards_compare_hands_on_random_deals():
    from envs.rlcard.limit_holdem.jax_env import hand_score

    rng = np.random.default_rng(2)
    # half from the whole deck, half from 16-card sub-decks (pairs, trips, flushes and straights are common there)
    deals = [rng.permutation(52)[:9] for _ in range(800)] + [rng.choice(rng.permutation(52)[:16], 9, replace=False)
                                                            for _ in range(800)]
    deals = np.asarray(deals)
    a, b = np.concatenate([deals[:, :2], deals[:, 4:]], 1), deals[:, 2:]
    score = jax.jit(jax.vmap(hand_score))
    sa, sb = np.asarray(score(jnp.asarray(a))), np.asarray(score(jnp.asarray(b)))
    for i in range(len(deals)):
        want = compare_hands([[_name(c) for c in a[i]], [_name(c) for c in b[i]]])
        assert [int(sa[i] >= sb[i]), int(sb[i] >= sa[i])] == want, ([_name(c) for c in a[i]], [_name(c) for c in b[i]])


@pytest.mark.parametrize("source", ["generated", "boundaries"])
def test_jax_steps_like_rlcard_from_the_same_state(source):
    env = PORT.make_jax()
    step = jax.jit(lambda s, a: env.step_env_det(s, a, {"step": {}, "reset": {}}))
    if source == "generated":
        rng = np.random.default_rng(3)
        states = [canonical_state(_generated(rng)) for _ in range(30)]
    else:
        states = showdown_states([canonical_state(_generated(np.random.default_rng(4)))])
    for state in states:
        for action in (0, 1, 2, 3, -1, 7):
            reference = _reference_at(state)
            if not -4 <= action < 4:  # RLCard raises IndexError there; the translation decodes it as illegal
                action_ref = 3 if reference.facade.legal_action_mask()[3] else 2
            else:
                action_ref = action
            actor = reference.facade.current_player
            obs_ref, reward_ref, term_ref, _, info_ref = reference.step(action_ref)
            obs, s, reward, term, trunc = step(_jax_state(env, state), action)
            got, want = {k: np.asarray(getattr(s, k)) for k in PORT.get_state(reference)}, PORT.get_state(reference)
            for k in want:
                assert np.array_equal(got[k], want[k]), (k, got[k], want[k], state, action)
            assert float(reward) == reward_ref == info_ref["rewards"][actor]
            assert bool(term) == term_ref and not bool(trunc)
            assert np.array_equal(np.asarray(obs), obs_ref)
            assert np.array_equal(np.asarray(env.action_mask(s)), info_ref["action_mask"])
            for p in range(2):
                assert np.array_equal(np.asarray(env.observe(s, p)), reference.facade.observe(p))


def test_rust_steps_like_rlcard_from_the_boundary_states():
    envport_rust = pytest.importorskip("envport_rust", reason="the Rust extension is not built (bash setup.sh)")
    if not hasattr(envport_rust, "RlcardLimitHoldem"):
        pytest.skip("this build of envport_rust predates the Limit Hold'em module (rebuild: bash setup.sh)")
    base = canonical_state(_generated(np.random.default_rng(5)))
    rng = np.random.default_rng(6)
    for state in showdown_states([base]) + [canonical_state(_generated(rng)) for _ in range(20)]:
        for action in range(4):
            reference = _reference_at(state)
            actor = reference.facade.current_player
            obs_ref, reward_ref, term_ref, _, info_ref = reference.step(action)
            game = envport_rust.RlcardLimitHoldem(seed=0)
            game.set_state({k: np.asarray(v) for k, v in state.items()})
            obs, reward, term, trunc = game.step(action)
            got, want = game.get_state(), PORT.get_state(reference)
            for k in want:
                assert np.array_equal(np.asarray(got[k]), want[k]), (k, got[k], want[k], action)
            assert reward == reward_ref == info_ref["rewards"][actor] and term == term_ref and not trunc
            assert np.array_equal(np.asarray(obs), obs_ref)
            assert np.array_equal(np.asarray(game.action_mask()), info_ref["action_mask"])


def test_float32_check_compares_the_rewards_array_element_by_element():
    from verify.float32 import run_float32_check

    result = run_float32_check(PORT.name, samples=60, seed=1, timeout_s=300)
    assert result.passed, result.failures if hasattr(result, "failures") else result
    assert result.checks >= 60


# ----- L3 under RLCard's rule agent (`limit-holdem-rule-v1`, envs.rlcard.rule_agent) ----------------------------------
def test_rule_agent_picks_legal_ids_the_same_every_time():
    make = PORT.extra["policies"]["rlcard-rule-v1"]
    env, games = PORT.make_reference(), []
    for agent in (make(), make()):
        actions = []
        for seed in range(40):
            _, info = env.reset(seed=seed)
            done = False
            while not done:
                action = agent(env)
                assert info["action_mask"][action], (seed, action)  # its fallbacks included (raise -> call, ...)
                actions.append(action)
                _, _, done, _, info = env.step(action)
        games.append(actions)
    assert games[0] == games[1] and {0, 1, 2} <= set(games[0])  # it calls, raises and folds


def test_l3_plays_a_hundred_games_under_rlcards_rule_agent():
    from verify.lockstep import Lockstep
    from verify.rollouts import check_rollouts

    result = check_rollouts(Lockstep(PORT), episodes=100, policies=(), seed=0)  # the port's agent only
    assert result.passed, result.failures
    assert "policy rlcard-rule-v1: 100 episodes" in " ".join(result.notes)


def test_l3_rule_agent_games_catch_a_fifth_raise():
    from envs.rlcard.limit_holdem.jax_env import LimitHoldem
    from verify.lockstep import Lockstep
    from verify.rollouts import check_rollouts

    class FiveRaises(LimitHoldem):
        """A wrong rule: a fifth raise in a betting round is legal (RLCard caps a round at four)."""

        def action_mask(self, state, params=None):
            mask = super().action_mask(state, params)
            return mask.at[1].set(mask[1] | (state.round_have_raised == 4))

    result = check_rollouts(Lockstep(PORT, FiveRaises()), episodes=100, policies=(), seed=0)
    assert not result.passed
    failure = result.failures[0]
    assert failure["policy"] == "rlcard-rule-v1" and failure["field"] == "action_mask"


def test_vmapped_steps_score_showdowns_as_rlcard_does():
    """The translation scores hands only in the games that reach a showdown (`where_done`): vmapped over the
    boundary showdowns, each game's final check pays what RLCard pays (`SHOWDOWN_WINNERS`)."""
    from envs.rlcard.limit_holdem.jax_env import State

    env = PORT.make_jax()
    rng = np.random.default_rng(7)
    states = showdown_states([canonical_state(_generated(rng))])[: 2 * len(SHOWDOWNS)]
    # and 154 running games: `where_done` then gathers the showdowns into a part of the batch
    running = [canonical_state(_generated(rng)) for _ in range(154)]
    batch = State(**{f.name: jnp.asarray(np.stack([s[f.name] for s in states + running])) for f in PORT.state_fields})
    out = jax.jit(jax.vmap(lambda s: env.step_env_det(s, 3, {"step": {}})))(batch)
    terminated, rewards = np.asarray(out[3]), np.asarray(out[1].rewards)
    assert terminated[: len(states)].all()
    for i, state in enumerate(states):
        sign, stake = SHOWDOWN_WINNERS[i // 2], min(state["in_chips"]) / 2
        assert rewards[i].tolist() == [sign * stake, -sign * stake], SHOWDOWNS[i // 2]
