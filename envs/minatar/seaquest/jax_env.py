"""MinAtar Seaquest in JAX, translated from minatar.environments.seaquest.Env (MinAtar 1.0.15).

The player's submarine (front and back cell) moves in rows 0-8 and fires sideways
(cool-down 5). Enemy fish and submarines appear at the left or right edge of a random
row 1-8 every `e_spawn_speed` steps (not in a row where one moves the other way) and
cross the screen; enemy submarines fire every 11 steps. Divers appear every 30 steps;
the player picks them up (at most 6). Oxygen (200) runs down below the surface; coming
up with divers costs one diver and refills it (with 6: all divers and +1 per tenth of
oxygen left) and raises the difficulty; coming up with none, running out of oxygen, or
touching an enemy, its bullet ends the game. +1 per enemy shot.

The reference keeps its objects in Python lists, iterated in reverse while items are
removed with `list.remove` (first *equal* item); `items` reproduces those semantics over
fixed-capacity arrays, so the order of every list matches the reference's at all times.

Randomness: an enemy spawn draws rand() (side), rand() (< 1/3: a submarine) and
randint(1, 9) (row); a diver spawn rand() and randint(1, 9). All five are sampled every
step; the reference asks for them only when a timer runs out. When only a diver spawns,
the tape answers its two calls with the enemy's first uniform and integer draws (the
first optional draws that fit), and so does this translation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random
from envs.jax_env import float_dtype, int_dtype, randint
from envs.minatar.jax_base import DOWN, FIRE, LEFT, RIGHT, UP, MinAtarEnv
from envs.minatar.seaquest import items as L

MAX_OXYGEN = 200
INIT_SPAWN_SPEED = 20
DIVER_SPAWN_SPEED = 30
INIT_MOVE_INTERVAL = 5
SHOT_COOL_DOWN = 5
ENEMY_SHOT_INTERVAL = 10
DIVER_MOVE_INTERVAL = 5

# The reference's lists: capacity (above any reachable length) and each item's attributes.
LISTS = {
    "f_bullets": (4, ("x", "y", "right")),
    "e_bullets": (32, ("x", "y", "right")),
    "e_fish": (32, ("x", "y", "right", "move")),
    "e_subs": (32, ("x", "y", "right", "move", "shot")),
    "divers": (8, ("x", "y", "right", "move")),
}


@struct.dataclass
class State:
    oxygen: jax.Array
    diver_count: jax.Array
    sub_x: jax.Array
    sub_y: jax.Array
    sub_or: jax.Array  # facing right
    f_bullets_n: jax.Array
    f_bullets_x: jax.Array
    f_bullets_y: jax.Array
    f_bullets_right: jax.Array
    e_bullets_n: jax.Array
    e_bullets_x: jax.Array
    e_bullets_y: jax.Array
    e_bullets_right: jax.Array
    e_fish_n: jax.Array
    e_fish_x: jax.Array
    e_fish_y: jax.Array
    e_fish_right: jax.Array
    e_fish_move: jax.Array
    e_subs_n: jax.Array
    e_subs_x: jax.Array
    e_subs_y: jax.Array
    e_subs_right: jax.Array
    e_subs_move: jax.Array
    e_subs_shot: jax.Array
    divers_n: jax.Array
    divers_x: jax.Array
    divers_y: jax.Array
    divers_right: jax.Array
    divers_move: jax.Array
    e_spawn_speed: jax.Array
    e_spawn_timer: jax.Array
    d_spawn_timer: jax.Array
    move_speed: jax.Array
    ramp_index: jax.Array
    shot_timer: jax.Array
    surface: jax.Array
    terminal: jax.Array
    last_action: jax.Array
    time: jax.Array


def unpack(s: State, name: str):
    """List `name` of state `s` as (rows, count): one integer row per object (see `items`)."""
    return jnp.stack([getattr(s, f"{name}_{a}").astype(s.sub_x.dtype) for a in LISTS[name][1]], axis=1), getattr(s, f"{name}_n")


def pack(name: str, rows, n) -> dict:
    """State fields of list `name` from its rows (for `State.replace`)."""
    cols = {f"{name}_{a}": rows[:, k] != 0 if a == "right" else rows[:, k] for k, a in enumerate(LISTS[name][1])}
    return {f"{name}_n": n, **cols}


def row(*values):
    """One object's row."""
    return jnp.stack([jnp.asarray(v).astype(int_dtype()) for v in values])


