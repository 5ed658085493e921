"""The turn-based contract: `envs.turn_based.TurnBasedJaxEnv` on a toy game, and RLCard's Gymnasium face."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs.rlcard.gym_face import TurnBasedGymEnv, port_state, swap_rng
from envs.rlcard.leduc_holdem import reference as leduc
from envs.spaces import Discrete
from envs.turn_based import TurnBasedJaxEnv
from verify.draw_samples import RecordingGenerator


@struct.dataclass
class RaceState:
    counter: jax.Array
    current_player: jax.Array
    rewards: jax.Array
    time: jax.Array


@struct.dataclass
class RaceParams:
    max_steps_in_episode: int = 100


class RaceToFive(TurnBasedJaxEnv):
    """Two players add 1 or 2 to a counter in turn; who brings it to 5 or more wins (+1, the other -1).
    The first player is drawn at reset. A player's observation: the counter and whether it is its turn."""

    @property
    def default_params(self):
        return RaceParams()

    def sample_reset_draws(self, key, params):
        return {"first": jax.random.randint(key, (), 0, 2)}

    def reset_det(self, draws, params):
        state = RaceState(jnp.int32(0), jnp.int32(draws["first"]), jnp.zeros(2), jnp.int32(0))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        counter = state.counter + action + 1
        won = counter >= 5
        me = state.current_player
        rewards = jnp.where(won, jnp.where(jnp.arange(2) == me, 1.0, -1.0), 0.0)
        return state.replace(counter=counter, current_player=1 - me, rewards=rewards), rewards[me], won

    def observe(self, state, player, params):
        return jnp.stack([state.counter, (player == state.current_player).astype(jnp.int32)])

    def action_mask(self, state, params=None):
        return jnp.ones(2, bool)

    def action_space(self, params=None):
        return Discrete(2)


def test_turn_based_step_reports_every_players_rewards_before_the_auto_reset():
    env = RaceToFive()
    params = env.default_params
    obs, state = env.reset(jax.random.key(0), params)
    first = int(state.current_player)
    assert obs.tolist() == [0, 1]  # the acting player's view
    assert env.observe_all(state, params).tolist() == [[0, int(first == 0)], [0, int(first == 1)]]
    step = jax.jit(env.step_det)
    draws = {"step": {}, "reset": {"first": jnp.int32(1 - first)}}
    for turn in range(3):  # 2 + 2 + 2 = 6 >= 5: the third action wins for the player who started
        obs, state, reward, terminated, truncated, info = step(state, 1, draws, params)
    assert bool(terminated) and float(reward) == 1.0
    expected = [-1.0, -1.0]
    expected[first] = 1.0
    assert info["rewards"].tolist() == expected  # the finished game's payoffs, not the reset state's zeros
    assert state.rewards.tolist() == [0.0, 0.0] and int(state.counter) == 0  # auto-reset
    assert int(info["current_player"]) == 1 - first == int(state.current_player)
    assert info["action_mask"].tolist() == [True, True]
    assert obs.tolist() == [0, 1]


def test_rlcard_face_plays_a_game_with_payoffs_at_the_end_and_routes_its_draws():
    env = TurnBasedGymEnv(leduc.make_reference())
    get_state, set_state = port_state(leduc)
    recorder = RecordingGenerator(np.random.default_rng(5))
    with swap_rng(env, recorder):
        obs, info = env.reset()
    # The deck's shuffle (a permutation of the 6 cards), then who posts the small blind.
    assert [(call[0], call.permutation, np.shape(call[1])) for call in recorder.record] == [
        ("integers", True, (6,)), ("integers", False, ())]
    assert obs.shape == (36,) and info["rewards"].tolist() == [0.0, 0.0]
    saved = get_state(env)
    while True:
        actor = info["current_player"]
        obs, reward, terminated, truncated, info = env.step(int(np.flatnonzero(info["action_mask"])[-1]))
        if terminated:
            break
        assert reward == 0.0 and info["rewards"].tolist() == [0.0, 0.0]
    assert reward == info["rewards"][actor] and sum(info["rewards"]) == 0.0 and reward != 0.0
    assert get_state(env)["rewards"].tolist() == info["rewards"].tolist()
    set_state(env, saved)  # rewards are derived: writing the dealt state back makes a running game again
    assert not env.facade.is_over() and get_state(env)["rewards"].tolist() == [0.0, 0.0]
