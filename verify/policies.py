"""Action policies for lockstep rollouts: jittable functions (key, obs, prev_action, mask=None) -> action.

`mask` is the legal-action mask of the current state for a port with `Port.action_mask` (None
otherwise): the uniform and sticky policies then choose among legal actions only, so episodes
play the game rather than mostly its illegal-action rule (which L1 and L2 test from any state).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

Policy = Callable[..., jax.Array]


def _legal_choice(key, mask, dtype):
    """A uniformly random legal action (index of a True entry of `mask`; 0 when none is)."""
    logits = jnp.where(mask, 0.0, -jnp.inf)
    return jnp.where(mask.any(), jax.random.categorical(key, logits), 0).astype(dtype)


def uniform_policy(action_space: Any) -> Policy:
    """Uniformly random actions (legal ones, given a mask)."""

    def act(key, obs, prev_action, mask=None):
        sample = action_space.sample(key)
        return sample if mask is None else _legal_choice(key, mask, jnp.asarray(sample).dtype)

    return act


def sticky_policy(action_space: Any, repeat_prob: float = 0.8) -> Policy:
    """Repeat the previous action with probability `repeat_prob` (while it stays legal, given a mask):
    long pushes reach the state's edges."""

    def act(key, obs, prev_action, mask=None):
        k_repeat, k_new = jax.random.split(key)
        fresh = action_space.sample(k_new)
        repeat = jax.random.uniform(k_repeat) < repeat_prob
        if mask is not None:
            fresh = _legal_choice(k_new, mask, jnp.asarray(fresh).dtype)
            repeat = repeat & mask[jnp.clip(prev_action, 0, mask.shape[0] - 1)]
        return jnp.where(repeat, prev_action, fresh)

    return act


def goal_policy(fn: Callable[[jax.Array, jax.Array], jax.Array]) -> Policy:
    """A port's own heuristic that drives the environment to its rare events (goal, termination)."""

    def act(key, obs, prev_action, mask=None):
        return fn(key, obs).astype(prev_action.dtype)

    return act


def policies_for(port, env, params, names: tuple[str, ...] = ("uniform", "sticky", "goal")) -> dict[str, Policy]:
    """The named policies that apply to this port (`goal` only where the port defines one)."""
    space = env.action_space(params)
    found: dict[str, Policy] = {}
    for name in names:
        if name == "uniform":
            found[name] = uniform_policy(space)
        elif name == "sticky":
            found[name] = sticky_policy(space)
        elif name == "goal":
            if port.goal_policy is not None:
                found[name] = goal_policy(port.goal_policy)
        else:
            raise ValueError(f"unknown policy {name!r}; known: uniform, sticky, goal")
    return found
