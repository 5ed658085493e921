"""The Pick game: a tiny environment with a legal-action mask (the masked PPO, benchmark and Rust recipe tests).

"Pick": `Discrete(4)` actions, of which two are legal at each step (the pair `b+2, b+3` mod 4,
for a random `b`); one of the legal two, `g`, is the target. The observation is `one_hot(g)`
followed by the mask (8 floats). Picking `g` pays +1, the other legal action 0, and an
illegal action -1000 and ends the episode; an episode is 5 steps. So a policy that ignores
the mask picks an illegal action half the time at first, and a mean return below 0 in an
update means some episode took an illegal action (at most 5 per episode can be gained).

The same game twice: `MaskedPick` (a JaxEnv whose port would declare `action_mask`) and
`MaskedPickGym` (a gymnasium.Env returning `info["action_mask"]`), which counts the illegal
actions it was given in the class attribute `illegal_taken`.
"""

from __future__ import annotations

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import spaces
from envs.jax_env import JaxEnv

N, EPISODE, ILLEGAL_REWARD = 4, 5, -1000.0


def legal(b):
    """The mask of blocked pair `b`: actions b and b+1 (mod 4) are illegal."""
    a = jnp.arange(N)
    return (a != b) & (a != (b + 1) % N)


@struct.dataclass
class State:
    g: jax.Array
    b: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = EPISODE


class MaskedPick(JaxEnv):
    """The Pick game in JAX; `has_action_mask` as a port declaring `Port.action_mask` sets it."""

    name = "masked-pick"
    has_action_mask = True

    @property
    def default_params(self):
        return Params()

    def _draws(self, key, phase):
        kb, kc = jax.random.split(key)
        return {f"{phase}_b": jax.random.randint(kb, (), 0, N), f"{phase}_c": jax.random.randint(kc, (), 0, 2)}

    def sample_reset_draws(self, key, params):
        return self._draws(key, "reset")

    def sample_step_draws(self, key, state, params):
        return self._draws(key, "step")

    def _state(self, draws, phase, time):
        b = draws[f"{phase}_b"]
        return State(g=(b + 2 + draws[f"{phase}_c"]) % N, b=b, time=time)

    def reset_det(self, draws, params):
        state = self._state(draws, "reset", jnp.asarray(0, jnp.int32))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        ok = legal(state.b)[action]
        reward = jnp.where(ok, (action == state.g).astype(jnp.float32), ILLEGAL_REWARD)
        return self._state(draws, "step", state.time), reward, ~ok

    def get_obs(self, state, params=None):
        return jnp.concatenate([jax.nn.one_hot(state.g, N), legal(state.b).astype(jnp.float32)])

    def action_mask(self, state, params=None):
        return legal(state.b)

    def step_det(self, state, action, draws, params=None):
        obs, state, reward, terminated, truncated, info = super().step_det(state, action, draws, params)
        return obs, state, reward, terminated, truncated, {**info, "action_mask": self.action_mask(state)}

    def action_space(self, params=None):
        return spaces.Discrete(N)

    def observation_space(self, params=None):
        return spaces.Box(0.0, 1.0, (2 * N,))


class UnmaskedPick(MaskedPick):
    """The same game with the mask not declared: PPO samples from all four actions."""

    has_action_mask = False


class MaskedPickGym(gymnasium.Env):
    """The Pick game as a Gymnasium env with `info["action_mask"]`."""

    illegal_taken = 0  # illegal actions given to any instance (class-wide, for the tests)

    def __init__(self):
        self.action_space = gymnasium.spaces.Discrete(N)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (2 * N,), np.float32)

    def _new_target(self):
        self.b = int(self.np_random.integers(0, N))
        self.g = (self.b + 2 + int(self.np_random.integers(0, 2))) % N

    def _mask(self):
        a = np.arange(N)
        return (a != self.b) & (a != (self.b + 1) % N)

    def _out(self):
        obs = np.concatenate([np.eye(N, dtype=np.float32)[self.g], self._mask().astype(np.float32)])
        return obs, {"action_mask": self._mask()}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        self._new_target()
        return self._out()

    def step(self, action):
        action = int(action)
        ok = bool(self._mask()[action])
        if not ok:
            MaskedPickGym.illegal_taken += 1
        reward = (1.0 if action == self.g else 0.0) if ok else ILLEGAL_REWARD
        self.t += 1
        self._new_target()
        obs, info = self._out()
        return obs, reward, not ok, self.t >= EPISODE, info


def pick_vector(num_envs: int) -> gymnasium.vector.SyncVectorEnv:
    """`num_envs` Gym Pick envs in Gymnasium's SAME_STEP auto-reset mode (as PPO's host backends are)."""
    from gymnasium.vector import AutoresetMode

    return gymnasium.vector.SyncVectorEnv([MaskedPickGym] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
