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
import numpy as np

from envs import jax_random
from envs.jax_batching import traced_leaves, where_done


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


# A reset drawing fewer numbers than this (a few uniforms, as classic control's) is cheaper recomputed for every env than
# gathered and scattered (docs/design.md, "The lazy auto-reset").
LAZY_RESET_MIN_DRAWS = 16


class JaxEnv:
    """gymnax-style environment whose randomness is an explicit input (docs/design.md, "The port contract")."""

    name: str = "env"
    # Mirrors Port.action_mask: step_det then returns info["action_mask"] (the mask contract).
    has_action_mask: bool = False
    # The key-driven step's auto-reset through `where_done` (True), eagerly for every env (False), or by the
    # reset's size (None: `uses_lazy_reset`). `step_det`, which the verifier drives with taped draws, is always eager.
    lazy_reset: bool | None = None
    # The lazy auto-reset's `where_done` capacity (None: its default, an eighth and a half of the batch); a game that
    # ends once in about 50 steps can name a smaller first gather.
    reset_capacity = None

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
        step, reset_key = self._step_draws_and_reset_key(key, state, params)
        return {"step": step, "reset": self.sample_reset_draws(reset_key, params)}

    def _step_draws_and_reset_key(self, key, state, params):
        """`sample_draws`' split of `key`: the step's own draws, and the key of the reset's draws."""
        k_step, k_reset = jax_random.split(key)
        step = self.sample_step_draws(k_step, state, params)
        return step, (k_reset if step else key)

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
        return self._auto_reset_out(obs, next_state, state_out, reward, terminated, truncated, params)

    def _auto_reset_out(self, obs, next_state, state_out, reward, terminated, truncated, params):
        """`step_det`'s return value once the auto-reset has chosen `state_out`."""
        # The observation of the state returned (not a select between two observations): a caller
        # that drops info['final_obs'] then computes one observation per step, not two.
        info = {"final_obs": obs, "final_observation": obs, **self.step_info(next_state, state_out, params)}
        return self.get_obs(state_out, params), state_out, reward, terminated, truncated, info

    def step_info(self, next_state, state_out, params) -> dict:
        """What `step_det` adds to info besides the final observation, from the step's own next state (before an
        auto-reset) and the state it returns: the mask of the state returned, for a masked port."""
        return {"action_mask": self.action_mask(state_out, params)} if self.has_action_mask else {}

    def reset(self, key: jax.Array, params=None):
        """gymnax API: (obs, state) of a new episode: `reset_det(sample_reset_draws(key))`. A port may override it
        with the same result computed its own way (a rare draw's work only where it is used); the key-driven `step`'s
        auto-reset calls it."""
        params = self.default_params if params is None else params
        return self.reset_det(self.sample_reset_draws(key, params), params)

    def step(self, key: jax.Array, state, action, params=None):
        """gymnax 1.0 API: (obs, state, reward, terminated, truncated, info), auto-resetting.

        The same result as `step_det(state, action, sample_draws(key, state, params))`, bit for bit. With
        `uses_lazy_reset`, the new episode (its draws and `reset_det`) goes through `jax_batching.where_done`: under
        `vmap` it is computed only for the environments whose episode ended.
        """
        params = self.default_params if params is None else params
        if not self.uses_lazy_reset(params):
            return self.step_det(state, action, self.sample_draws(key, state, params), params)
        step_draws, reset_key = self._step_draws_and_reset_key(key, state, params)
        obs, next_state, reward, terminated, truncated = self.step_env_det(state, action, {"step": step_draws}, params)
        # Traced params (a jit argument, or vmapped) reach the reset as arguments, the rest stays static as it is.
        traced, rebuild = traced_leaves(params)

        def fresh(k, values):
            return self.reset(k, rebuild(values))[1]  # a port's own `reset` (the same state, computed its way) counts

        done = jnp.logical_or(terminated, truncated)
        state_out = where_done(done, fresh, next_state, reset_key, traced, capacity=self.reset_capacity)
        return self._auto_reset_out(obs, next_state, state_out, reward, terminated, truncated, params)

    def uses_lazy_reset(self, params=None) -> bool:
        """Whether the key-driven `step` computes its auto-reset lazily: `lazy_reset`, or by default when a reset
        draws at least `LAZY_RESET_MIN_DRAWS` numbers (a shuffled deck, not a few uniforms); never for a port whose
        own `sample_draws` splits the key differently."""
        if type(self).sample_draws is not JaxEnv.sample_draws:
            return False  # draws split its own way (MinAtar's): only `sample_draws` knows the reset's key
        if self.lazy_reset is not None:
            return bool(self.lazy_reset)
        params = self.default_params if params is None else params
        draws = jax.eval_shape(lambda k: self.sample_reset_draws(k, params), jax.random.PRNGKey(0))
        return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(draws)) >= LAZY_RESET_MIN_DRAWS