class Seaquest(MinAtarEnv):
    """MinAtar Seaquest (full action set; it is also the minimal one)."""

    name = "MinAtar/Seaquest-v0"
    channels = 10
    minimal_actions = (0, 1, 2, 3, 4, 5)

    def game_draws(self, key, state, params):
        keys = jax_random.split(key, 5)
        u = lambda k: jax_random.uniform(k, (), float_dtype())
        row = lambda k: randint(k, (), 1, 9)
        return {
            "enemy_right": u(keys[0]),
            "enemy_sub": u(keys[1]),
            "enemy_row": row(keys[2]),
            "diver_right": u(keys[3]),
            "diver_row": row(keys[4]),
        }

    def sample_reset_draws(self, key, params):
        return {}

    def reset_det(self, draws, params):
        i = lambda v: jnp.asarray(v, int_dtype())
        fields = dict(
            oxygen=i(MAX_OXYGEN), diver_count=i(0), sub_x=i(5), sub_y=i(0), sub_or=jnp.asarray(False),
            e_spawn_speed=i(INIT_SPAWN_SPEED), e_spawn_timer=i(INIT_SPAWN_SPEED), d_spawn_timer=i(DIVER_SPAWN_SPEED),
            move_speed=i(INIT_MOVE_INTERVAL), ramp_index=i(0), shot_timer=i(0), surface=jnp.asarray(True),
            terminal=jnp.asarray(False), last_action=i(0), time=i(0),
        )
        for name, (cap, attrs) in LISTS.items():
            fields.update(pack(name, jnp.zeros((cap, len(attrs)), int_dtype()), i(0)))
        state = State(**fields)
        return self.get_obs(state, params), state

    # ----- one step, in the reference's order ------------------------------------------------
    def game_step(self, s, action, draws, params):
        lists = {name: unpack(s, name) for name in LISTS}
        s, lists = self._spawn(s, lists, draws)
        s, lists = self._player(s, lists, action)
        sub = (s.sub_x, s.sub_y)
        lists, reward = self._friendly_bullets(lists)
        lists, diver_count = self._divers(lists, sub, s.diver_count)
        lists, reward_subs, hit_subs = self._enemy_subs(lists, sub, s.move_speed)
        lists, hit_bullets = self._enemy_bullets(lists, sub)
        lists, reward_fish, hit_fish = self._fish(lists, sub, s.move_speed)
        s = s.replace(diver_count=diver_count, terminal=s.terminal | hit_subs | hit_bullets | hit_fish)
        for name, (items, n) in lists.items():
            s = s.replace(**pack(name, items, n))
        s, reward_surface = self._timers_and_surface(s, params)
        return s, reward + reward_subs + reward_fish + reward_surface, s.terminal

    def _spawn(self, s, lists, draws):
        spawn = s.e_spawn_timer == 0
        right = draws["enemy_right"] < 0.5
        is_sub = draws["enemy_sub"] < 1 / 3
        y = draws["enemy_row"]
        x = jnp.where(right, 0, 9)
        blocked = jnp.asarray(False)
        for name in ("e_subs", "e_fish"):
            rows, n = lists[name]
            blocked = blocked | jnp.any(L.live(rows, n) & (rows[:, L.Y] == y) & ((rows[:, L.RIGHT] != 0) != right))
        place = spawn & ~blocked
        lists["e_subs"] = L.append(*lists["e_subs"], row(x, y, right, s.move_speed, ENEMY_SHOT_INTERVAL), place & is_sub)
        lists["e_fish"] = L.append(*lists["e_fish"], row(x, y, right, s.move_speed), place & ~is_sub)

        dive = s.d_spawn_timer == 0
        d_right = jnp.where(spawn, draws["diver_right"], draws["enemy_right"]) < 0.5
        d_y = jnp.where(spawn, draws["diver_row"], draws["enemy_row"])
        lists["divers"] = L.append(*lists["divers"], row(jnp.where(d_right, 0, 9), d_y, d_right, DIVER_MOVE_INTERVAL), dive)
        s = s.replace(
            e_spawn_timer=jnp.where(spawn, s.e_spawn_speed, s.e_spawn_timer),
            d_spawn_timer=jnp.where(dive, DIVER_SPAWN_SPEED, s.d_spawn_timer).astype(s.d_spawn_timer.dtype),
        )
        return s, lists

    def _player(self, s, lists, action):
        fire = (action == FIRE) & (s.shot_timer == 0)
        lists["f_bullets"] = L.append(*lists["f_bullets"], row(s.sub_x, s.sub_y, s.sub_or), fire)
        act = lambda a: ~fire & (action == a)
        s = s.replace(
            shot_timer=jnp.where(fire, SHOT_COOL_DOWN, s.shot_timer).astype(s.shot_timer.dtype),
            sub_x=jnp.where(act(LEFT), jnp.maximum(0, s.sub_x - 1), jnp.where(act(RIGHT), jnp.minimum(9, s.sub_x + 1), s.sub_x)).astype(s.sub_x.dtype),
            sub_or=jnp.where(act(LEFT), False, jnp.where(act(RIGHT), True, s.sub_or)),
            sub_y=jnp.where(act(UP), jnp.maximum(0, s.sub_y - 1), jnp.where(act(DOWN), jnp.minimum(8, s.sub_y + 1), s.sub_y)).astype(s.sub_y.dtype),
        )
        return s, lists

    @staticmethod
    def _reversed(lists, name, body, carry):
        """`for item in reversed(list)`: rows from the last object's down to 0 (the loops remove at most one object per item)."""
        rows, n0 = lists[name]
        cap = rows.shape[0]
        return jax.lax.fori_loop(0, cap, lambda t, c: body(cap - 1 - t, cap - 1 - t < n0, c), carry)

    def _friendly_bullets(self, lists):
        def body(i, active, c):
            lists, reward = c
            (fb, nf), (fish, n_fish), (subs, n_subs) = lists["f_bullets"], lists["e_fish"], lists["e_subs"]
            b = L.stepped(fb[i], active)
            fb = L.put(fb, i, b, active)
            gone = active & L.off_screen(b)
            hit_fish, k_fish = L.first_at(fish, n_fish, b[L.X], b[L.Y])
            hit_fish = active & ~gone & hit_fish
            hit_sub, k_sub = L.first_at(subs, n_subs, b[L.X], b[L.Y])
            hit_sub = active & ~gone & ~hit_fish & hit_sub
            fish, n_fish = L.delete_at(fish, n_fish, k_fish, hit_fish)
            subs, n_subs = L.delete_at(subs, n_subs, k_sub, hit_sub)
            fb, nf, _ = L.remove(fb, nf, b, gone | hit_fish | hit_sub)
            lists = {**lists, "f_bullets": (fb, nf), "e_fish": (fish, n_fish), "e_subs": (subs, n_subs)}
            return lists, reward + (hit_fish | hit_sub).astype(reward.dtype)

        return self._reversed(lists, "f_bullets", body, (lists, jnp.asarray(0, jnp.int32)))

    def _divers(self, lists, sub, diver_count):
        def body(i, active, c):
            lists, count = c
            divers, n = lists["divers"]
            d = divers[i]
            at_sub = lambda d: (d[L.X] == sub[0]) & (d[L.Y] == sub[1]) & (count < 6)
            picked = active & at_sub(d)
            moves = active & ~picked & (d[L.MOVE] == 0)
            waits = active & ~picked & ~moves
            new = L.stepped(d, moves).at[L.MOVE].set(jnp.where(moves, DIVER_MOVE_INTERVAL, d[L.MOVE] - 1))
            divers = L.put(divers, i, new, moves | waits)
            gone = moves & L.off_screen(new)
            picked_after = moves & ~gone & at_sub(new)
            divers, n, _ = L.remove(divers, n, jnp.where(picked, d, new), picked | gone | picked_after)
            count = count + (picked | picked_after).astype(count.dtype)
            return {**lists, "divers": (divers, n)}, count

        return self._reversed(lists, "divers", body, (lists, diver_count))

    def _enemies(self, lists, name, sub, move_speed, shoots):
        """The enemy subs' or fish's loop: touch the player, move, leave, hit the player or a bullet; subs also fire."""

        def body(i, active, c):
            lists, reward, hit = c
            (enemies, n), (fb, nf) = lists[name], lists["f_bullets"]
            e = enemies[i]
            at_sub = lambda e: (e[L.X] == sub[0]) & (e[L.Y] == sub[1])
            hit = hit | (active & at_sub(e))
            moves = active & (e[L.MOVE] == 0)
            e = L.stepped(e, moves).at[L.MOVE].set(jnp.where(moves, move_speed, e[L.MOVE] - 1))
            enemies = L.put(enemies, i, e, active)
            gone = moves & L.off_screen(e)
            rams = moves & ~gone & at_sub(e)
            hit = hit | rams
            shot, k = L.first_at(fb, nf, e[L.X], e[L.Y])
            shot = moves & ~gone & ~rams & shot
            fb, nf = L.delete_at(fb, nf, k, shot)
            enemies, n, j = L.remove(enemies, n, e, gone | shot)
            lists = {**lists, "f_bullets": (fb, nf)}
            if shoots:
                # It fires even when it has just left or been shot (the reference still holds the object);
                # its shot timer lives on in the list only where `remove` took an equal earlier object.
                fires = active & (e[L.SHOT] == 0)
                lists["e_bullets"] = L.append(*lists["e_bullets"], e[: L.RIGHT + 1], fires)
                e = e.at[L.SHOT].set(jnp.where(fires, ENEMY_SHOT_INTERVAL, e[L.SHOT] - 1))
                removed = gone | shot
                enemies = L.put(enemies, jnp.where(removed, i - 1, i), e, active & (~removed | (j < i)))
            lists[name] = (enemies, n)
            return lists, reward + shot.astype(reward.dtype), hit

        return self._reversed(lists, name, body, (lists, jnp.asarray(0, jnp.int32), jnp.asarray(False)))

    def _enemy_subs(self, lists, sub, move_speed):
        return self._enemies(lists, "e_subs", sub, move_speed, shoots=True)

    def _fish(self, lists, sub, move_speed):
        return self._enemies(lists, "e_fish", sub, move_speed, shoots=False)

    def _enemy_bullets(self, lists, sub):
        def body(i, active, c):
            lists, hit = c
            bullets, n = lists["e_bullets"]
            b = bullets[i]
            at_sub = lambda b: (b[L.X] == sub[0]) & (b[L.Y] == sub[1])
            hit = hit | (active & at_sub(b))
            b = L.stepped(b, active)
            bullets = L.put(bullets, i, b, active)
            gone = active & L.off_screen(b)
            hit = hit | (active & ~gone & at_sub(b))
            bullets, n, _ = L.remove(bullets, n, b, gone)
            return {**lists, "e_bullets": (bullets, n)}, hit

        return self._reversed(lists, "e_bullets", body, (lists, jnp.asarray(False)))

    def _timers_and_surface(self, s, params):
        dec = lambda t: t - (t > 0).astype(t.dtype)
        terminal = s.terminal | (s.oxygen <= 0)
        below = s.sub_y > 0
        arriving = ~below & ~s.surface
        terminal = terminal | (arriving & (s.diver_count == 0))
        surfaces = arriving & (s.diver_count != 0)
        full = s.diver_count == 6
        reward = jnp.where(surfaces & full, s.oxygen * 10 // MAX_OXYGEN, 0).astype(jnp.int32)
        ramp = surfaces & params.difficulty_ramping & ((s.e_spawn_speed > 1) | (s.move_speed > 2))
        faster = ramp & (s.move_speed > 2) & (s.ramp_index % 2 == 1)
        s = s.replace(
            e_spawn_timer=dec(s.e_spawn_timer),
            d_spawn_timer=dec(s.d_spawn_timer),
            shot_timer=dec(s.shot_timer),
            oxygen=jnp.where(below, s.oxygen - 1, jnp.where(surfaces, MAX_OXYGEN, s.oxygen)).astype(s.oxygen.dtype),
            surface=jnp.where(below, False, s.surface | surfaces),
            diver_count=jnp.where(surfaces, jnp.where(full, 0, s.diver_count) - 1, s.diver_count).astype(s.diver_count.dtype),
            move_speed=(s.move_speed - faster).astype(s.move_speed.dtype),
            e_spawn_speed=(s.e_spawn_speed - (ramp & (s.e_spawn_speed > 1))).astype(s.e_spawn_speed.dtype),
            ramp_index=(s.ramp_index + ramp).astype(s.ramp_index.dtype),
            terminal=terminal,
        )
        return s, reward

    # ----- observation ------------------------------------------------------------------------
    def get_obs(self, state, params=None):
        obs = jnp.zeros((10, 10, self.channels), bool)
        cols = jnp.arange(10)
        obs = obs.at[state.sub_y, state.sub_x, 0].set(True)
        back = jnp.where(state.sub_or, state.sub_x - 1, state.sub_x + 1)
        obs = obs.at[state.sub_y, back, 1].set(True)
        obs = obs.at[9, :, 7].set(cols < jnp.maximum(0, state.oxygen) * 10 // MAX_OXYGEN)
        obs = obs.at[9, :, 8].set((cols >= 9 - state.diver_count) & (cols < 9))
        for name, channel, trail in (("f_bullets", 2, False), ("e_bullets", 4, False), ("e_fish", 5, True), ("e_subs", 6, True), ("divers", 9, True)):
            rows, n = unpack(state, name)
            x = rows[:, L.X]
            y = jnp.where(L.live(rows, n), rows[:, L.Y], 10)  # empty rows land outside the grid and are dropped
            obs = obs.at[y, x, channel].set(True, mode="drop")
            if trail:
                tx = jnp.where(rows[:, L.RIGHT] != 0, x - 1, x + 1)
                obs = obs.at[jnp.where((tx >= 0) & (tx <= 9), y, 10), tx, 3].set(True, mode="drop")
        return obs
