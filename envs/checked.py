"""A checked mode for the JAX translations: an action outside the action space raises a clear error.

A translation cannot raise inside `jit`, so by contract it treats an invalid action somehow (each port's
`invalid_action` says how: clipped, or read as another action). While debugging your own code that is a silent
bug; `checked(env)` wraps a translation so that `step`, `step_det` and `step_env_det` check the action first with
`jax.experimental.checkify`:

- `Discrete(n)`: the action must have an integer dtype (a float or bool raises `TypeError` when traced) and lie in
  0 .. n-1;
- `Box`: the action must have the space's shape (`ValueError` when traced) and lie within the bounds, NaN excluded.

Called eagerly, a failing check raises at once: a `ValueError` (checkify's `JaxRuntimeError`, a subclass, as the
Rust translations raise `ValueError`) naming the action and the space as Gymnasium prints it. Under `jit`, `vmap` or
`scan` the checks must be functionalised: wrap the outermost function with `checked_call`, which runs it through
`checkify.checkify` and raises after it returns:

    env = checked(get_port("cartpole").make_jax())
    step = checked_call(jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None))))
    step(keys, states, actions, params)  # ValueError: action 2 is outside Discrete(2): valid actions are 0 and 1

The checks cost a comparison per step; leave them out of training runs (use the env itself).
"""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp
from jax.experimental import checkify

from envs import spaces


def _valid_text(n: int) -> str:
    """The actions of Discrete(n) as a reader says them, as the Rust translations' errors do."""
    if n <= 1:
        return "0" if n == 1 else "none"
    if n <= 3:
        return ", ".join(map(str, range(n - 1))) + f" and {n - 1}"
    return f"the integers 0 to {n - 1}"


def check_action(space: Any, action: Any) -> None:
    """Insert the checks that `action` lies in `space` (an envs.spaces Discrete or Box) into the computation."""
    action = jnp.asarray(action)
    if isinstance(space, spaces.Discrete):
        shown = f"Discrete({space.n})"
        if action.dtype.kind not in "iu":
            raise TypeError(f"action of dtype {action.dtype} for {shown}: a discrete action must be an integer")
        if action.shape != ():
            raise ValueError(f"action of shape {action.shape} for {shown}: a discrete action is a scalar")
        valid = (action >= 0) & (action < space.n)
        checkify.check(valid, f"action {{}} is outside {shown}: valid actions are {_valid_text(space.n)}", action)
    elif isinstance(space, spaces.Box):
        # The bounds may come from traced Params: they are printed when the check fails, as Gymnasium prints a Box.
        shown = f"Box({{}}, {{}}, {tuple(space.shape)}, {jnp.dtype(space.dtype).name})"
        if tuple(action.shape) != tuple(space.shape):
            raise ValueError(
                f"action of shape {tuple(action.shape)} for a Box of shape {tuple(space.shape)}: it must have that shape"
            )
        low, high = jnp.asarray(space.low), jnp.asarray(space.high)
        valid = jnp.all((action >= low) & (action <= high))  # False for NaN
        message = f"action {{}} is outside {shown}: every element must lie within the bounds"
        checkify.check(valid, message, action, low, high)
    else:
        raise TypeError(f"checked mode knows Discrete and Box action spaces, not {type(space).__name__}")


class CheckedEnv:
    """A JAX translation whose steps check their action first (see the module docstring); everything else is the
    wrapped env's (`env`)."""

    def __init__(self, env: Any):
        self.env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)

    def _check(self, action: Any, params: Any) -> None:
        check_action(self.env.action_space(self.env.default_params if params is None else params), action)

    def step(self, key, state, action, params=None):
        """`env.step`, after checking the action."""
        self._check(action, params)
        return self.env.step(key, state, action, params)

    def step_det(self, state, action, draws, params=None):
        """`env.step_det`, after checking the action."""
        self._check(action, params)
        return self.env.step_det(state, action, draws, params)

    def step_env_det(self, state, action, draws, params=None):
        """`env.step_env_det`, after checking the action."""
        self._check(action, params)
        return self.env.step_env_det(state, action, draws, params)


def checked(env: Any) -> CheckedEnv:
    """`env` (a JaxEnv) in checked mode: its steps raise on an action outside its action space."""
    return env if isinstance(env, CheckedEnv) else CheckedEnv(env)


def checked_call(fn: Callable) -> Callable:
    """`fn` (jitted, vmapped, scanned: any JAX function that steps a checked env) with its checks functionalised:
    it returns what `fn` returns, or raises the first failed check's error after running."""
    run = checkify.checkify(fn)

    def call(*args, **kwargs):
        error, out = run(*args, **kwargs)
        error.throw()
        return out

    return call
