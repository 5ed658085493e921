"""Action policies for lockstep rollouts: jittable functions (key, obs, prev_action) -> action."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

Policy = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]


def uniform_policy(action_space: Any) -> Policy:
    """Uniformly random actions."""

    def act(key, obs, prev_action):
        return action_space.sample(key)

    return act


def sticky_policy(action_space: Any, repeat_prob: float = 0.8) -> Policy:
    """Repeat the previous action with probability `repeat_prob`: long pushes reach the state's edges."""

    def act(key, obs, prev_action):
        k_repeat, k_new = jax.random.split(key)
        fresh = action_space.sample(k_new)
        return jnp.where(jax.random.uniform(k_repeat) < repeat_prob, prev_action, fresh)

    return act


def goal_policy(fn: Callable[[jax.Array, jax.Array], jax.Array]) -> Policy:
    """A port's own heuristic that drives the environment to its rare events (goal, termination)."""

    def act(key, obs, prev_action):
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
