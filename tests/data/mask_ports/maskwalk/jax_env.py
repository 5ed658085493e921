"""MaskWalk in JAX: the translation of the test port's reference (dtype-generic, integer state)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random, spaces
from envs.jax_env import JaxEnv, float_dtype, int_dtype, uniform_index

CELLS, MONSTERS, DECK, WIN, HITS = 8, 4, 6, 5, 3


@struct.dataclass
class State:
    pos: jax.Array
    hp: jax.Array
    deck: jax.Array
    deck_pos: jax.Array
    score: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 30


def _int(x):
    return jnp.asarray(x, int_dtype())


class MaskWalk(JaxEnv):
    """The walker, its monsters and its deck."""

    name = "MaskWalk-v0"
    has_action_mask = True

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"order": jax_random.permutation(key, DECK).astype(int_dtype())}

    def sample_step_draws(self, key, state, params):
        k_picks, k_bonus = jax_random.split(key)
        # up to 3 volley hits and one revival: the reference asks for as many as it needs, in order
        return {"picks": jax_random.uniform(k_picks, (HITS + 1,), float_dtype()), "bonus": jax_random.uniform(k_bonus, (), float_dtype())}

    def reset_det(self, draws, params):
        deck = _int(draws["order"])
        state = State(pos=_int(0), hp=1 + deck[:MONSTERS] % 3, deck=deck, deck_pos=_int(0), score=_int(0), time=_int(0))
        return self.get_obs(state, params), state

    def legal(self, state):
        """The actions legal in a running episode."""
        return jnp.stack([jnp.bool_(True), state.pos > 0, state.pos < CELLS - 1, state.pos % 2 == 0, state.deck_pos < DECK, state.score >= 2])

    def action_mask(self, state, params=None):
        params = self.default_params if params is None else params
        final = (state.score >= WIN) | (state.time >= params.max_steps_in_episode)
        return jnp.where(final, jnp.arange(6) == 0, self.legal(state))

    def hit_targets(self, alive):
        """k: the targets of one hit, the living monsters and the walker."""
        return alive.sum() + 1

    def takes_draw(self, k):
        """Whether a hit among k targets draws (the reference draws only when there is a choice)."""
        return k >= 2

    def volley(self, hp, score, picks):
        """Three hits; returns (hp, score, picks used)."""
        used = _int(0)
        for _ in range(HITS):
            alive = hp > 0
            k = self.hit_targets(alive)
            draws = self.takes_draw(k)
            target = jnp.where(draws, uniform_index(picks[used], 0, k), 0)
            used = used + draws
            hit = alive & (jnp.cumsum(alive) - 1 == target)
            hp = hp - hit
            score = score + (hit & (hp == 0)).any() - (target >= alive.sum())
        return hp, score, used

    def transition(self, state, action, draws, params):
        mask = self.action_mask(state, params)
        valid = (action >= 0) & (action < 6) & mask[jnp.clip(action, 0, 5)]
        a = jnp.where(valid, action, 0)
        picks = draws["picks"]
        v_hp, v_score, used = self.volley(state.hp, state.score, picks)
        card = state.deck[jnp.minimum(state.deck_pos, DECK - 1)] % MONSTERS
        drawn_hp = state.hp.at[card].set(jnp.minimum(3, state.hp[card] + 1))
        hp = jnp.where(a == 3, v_hp, jnp.where(a == 4, drawn_hp, state.hp))
        score = jnp.where(a == 3, v_score, jnp.where(a == 5, state.score - 2, state.score))
        used = jnp.where(a == 3, used, 0)
        pos = jnp.where(a == 5, 0, state.pos - (a == 1) + (a == 2))
        deck_pos = state.deck_pos + (a == 4)
        dead = hp <= 0
        m = dead.sum()
        j = jnp.where(m >= 2, uniform_index(picks[used], 0, jnp.maximum(m, 1)), 0)
        revive = (pos % 2 == 0) & dead & (jnp.cumsum(dead) - 1 == j)
        hp = jnp.where(revive, 1, hp)
        score = score + (draws["bonus"] < 0.25)
        next_state = state.replace(pos=_int(pos), hp=_int(hp), deck_pos=_int(deck_pos), score=_int(score))
        return next_state, (next_state.score - state.score).astype(float_dtype()), next_state.score >= WIN

    def get_obs(self, state, params=None):
        upcoming = jnp.where(state.deck_pos < DECK, state.deck[jnp.minimum(state.deck_pos, DECK - 1)], -1)
        return jnp.concatenate([state.pos[None], state.hp, state.deck_pos[None], state.score[None], state.time[None], upcoming[None]]).astype(jnp.int8)

    def action_space(self, params=None):
        return spaces.Discrete(6)

    def observation_space(self, params=None):
        return spaces.Box(-128, 127, (9,), jnp.int8)
