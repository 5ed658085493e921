"""Base class of the JAX translations: the gymnax 1.0 functional API with explicit draws.

A translation implements the environment's own logic only:

- `sample_reset_draws(key, params)` and `sample_step_draws(key, state, params)`:
  the random numbers of a reset and of a step, as small dicts of arrays;
- `reset_det(reset_draws, params) -> (obs, state)`;
- `transition(state, action, step_draws, params) -> (state, reward, terminated)`, or with a fourth
  value, `truncated`, for a game that ends itself at a limit of its own (a last turn);
- `get_obs(state, params)`, `action_space(params)`, `observation_space(params)`.

This base adds what every environment shares: the step counter and time-limit
truncation, same-step auto-reset with the final observation in `info`, and the
key-driven `reset`/`step` that PureJaxRL-style code calls.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from envs import jax_random


def float_dtype():
    """The compute float dtype: float64 under jax_enable_x64, float32 otherwise."""
    return jnp.result_type(float)


def int_dtype():
    """The default integer dtype (int64 under jax_enable_x64, int32 otherwise)."""
    return jnp.result_type(int)


def randint(key, shape, low, high, dtype=None):
    """Integers uniform in [low, high) (`high` may be traced), from one 32-bit random word each.

    `jax.random.randint` spends two keys and twice the bits on an exact range reduction; in a
    step that draws little else that is a large part of its cost. The remainder of a 32-bit word
    over the range biases each value by less than (high - low) / 2**32, far below what the draw
    tests (level D, alpha 1e-4) or any training run could see.
    """
    dtype = int_dtype() if dtype is None else dtype
    span = jnp.asarray(high - low, jnp.uint32)
    return (jax_random.bits(key, shape) % span).astype(dtype) + jnp.asarray(low, dtype)


def uniform_index(u, low, high):
    """`low + floor(u * (high - low))`: how an 'index' draw u in [0, 1) answers `integers(low, high)`
    (envs.spec.DrawSpec), exactly as the verifier's tape computes it from the same u.

    For float32 u (multiples of 2**-23, as `jax_random.uniform` makes them) the product is
    taken in integers, so the production build picks the index the float64 reference would
    (ranges up to 256); `high` may be traced.
    """
    u = jnp.asarray(u)
    span = jnp.asarray(high - low)
    if u.dtype == jnp.float32:
        index = (jnp.round(u * 2.0**23).astype(jnp.int32) * span.astype(jnp.int32)) >> 23
    else:
        index = jnp.floor(u * span).astype(int_dtype())
    return jnp.asarray(low) + jnp.minimum(index, span - 1)


class JaxEnv:
    """gymnax-style environment whose randomness is an explicit input (docs/design.md, "The port contract")."""

    name: str = "env"
    # Mirrors Port.action_mask: step_det then returns info["action_mask"] (the mask contract).
    has_action_mask: bool = False

    # ----- subclass API -------------------------------------------------
    @property
    def default_params(self) -> Any:
        raise NotImplementedError

    def sample_reset_draws(self, key: jax.Array, params) -> dict:
        raise NotImplementedError

    def sample_step_draws(self, key: jax.Array, state, params) -> dict:
        """The step's own random numbers; none by default (deterministic dynamics)."""
        return {}

    def reset_det(self, draws: dict, params) -> tuple[jax.Array, Any]:
        raise NotImplementedError

    def transition(self, state, action, draws: dict, params) -> tuple[Any, jax.Array, jax.Array]:
        raise NotImplementedError

    def get_obs(self, state, params) -> jax.Array:
        raise NotImplementedError

    def action_space(self, params=None):
        raise NotImplementedError

    def action_mask(self, state, params=None) -> jax.Array:
        """Legal actions in `state` as a bool vector over the discrete action space; all legal by default.

        A port with `Port.action_mask` overrides this; `step_det` then also returns the mask of the
        state it returns (after an auto-reset: the new episode's) as info["action_mask"].
        """
        params = self.default_params if params is None else params
        return jnp.ones((self.action_space(params).n,), dtype=bool)

    def observation_space(self, params=None):
        raise NotImplementedError

    # ----- shared machinery ---------------------------------------------
    def sample_draws(self, key: jax.Array, state, params=None) -> dict:
        """All draws one `step_det` may consume: the step's own and the auto-reset's.

        A step with no draws of its own (deterministic dynamics) leaves the whole key to the reset's
        draws: the split would be the largest part of a cheap step's hashing (XLA copies it into every
        fusion that reads a reset draw).
        """
        params = self.default_params if params is None else params
        k_step, k_reset = jax_random.split(key)
        step = self.sample_step_draws(k_step, state, params)
        return {"step": step, "reset": self.sample_reset_draws(k_reset if step else key, params)}

    def step_env_det(self, state, action, draws: dict, params=None):
        """One step without auto-reset: (obs, state, reward, terminated, truncated)."""
        params = self.default_params if params is None else params
        # A game with a limit of its own (a last turn) returns a fourth value, its own truncation.
        next_state, reward, terminated, *own = self.transition(state, action, draws["step"], params)
        # The counter keeps the state's dtype, whatever dtype an adapted implementation stores it in.
        next_state = next_state.replace(time=jnp.asarray(state.time + 1, jnp.asarray(state.time).dtype))
        truncated = next_state.time >= params.max_steps_in_episode
        if own:
            truncated = truncated | jnp.asarray(own[0], bool)
        obs = self.get_obs(next_state, params)
        return obs, next_state, reward, jnp.asarray(terminated), jnp.asarray(truncated)

    def step_det(self, state, action, draws: dict, params=None):
        """One step with same-step auto-reset, driven by explicit draws.

        Returns (obs, state, reward, terminated, truncated, info); when the episode
        ends, obs and state are the next episode's and info['final_obs'] is the last obs
        (also under gymnax's name, info['final_observation'], which its wrappers read).
        """
        params = self.default_params if params is None else params
        obs, next_state, reward, terminated, truncated = self.step_env_det(state, action, draws, params)
        _, reset_state = self.reset_det(draws["reset"], params)
        done = jnp.logical_or(terminated, truncated)
        state_out = jax.tree.map(lambda r, n: jnp.where(done, r, n), reset_state, next_state)
        # The observation of the state returned (not a select between two observations): a caller
        # that drops info['final_obs'] then computes one observation per step, not two.
        info = {"final_obs": obs, "final_observation": obs, **self.step_info(next_state, state_out, params)}
        return self.get_obs(state_out, params), state_out, reward, terminated, truncated, info

    def step_info(self, next_state, state_out, params) -> dict:
        """What `step_det` adds to info besides the final observation, from the step's own next state (before an
        auto-reset) and the state it returns: the mask of the state returned, for a masked port."""
        return {"action_mask": self.action_mask(state_out, params)} if self.has_action_mask else {}

    def reset(self, key: jax.Array, params=None):
        """gymnax API: (obs, state) of a new episode."""
        params = self.default_params if params is None else params
        return self.reset_det(self.sample_reset_draws(key, params), params)

    def step(self, key: jax.Array, state, action, params=None):
        """gymnax 1.0 API: (obs, state, reward, terminated, truncated, info), auto-resetting."""
        params = self.default_params if params is None else params
        return self.step_det(state, action, self.sample_draws(key, state, params), params)
