"""The Gymnasium-style face of a turn-based JAX game for training one seat (docs/design.md, section 9).

`SeatedJaxEnv(env, seat)` is a single-agent `JaxEnv` over a `TurnBasedJaxEnv`: the learner plays `seat`, and inside
`reset` and `step` every other seat plays a uniformly random legal action until it is the learner's turn again or
the game ends. The observation is the learner's (`env.observe(state, seat)`), the mask the learner's legal actions,
and a step's reward the learner's rewards summed over its own action and the others' that follow (a card game's
payoff arrives when the game ends, whoever ended it). Auto-reset as in `JaxEnv`, with `info["final_obs"]`; the new
game is computed only where one ended (`envs.jax_batching.where_done`) when the game's own step does that.

A game that ends before the learner acts at all (the opponent folds first) is dealt again inside `reset`: an episode
needs at least one action of the learner, so payoffs measured here are per game in which the learner acts.

Training only: randomness comes from the key (`reset(key)`, `step(key, ...)`); there are no explicit draws to verify.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.jax_batching import traced_leaves, where_done
from envs.jax_env import JaxEnv
from envs.turn_based import TurnBasedJaxEnv


class SeatedJaxEnv(JaxEnv):
    """`env` seen from `seat`, the other seats uniformly random legal players (module docstring)."""

    has_action_mask = True

    def __init__(self, env: TurnBasedJaxEnv, seat: int = 0, max_turns: int = 256):
        if not 0 <= seat < env.num_players:
            raise ValueError(f"seat {seat} is outside the game's seats 0..{env.num_players - 1}")
        self.env, self.seat, self.max_turns = env, seat, max_turns
        self.name = f"{env.name}-seat{seat}"

    @property
    def default_params(self):
        return self.env.default_params

    def action_space(self, params=None):
        return self.env.action_space(params)

    def observation_space(self, params=None):
        return self.env.observation_space(params)

    def action_mask(self, state, params=None):
        """The learner's legal actions (it is the learner's turn in every state this env returns)."""
        return self.env.action_mask(state, self.default_params if params is None else params)

    def get_obs(self, state, params=None):
        return self.env.observe(state, self.seat, self.default_params if params is None else params)

    def _others(self, key, state, done, params):
        """The other seats' uniformly random legal actions until the learner's turn or the end: (state, the
        learner's rewards summed, done)."""
        env = self.env

        def waiting(carry):
            _, s, _, over, n = carry
            return ~over & (env.current_player(s) != self.seat) & (n < self.max_turns)

        def play(carry):
            k, s, total, _, n = carry
            k, k_act, k_draw = jax.random.split(k, 3)
            legal = env.action_mask(s, params)
            action = jax.random.categorical(k_act, jnp.where(legal, 0.0, -jnp.inf)).astype(jnp.int32)
            _, s, _, term, trunc = env.step_env_det(s, action, env.sample_draws(k_draw, s, params), params)
            return k, s, total + s.rewards[self.seat], term | trunc, n + 1

        zero = jnp.zeros((), jnp.result_type(float))
        _, state, total, done, _ = jax.lax.while_loop(waiting, play, (key, state, zero, jnp.asarray(done), 0))
        return state, total, done

    def reset(self, key, params=None):
        """A game at the learner's first turn (games the others end first are dealt again)."""
        params = self.default_params if params is None else params

        def deal(carry):
            k, _, _ = carry
            k, k_reset, k_others = jax.random.split(k, 3)
            _, state = self.env.reset(k_reset, params)
            state, _, done = self._others(k_others, state, False, params)
            return k, state, done

        _, state, _ = jax.lax.while_loop(lambda c: c[2], deal, deal((key, self.env.reset(key, params)[1], True)))
        return self.get_obs(state, params), state

    def step(self, key, state, action, params=None):
        """The learner's action, then the others' until its next turn; auto-resets when the game ends."""
        params = self.default_params if params is None else params
        k_draw, k_others, k_reset = jax.random.split(key, 3)
        env = self.env
        _, nxt, _, term, trunc = env.step_env_det(state, action, env.sample_draws(k_draw, state, params), params)
        reward = nxt.rewards[self.seat]
        nxt, more, over = self._others(k_others, nxt, term | trunc, params)
        done = term | trunc | over
        final_obs = self.get_obs(nxt, params)
        if self.env.uses_lazy_reset(params):  # the new game only where one ended (envs.jax_batching.where_done)
            traced, rebuild = traced_leaves(params)
            obs, state_out = where_done(done, lambda k, values: self.reset(k, rebuild(values)), (final_obs, nxt), k_reset, traced)
        else:
            obs_reset, fresh = self.reset(k_reset, params)
            obs = jnp.where(done, obs_reset, final_obs)
            state_out = jax.tree.map(lambda r, n: jnp.where(done, r, n), fresh, nxt)
        info = {"final_obs": final_obs, "final_observation": final_obs, "action_mask": self.action_mask(state_out, params)}
        return obs, state_out, reward + more, done, jnp.asarray(False), info
