"""gymnax's MinAtar games as third-party candidates (`envport verify minatar-breakout --candidate gymnax:Breakout-MinAtar`).

gymnax draws a step's random numbers from the step's key inside `step_env`, so
they cannot be injected. The adapter makes the draws and the key agree instead:

- the key gymnax steps with is derived from the step's sticky-action draw;
- the game's draws are read back from what gymnax does with that key (the side,
  kind and slot of a spawn; the speeds and directions of a crossing), each mapped
  to a standard variate that leads the reference to the same outcome (a side "from
  the left" to a uniform below 1/2, say, itself drawn at random so the draws keep
  their distribution). A slot gymnax picks that is not free maps to an index
  outside the reference's range, which the tape rejects, naming the call;
- the sticky draw itself is drawn as the port draws it; gymnax has no sticky
  actions, so it ignores it: where the reference repeats the last action, the two
  diverge, and the verifier says so.

Resets are read back the same way (the ball's side, the cars' speeds) and built by
the port's own reset formula. `last_action`, which gymnax does not model, is left
out of the comparison. Observations are cast to bool (gymnax returns float32 0/1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import spaces
from envs.jax_env import JaxEnv, float_dtype, int_dtype
from envs.spec import Port

IGNORED = {"last_action": 0}


def _half(key, upper):
    """A uniform in [0.5, 1) where `upper`, else in [0, 0.5): any value gives the reference the same side."""
    u = jax.random.uniform(key, jnp.shape(upper), float_dtype(), 0.0, 0.5)
    return jnp.where(upper, 0.5 + u, u)


def _dirs(key, positive):
    """Uniforms whose sign(u - 0.5) is +1 where `positive` (never exactly 0.5), else -1."""
    u = jax.random.uniform(key, jnp.shape(positive), float_dtype(), 1e-9, 0.5)
    return jnp.where(positive, 0.5 + u, 0.5 - u)


# ----- per game: state layouts and read-back draws -----------------------------------------------


def _breakout_to(ours, g):
    return g.replace(**{n: getattr(ours, n) for n in ("ball_x", "ball_y", "ball_dir", "pos", "strike", "last_x", "last_y", "time", "terminal")},
                     brick_map=ours.brick_map.astype(g.brick_map.dtype))


def _breakout_from(g):
    names = ("ball_x", "ball_y", "ball_dir", "pos", "strike", "last_x", "last_y", "terminal", "time")
    out = {n: jnp.asarray(getattr(g, n)) for n in names}
    out["brick_map"] = jnp.asarray(g.brick_map) != 0
    return out


def _breakout_reset(key, g):
    return {"ball_start": (jnp.asarray(g.ball_x) == 9).astype(int_dtype())}


def _freeway_to(ours, g):
    cars = jnp.stack([ours.car_x, ours.car_y, ours.car_timer, ours.car_speed], axis=1).astype(g.cars.dtype)
    return g.replace(cars=cars, pos=ours.pos, move_timer=ours.move_timer, time=ours.time, terminal=ours.terminal)


def _freeway_from(g):
    cars = jnp.asarray(g.cars)
    time = jnp.asarray(g.time)
    return {"car_x": cars[:, 0], "car_y": cars[:, 1], "car_timer": cars[:, 2], "car_speed": cars[:, 3],
            "pos": jnp.asarray(g.pos), "move_timer": jnp.asarray(g.move_timer),
            "terminate_timer": 2500 - time,  # gymnax keeps no game clock of its own: its time stands for it
            "terminal": jnp.asarray(g.terminal), "time": time}


def _freeway_cars(key, cars):
    speed = cars[:, 3]
    return jnp.abs(speed).astype(int_dtype()), _dirs(key, speed > 0)


def _freeway_reset(key, g):
    speeds, dirs = _freeway_cars(key, jnp.asarray(g.cars))
    return {"car_speeds": speeds, "car_dirs": dirs}


def _freeway_step(key, gkey, g, module):
    # gymnax's own sampling in step_env (MinFreeway.step_env, gymnax 1.0.1), replayed with its key.
    k_speed, k_dirs = jax.random.split(gkey)
    speeds = jax.random.randint(k_speed, shape=(8,), minval=1, maxval=6)
    directions = jax.random.choice(k_dirs, jnp.array([-1, 1]), shape=(8,))
    return {"win_speeds": speeds.astype(int_dtype()), "win_dirs": _dirs(key, directions > 0)}


ENTITY_COLUMNS = ("ent_x", "ent_y", "ent_right", "ent_gold", "ent_alive")  # gymnax's entities[:, 0..4]
ASTERIX_COUNTERS = ("player_x", "player_y", "spawn_speed", "spawn_timer", "move_speed", "move_timer", "ramp_timer", "ramp_index", "time", "terminal")


def _asterix_to(ours, g):
    entities = jnp.stack([getattr(ours, c).astype(g.entities.dtype) for c in ENTITY_COLUMNS], axis=1)
    return g.replace(entities=entities, **{n: getattr(ours, n) for n in ASTERIX_COUNTERS})


def _asterix_from(g):
    e = jnp.asarray(g.entities)
    alive = e[:, 4] != 0
    out = {n: jnp.asarray(getattr(g, n)) for n in ASTERIX_COUNTERS}
    out.update(ent_alive=alive, ent_x=e[:, 0], ent_y=e[:, 1], ent_right=e[:, 2] != 0, ent_gold=e[:, 3] != 0)
    return out


def _asterix_step(key, gkey, g, module):
    entity, slot = module.spawn_entity(gkey, g)  # what gymnax spawns with this key
    free = jnp.asarray(g.entities)[:, 4] == 0
    rank = jnp.sum(free & (jnp.arange(8) < slot))
    k_side, k_gold = jax.random.split(key)
    gold_u = jax.random.uniform(k_gold, (), float_dtype())
    return {
        "spawn_right": _half(k_side, entity[2] == 0),  # lr = 1: from the left, the reference's u < 1/2
        "spawn_gold": jnp.where(entity[3] == 1, gold_u / 3, 1 / 3 + gold_u * 2 / 3),
        # A slot that is not free has no index among the free ones: out of the reference's range.
        "spawn_slot": jnp.where(free[slot], rank, jnp.sum(free)).astype(int_dtype()),
    }


INVADERS_COUNTERS = ("pos", "alien_dir", "enemy_move_interval", "alien_move_timer", "alien_shot_timer", "ramp_index", "shot_timer", "time", "terminal")
INVADERS_MAPS = ("alien_map", "f_bullet_map", "e_bullet_map")


def _space_invaders_to(ours, g):
    maps = {m: getattr(ours, m).astype(getattr(g, m).dtype) for m in INVADERS_MAPS}
    return g.replace(**maps, **{n: getattr(ours, n) for n in INVADERS_COUNTERS})


def _space_invaders_from(g):
    out = {n: jnp.asarray(getattr(g, n)) for n in INVADERS_COUNTERS}
    out.update({m: jnp.asarray(getattr(g, m)) != 0 for m in INVADERS_MAPS})
    return out


GAMES = {
    "minatar-breakout": (_breakout_to, _breakout_from, _breakout_reset, None),
    "minatar-freeway": (_freeway_to, _freeway_from, _freeway_reset, _freeway_step),
    "minatar-asterix": (_asterix_to, _asterix_from, lambda key, g: {}, _asterix_step),
    "minatar-space-invaders": (_space_invaders_to, _space_invaders_from, lambda key, g: {}, None),  # no game draws
}


class GymnaxMinAtarCandidate(JaxEnv):
    """A gymnax MinAtar game behind envport's contract, its randomness read back into the port's draws."""

    def __init__(self, port: Port, gymnax_env, gymnax_params):
        import importlib

        self.name = f"gymnax:{port.gymnax_id}"
        self._env, self._params = gymnax_env, gymnax_params
        self._module = importlib.import_module(type(gymnax_env).__module__)
        self._ours = port.make_jax()
        self._to, self._from, self._reset_inverse, self._step_inverse = GAMES[port.name]
        names = [f.name for f in port.state_fields if f.name not in IGNORED]
        self.State = struct.dataclass(type("State", (), {"__annotations__": {n: jax.Array for n in names}}))
        self._names = names

    @property
    def default_params(self):
        return self._params

    def _template(self):
        return self._env.reset_env(jax.random.PRNGKey(0), self._params)[1]

    def _state(self, values: dict):
        return self.State(**{n: values[n] for n in self._names})

    def _gkey(self, sticky):
        return jax.random.PRNGKey(jnp.floor(sticky * 2.0**31).astype(jnp.uint32))

    def sample_reset_draws(self, key, params):
        k_reset, k_map = jax.random.split(key)
        _, g = self._env.reset_env(k_reset, params)
        return self._reset_inverse(k_map, g)

    def sample_step_draws(self, key, state, params):
        k_sticky, k_map = jax.random.split(key)
        sticky = jax.random.uniform(k_sticky, (), float_dtype())
        draws = {"sticky": sticky}
        if self._step_inverse is not None:
            g = self._to(state, self._template())
            draws.update(self._step_inverse(k_map, self._gkey(sticky), g, self._module))
        return draws

    def reset_det(self, draws, params):
        _, ours = self._ours.reset_det(draws, self._ours.default_params)
        state = self._state({n: getattr(ours, n) for n in self._names})
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        g = self._to(state, self._template())
        _, g2, reward, done, _ = self._env.step_env(self._gkey(draws["sticky"]), g, action, params)
        values = self._from(g2)
        next_state = self._state({n: jnp.asarray(values[n], jnp.asarray(getattr(state, n)).dtype) for n in self._names})
        return next_state, jnp.asarray(reward, float_dtype()), jnp.asarray(done)

    def get_obs(self, state, params=None):
        return self._env.get_obs(self._to(state, self._template())).astype(bool)

    def action_space(self, params=None):
        return spaces.Discrete(int(self._env.action_space(self._params).n))

    def observation_space(self, params=None):
        return spaces.Box(False, True, tuple(self._env.obs_shape), jnp.bool_)


def gymnax_minatar_candidate(port: Port, env_id: str, **make_kwargs):
    """(candidate env, ignored fields) for `gymnax:<env_id>`; raises ValueError for a wrong id."""
    import gymnax

    if env_id != port.gymnax_id:
        raise ValueError(f"gymnax:{env_id} is not a translation of {port.name}; use gymnax:{port.gymnax_id}")
    genv, gparams = gymnax.make(env_id, **make_kwargs)
    return GymnaxMinAtarCandidate(port, genv, gparams), dict(IGNORED)
