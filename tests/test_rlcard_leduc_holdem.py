"""The port rlcard-leduc-holdem: its canonical states, the verifier's turn-based checks (every player's observation,
L3 under RLCard's rule agent) on it, and its Rust translation's every-seat observations."""

import jax
import numpy as np
import pytest

pytest.importorskip("rlcard", reason="rlcard is not installed: `bash setup.sh` installs it (pyproject pins rlcard)")

from envs import get_port  # noqa: E402
from envs.rlcard.leduc_holdem.jax_env import LeducHoldem  # noqa: E402
from verify.compare import compare_outcomes  # noqa: E402
from verify.lockstep import Lockstep  # noqa: E402
from verify.rollouts import check_rollouts  # noqa: E402

PORT = get_port("rlcard-leduc-holdem")


def _played_states(games: int, seed: int = 0) -> list[dict]:
    """Every state before the end of `games` games of uniform legal play on the reference."""
    env, rng, states = PORT.make_reference(), np.random.default_rng(seed), []
    for g in range(games):
        _, info = env.reset(seed=seed + g)
        done = False
        while not done:
            states.append(PORT.get_state(env))
            _, _, done, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
    return states


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_canonical_state_leaves_every_reached_state_alone():
    states = _played_states(150)
    assert len(states) > 300
    assert all(_same(PORT.canonical_state(s), s) for s in states)


def test_canonical_state_makes_any_generated_state_a_game_rlcard_can_play_to_its_end():
    rng, env = np.random.default_rng(1), PORT.make_reference()
    env.reset(seed=0)
    for _ in range(300):
        state = {f.name: rng.integers(int(f.low), int(f.high) + 1, f.shape).astype(f.dtype) if f.kind == "int"
                 else np.asarray(rng.random() < 0.5) if f.kind == "bool" else np.zeros(f.shape) for f in PORT.state_fields}
        state = PORT.canonical_state(state)
        cards = [*state["hands"], *state["deck"][: int(state["deck_count"])]] + ([int(state["public_card"])] if state["round_counter"] else [])
        assert sorted(int(c) for c in cards) == list(range(6))
        for action in range(4):
            PORT.set_state(env, state)
            # one action held to the game's end (as L2's hold_action does): raises if the state were not a running
            # game with room in RLCard's observation for what is still to come (a player past 14 chips)
            for _ in range(12):
                _, _, done, _, _ = env.step(action)
                if done:
                    break
                assert np.all(env.observe_all().sum(axis=1) >= 3)


class _LeakyLeduc(LeducHoldem):
    """A translation whose waiting seat sees the acting seat's card: only every player's observation shows it."""

    def observe(self, state, player, params):
        obs = super().observe(state, player, params)
        waiting = player != state.game_pointer
        leak = jax.numpy.arange(36) == state.hands[state.game_pointer] // 2 + 3
        return jax.numpy.where(waiting & leak, 1.0, obs).astype(obs.dtype)


def test_lockstep_compares_every_players_observation():
    lock, honest = Lockstep(PORT, _LeakyLeduc()), Lockstep(PORT)
    state = next(s for s in _played_states(5) if int(s["round_counter"]) == 0)
    draws = lock.draws_for_state(jax.random.PRNGKey(0), state)
    action = 3 if PORT.make_jax().action_mask(lock.dict_to_state(state))[3] else 0
    expected = lock.reference_step(state, action, draws["step"])
    assert expected.observations.shape == (2, 36)
    fields = [m.field for m in compare_outcomes(PORT, expected, lock.translation_step(state, action, draws))]
    assert fields and all(f.startswith("observations[") for f in fields)  # the acting seat's own view agrees
    assert compare_outcomes(PORT, expected, honest.translation_step(state, action, draws)) == []


def test_l3_plays_a_hundred_games_under_rlcards_rule_agent():
    result = check_rollouts(Lockstep(PORT), episodes=100, policies=(), seed=0)  # the port's agent only
    assert result.passed, result.failures
    # rule-v1 raises while it may, so every game is the longest one: 2 raises and a call in each round
    assert "policy rlcard-rule-v1: 100 episodes, length mean 6.0 (min 6, max 6)" in " ".join(result.notes)


class _NoPairLeduc(LeducHoldem):
    """A wrong judge: pairing the public card counts for nothing (the highest rank wins)."""

    def _payoffs(self, hands, public, chips, status):
        return super()._payoffs(hands, jax.numpy.asarray(-2, public.dtype), chips, status)


