"""A JAX translation as a Gymnasium functional environment, and through it as a `gymnasium.Env`.

Gymnasium's `FuncEnv` splits a step into `transition`, `reward` and `terminal`; a translation's
`step_env_det` computes all three at once, so the functional state here is the translation's state
together with the last step's reward and termination flag (`PortFuncState`). The random numbers of
each call come from the key Gymnasium passes, through the translation's own `sample_draws`.

`gymnasium_env(env)` is Gymnasium's `FunctionalJaxEnv` over it, jitted, in a `TimeLimit` of the
translation's episode limit (as `gymnasium.make` would wrap it). Gymnasium's
`FunctionalJaxVectorEnv` is not supported: it indexes the state as one array (`state.at[...]`),
and a translation's state is a pytree; batch with `jax.vmap` over `reset`/`step` instead.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct
from gymnasium.envs.functional_jax_env import FunctionalJaxEnv
from gymnasium.experimental.functional import FuncEnv
from gymnasium.wrappers import TimeLimit


@struct.dataclass
class PortFuncState:
    """The translation's state and what the step that reached it returned."""

    env_state: Any
    reward: jax.Array
    terminated: jax.Array


class PortFuncEnv(FuncEnv):
    """Gymnasium's functional API over a `JaxEnv` (no auto-reset: Gymnasium's caller resets)."""

    def __init__(self, env, params=None):
        super().__init__()
        self.env = env
        self.params = env.default_params if params is None else params
        self.observation_space = env.observation_space(self.params).to_gymnasium()
        self.action_space = env.action_space(self.params).to_gymnasium()

    def initial(self, rng, params=None):
        """A new episode's state, from the translation's reset draws."""
        _, state = self.env.reset(rng, self.params)
        return PortFuncState(state, jnp.zeros((), jnp.result_type(float)), jnp.zeros((), bool))

    def transition(self, state, action, rng, params=None):
        """One step of the translation, without its auto-reset."""
        draws = self.env.sample_draws(rng, state.env_state, self.params)
        _, next_state, reward, terminated, _ = self.env.step_env_det(state.env_state, action, draws, self.params)
        return PortFuncState(next_state, reward, terminated)

    def observation(self, state, rng, params=None):
        return self.env.get_obs(state.env_state, self.params)

    def reward(self, state, action, next_state, rng, params=None):
        return next_state.reward

    def terminal(self, state, rng, params=None):
        return state.terminated


def gymnasium_env(env, params=None) -> TimeLimit:
    """The translation `env` as a `gymnasium.Env`: `FunctionalJaxEnv` (jitted) in its `TimeLimit`."""
    func_env = PortFuncEnv(env, params)
    limit = int(func_env.params.max_steps_in_episode)
    func_env.transform(jax.jit)
    return TimeLimit(FunctionalJaxEnv(func_env), max_episode_steps=limit)
