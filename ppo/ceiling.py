"""The `ceiling` bench backend: a port's own physics under the least work its contract asks for.

`envport bench` steps a JAX translation through the gymnax API, one key per environment per step,
which the translation splits into its draws. The ceiling steps the same `transition`, `reset_det`
and `get_obs` of the same translation, batched, with only what the contract needs around them:

- one key per batch and step: the actions come from one random word per environment (the bench's
  own action draw), and each draw of the port's metadata is sampled for the whole batch at once
  (`uniform` and `normal` draws; a phase with an `integers` draw, whose range only the port's
  sampler knows, is sampled by that sampler, vmapped over keys split once per batch);
- the step counter, the time-limit truncation and the same-step auto-reset (the reset's state
  selected where the episode ended), with no final observation (a masked port's `info` has its
  legal-action mask, which the bench's random legal actions read).

Nothing here is specific to an environment, so the ratio of the `jax` row to the `ceiling` row
says how much the per-environment API and the translation's own randomness plumbing cost.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs import jax_random


def _batched_draws(port, phase: str, sampler, key, batch_size: int):
    """The draws of `phase` for a whole batch from one key: {name: array of shape (batch, *shape)}.

    `sampler(keys)` is the port's own sampler vmapped over per-environment keys; it gives the
    structure (names, shapes, dtypes) and samples a phase that has a draw of another kind.
    """
    keys = jax.ShapeDtypeStruct((batch_size, *jax.random.PRNGKey(0).shape), jnp.uint32)
    shapes = jax.eval_shape(sampler, keys)
    specs = {d.name: d for d in port.draws_for(phase)}
    if not shapes:
        return {}
    if any(name not in specs or specs[name].kind not in ("uniform", "normal") for name in shapes):
        return sampler(jax_random.split(key, batch_size))
    out = {}
    for i, (name, shape) in enumerate(sorted(shapes.items())):
        k = jax.random.fold_in(key, i)
        if specs[name].kind == "uniform":
            out[name] = jax_random.uniform(k, shape.shape, shape.dtype)
        else:
            out[name] = jax.random.normal(k, shape.shape, shape.dtype)
    return out


def ceiling_env(port, env, params, batch_size: int):
    """(reset, step) of `batch_size` environments of `env` (the JAX translation of `port`).

    `reset(key) -> (obs, states)`; `step(key, states, actions) -> (obs, states, reward,
    terminated, truncated, info)`, each over the whole batch and each taking one key for the batch;
    `info` holds only what the contract asks of a masked port: the legal-action mask of each state.
    """
    masked = bool(getattr(port, "action_mask", False))

    def reset_draws(key):
        return _batched_draws(port, "reset", jax.vmap(lambda k: env.sample_reset_draws(k, params)), key, batch_size)

    def reset(key):
        return jax.vmap(lambda d: env.reset_det(d, params))(reset_draws(key))

    def one(state, action, step_draws, reset_draw):
        next_state, reward, terminated = env.transition(state, action, step_draws, params)
        next_state = next_state.replace(time=jnp.asarray(state.time + 1, jnp.asarray(state.time).dtype))
        truncated = next_state.time >= params.max_steps_in_episode
        _, reset_state = env.reset_det(reset_draw, params)
        done = jnp.logical_or(terminated, truncated)
        state = jax.tree.map(lambda r, n: jnp.where(done, r, n), reset_state, next_state)
        info = {"action_mask": env.action_mask(state, params)} if masked else {}
        return env.get_obs(state, params), state, reward, terminated, truncated, info

    def step(key, states, actions):
        k_step, k_reset = jax_random.split(key)
        sample_step = jax.vmap(lambda k, s: env.sample_step_draws(k, s, params))
        step_draws = _batched_draws(port, "step", lambda keys: sample_step(keys, states), k_step, batch_size)
        return jax.vmap(one)(states, actions, step_draws, reset_draws(k_reset))

    return reset, step