def test_l3_rule_agent_games_catch_a_wrong_judge():
    result = check_rollouts(Lockstep(PORT, _NoPairLeduc()), episodes=30, policies=(), seed=0)
    assert not result.passed
    failure = result.failures[0]
    assert failure["policy"] == "rlcard-rule-v1" and failure["field"] in ("reward", "state.rewards")


def test_an_illegal_action_is_check_where_legal_else_fold():
    env = LeducHoldem()
    params = env.default_params
    _, state = env.reset_det({"deck": np.arange(6, dtype=np.int32), "small_blind": np.int32(0)}, params)
    # the small blind faces the big blind: check is illegal, so an illegal id (check itself, or 4 ids away) folds
    assert env.action_mask(state, params).tolist() == [True, True, True, False]
    for action in (3, -1, 7):
        after, reward, done = env.transition(state, action, {}, params)
        assert bool(done) and after.status.tolist() == [1, 0] and float(reward) == -0.5
    # -4..-1 index RLCard's action list the Python way: -4 is 'call', legal here, so it calls (no fold) on both sides
    reference = PORT.make_reference()
    reference.reset(seed=0)
    PORT.set_state(reference, Lockstep(PORT).state_to_dict(state))
    reference.step(-4)
    called, _, _ = env.transition(state, -4, {}, params)
    assert PORT.get_state(reference)["in_chips"].tolist() == called.in_chips.tolist() == [2, 2]
    after, _, done = env.transition(state, 0, {}, params)  # call: then the big blind may check
    assert not bool(done) and env.action_mask(after, params).tolist() == [False, True, True, True]


def test_the_port_declares_the_rule_agent_policy():
    assert set(PORT.extra["policies"]) == {"rlcard-rule-v1"}
    agent = PORT.extra["policies"]["rlcard-rule-v1"]()
    env = PORT.make_reference()
    for seed in range(20):
        _, info = env.reset(seed=seed)
        assert info["action_mask"][agent(env)]  # RLCard's rule agent picks a legal action at the start


def _rust_single():
    rust = pytest.importorskip("envport_rust", reason="the Rust extension is not built: `bash setup.sh` builds it")
    if not hasattr(rust, "RlcardLeducHoldem"):
        pytest.skip("this build of envport_rust predates the Leduc module: rebuild with `bash setup.sh`")
    return rust.RlcardLeducHoldem(seed=0)


def test_rust_reports_every_seat_and_the_derived_rewards_like_the_reference():
    game, reference, checked = _rust_single(), PORT.make_reference(), 0
    for state in _played_states(40, seed=3):
        for action in range(4):
            game.set_state({**state, "rewards": np.full(2, 9.0)})  # rewards are derived: a written value is ignored
            PORT.set_state(reference, state)
            game.step(action)
            reference.step(action)
            assert np.array_equal(game.observe_all(), reference.observe_all())
            assert np.array_equal(game.get_state()["rewards"], PORT.get_state(reference)["rewards"])
            checked += 1
    assert checked > 200 and game.observe_all().shape == (2, 36)
    assert "rewards" in game.state_fields


def test_seated_env_returns_the_learners_turn_and_its_whole_payoff():
    from envs.seated import SeatedJaxEnv

    for seat in (1,):  # seat 0 is what PPO trains (ppo/configs/rlcard-leduc-holdem.toml)
        env = SeatedJaxEnv(LeducHoldem(), seat=seat)
        n, params = 128, env.default_params
        _, states = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(jax.random.PRNGKey(seat), n), params)
        step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
        ended = 0
        for t in range(6):
            actions = np.full(n, 0)  # call: never a fold, so every game reaches a showdown or the opponent's fold
            obs, states, reward, done, _, info = step(jax.random.split(jax.random.PRNGKey(100 + t), n), states, actions, params)
            assert np.all(np.asarray(states.game_pointer) == seat)  # the learner's turn, also after an auto-reset
            assert np.array_equal(np.asarray(info["action_mask"]), np.asarray(jax.vmap(env.action_mask)(states)))
            seen = np.asarray(jax.vmap(lambda s: LeducHoldem().observe(s, seat, params))(states))
            assert np.array_equal(np.asarray(obs), seen)
            reward, done = np.asarray(reward), np.asarray(done)
            assert np.all(reward[~done] == 0.0) and np.all(reward[done] * 2 == np.round(reward[done] * 2))  # half big blinds
            ended += int(done.sum())
        assert ended > n  # several games each
    with pytest.raises(ValueError, match="seat 2"):
        SeatedJaxEnv(LeducHoldem(), seat=2)
