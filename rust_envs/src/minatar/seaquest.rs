//! MinAtar Seaquest, translated from `minatar.environments.seaquest.Env`
//! (`minatar` 1.0.15).
//!
//! The player's submarine (front and back cell) moves in rows 0-8 and fires
//! sideways (cool-down 5). Enemy fish and submarines appear at the left or right
//! edge of a random row 1-8 every `e_spawn_speed` steps (not in a row where one
//! moves the other way) and cross the screen; enemy submarines fire every 11
//! steps. Divers appear every 30 steps; the player picks them up (at most 6).
//! Oxygen (200) runs down below the surface; coming up with divers costs one
//! diver and refills it (with 6: all divers, leaving -1, and +1 per tenth of
//! oxygen left) and raises the difficulty; coming up with none, running out of
//! oxygen, or touching an enemy or its bullet ends the game. +1 per enemy shot.
//!
//! The reference keeps its objects in Python lists and walks them with
//! `for item in reversed(list)` while removing with `list.remove(item)`, which
//! takes the first *equal* item, not necessarily the one being looked at. Here
//! each list is a fixed-capacity array of rows (one per object, in list order)
//! and a count, with the same operations: [`Objects::remove`] deletes the first
//! equal row, and the loops walk indices as CPython's reverse iterator does
//! (the next index is one less, whatever was removed, and the walk stops when
//! the index is past the end). So when an earlier equal object is removed, the
//! object being looked at slides down to the next index and is looked at again,
//! as in the reference. The capacities are the Python port's (`jax_env.LISTS`),
//! above any reachable length; an append to a full list is dropped, as there.
//!
//! Randomness: an enemy spawn draws `rand()` (side), `rand()` (< 1/3: a
//! submarine) and `randint(1, 9)` (row); a diver spawn `rand()` and
//! `randint(1, 9)`. With given draws, a diver spawn in a step without an enemy
//! spawn takes the enemy's side and row draws, as the verifier's tape answers
//! the reference's calls (the first optional draws of the right kind).

use super::{DrawDecl, DrawKind, DrawSource, GameField, GameValue, MinAtarGame, DOWN, FIRE, GRID, LEFT, NOOP, RIGHT, UP};

pub const MAX_OXYGEN: i64 = 200;
pub const INIT_SPAWN_SPEED: i64 = 20;
pub const DIVER_SPAWN_SPEED: i64 = 30;
pub const INIT_MOVE_INTERVAL: i64 = 5;
pub const SHOT_COOL_DOWN: i64 = 5;
pub const ENEMY_SHOT_INTERVAL: i64 = 10;
pub const DIVER_MOVE_INTERVAL: i64 = 5;
const CHANNELS: usize = 10;

// Capacities of the lists (the Python port's `LISTS`).
pub const F_BULLETS_CAP: usize = 4;
pub const E_BULLETS_CAP: usize = 32;
pub const E_FISH_CAP: usize = 32;
pub const E_SUBS_CAP: usize = 32;
pub const DIVERS_CAP: usize = 8;

// Attribute columns of an object row, in the reference's item order.
const X: usize = 0;
const Y: usize = 1;
const R: usize = 2; // moving right (a bool in the reference; 0/1 here)
const MOVE: usize = 3;
const SHOT: usize = 4;

// Draw indices in STEP_DRAWS.
const ENEMY_RIGHT: usize = 0;
const ENEMY_SUB: usize = 1;
const ENEMY_ROW: usize = 2;
const DIVER_RIGHT: usize = 3;
const DIVER_ROW: usize = 4;

// Observation channels.
const SUB_FRONT: usize = 0;
const SUB_BACK: usize = 1;
const FRIENDLY_BULLET: usize = 2;
const TRAIL: usize = 3;
const ENEMY_BULLET: usize = 4;
const ENEMY_FISH: usize = 5;
const ENEMY_SUB_CH: usize = 6;
const OXYGEN_GAUGE: usize = 7;
const DIVER_GAUGE: usize = 8;
const DIVER: usize = 9;

/// A Python list of objects of `W` integer attributes, at most `CAP` of them:
/// rows `0..n` in list order, the rest zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Objects<const CAP: usize, const W: usize> {
    pub n: usize,
    pub rows: [[i64; W]; CAP],
}

impl<const CAP: usize, const W: usize> Objects<CAP, W> {
    pub const EMPTY: Self = Objects { n: 0, rows: [[0; W]; CAP] };

    /// `list.append(item)`; dropped when full.
    #[inline]
    pub fn push(&mut self, item: [i64; W]) {
        if self.n < CAP {
            self.rows[self.n] = item;
            self.n += 1;
        }
    }

    /// `del list[j]`: later rows move up, the freed row is zeroed.
    #[inline]
    pub fn delete(&mut self, j: usize) {
        self.rows.copy_within(j + 1..self.n, j);
        self.n -= 1;
        self.rows[self.n] = [0; W];
    }

    /// `list.remove(item)`: deletes the first row equal to `item` and returns its
    /// index (`None`, and nothing removed, when there is none; the reference
    /// would raise, which its loops never reach).
    #[inline]
    pub fn remove(&mut self, item: &[i64; W]) -> Option<usize> {
        let j = self.rows[..self.n].iter().position(|r| r == item)?;
        self.delete(j);
        Some(j)
    }

    /// Index of the first object at cell (x, y).
    #[inline]
    pub fn first_at(&self, x: i64, y: i64) -> Option<usize> {
        self.rows[..self.n].iter().position(|r| r[X] == x && r[Y] == y)
    }

    #[inline]
    fn live(&self) -> &[[i64; W]] {
        &self.rows[..self.n]
    }
}

/// One cell along an object's direction.
#[inline]
fn step_x(item: &mut [i64]) {
    item[X] += if item[R] != 0 { 1 } else { -1 };
}

#[inline]
fn off_screen(x: i64) -> bool {
    !(0..=9).contains(&x)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seaquest {
    pub oxygen: i64,
    pub diver_count: i64,
    pub sub_x: i64,
    pub sub_y: i64,
    /// `Env.sub_or`: facing right.
    pub sub_or: bool,
    /// `[x, y, right]`
    pub f_bullets: Objects<F_BULLETS_CAP, 3>,
    /// `[x, y, right]`
    pub e_bullets: Objects<E_BULLETS_CAP, 3>,
    /// `[x, y, right, move timer]`
    pub e_fish: Objects<E_FISH_CAP, 4>,
    /// `[x, y, right, move timer, shot timer]`
    pub e_subs: Objects<E_SUBS_CAP, 5>,
    /// `[x, y, right, move timer]`
    pub divers: Objects<DIVERS_CAP, 4>,
    pub e_spawn_speed: i64,
    pub e_spawn_timer: i64,
    pub d_spawn_timer: i64,
    pub move_speed: i64,
    pub ramp_index: i64,
    pub shot_timer: i64,
    pub surface: bool,
    pub terminal: bool,
    /// `Env.ramping` (not state: a setting of the environment).
    pub ramping: bool,
}

/// `state[y, x, c] = 1` with numpy's indexing of a length-10 axis: -10..-1 wrap,
/// anything else outside 0..9 is skipped (the reference would raise IndexError;
/// no reachable state gets there).
#[inline]
fn put(out: &mut [bool], y: i64, x: i64, c: usize) {
    let wrap = |i: i64| if (-10..0).contains(&i) { Some(i + 10) } else if (0..10).contains(&i) { Some(i) } else { None };
    if let (Some(y), Some(x)) = (wrap(y), wrap(x)) {
        out[(y as usize * GRID + x as usize) * CHANNELS + c] = true;
    }
}

/// Python's `range(10)[start:stop]` bounds for a slice of a length-10 axis.
#[inline]
fn py_slice(start: i64, stop: i64) -> std::ops::Range<usize> {
    let norm = |i: i64| (if i < 0 { i + 10 } else { i }).clamp(0, 10) as usize;
    let (a, b) = (norm(start), norm(stop));
    a..b.max(a)
}

impl Seaquest {
    #[inline]
    fn at_sub(&self, x: i64, y: i64) -> bool {
        x == self.sub_x && y == self.sub_y
    }

    /// `Env._spawn_enemy`: side, kind and row, then nothing when an enemy in that
    /// row moves the other way.
    fn spawn_enemy(&mut self, draws: &mut impl DrawSource) {
        let lr = draws.uniform(ENEMY_RIGHT, 0) < 0.5;
        let is_sub = draws.uniform(ENEMY_SUB, 0) < 1.0 / 3.0;
        let x = if lr { 0 } else { 9 };
        let y = draws.integer(ENEMY_ROW, 0, 1, 9);
        let opposite = |r: &[i64]| r[Y] == y && (r[R] != 0) != lr;
        if self.e_subs.live().iter().any(|r| opposite(r)) || self.e_fish.live().iter().any(|r| opposite(r)) {
            return;
        }
        if is_sub {
            self.e_subs.push([x, y, lr as i64, self.move_speed, ENEMY_SHOT_INTERVAL]);
        } else {
            self.e_fish.push([x, y, lr as i64, self.move_speed]);
        }
    }

    /// `Env._spawn_diver`, with the side and row from draws `right` and `row`.
    fn spawn_diver(&mut self, draws: &mut impl DrawSource, right: usize, row: usize) {
        let lr = draws.uniform(right, 0) < 0.5;
        let x = if lr { 0 } else { 9 };
        let y = draws.integer(row, 0, 1, 9);
        self.divers.push([x, y, lr as i64, DIVER_MOVE_INTERVAL]);
    }

    /// The player's bullets: move; leave the screen, or shoot the first fish (else
    /// the first sub) in their cell.
    fn friendly_bullets(&mut self) -> i32 {
        let mut reward = 0;
        let mut i = self.f_bullets.n;
        while i > 0 {
            i -= 1;
            if i >= self.f_bullets.n {
                break;
            }
            let mut b = self.f_bullets.rows[i];
            step_x(&mut b);
            self.f_bullets.rows[i] = b;
            if off_screen(b[X]) {
                self.f_bullets.remove(&b);
            } else if let Some(k) = self.e_fish.first_at(b[X], b[Y]) {
                self.e_fish.delete(k);
                self.f_bullets.remove(&b);
                reward += 1;
            } else if let Some(k) = self.e_subs.first_at(b[X], b[Y]) {
                self.e_subs.delete(k);
                self.f_bullets.remove(&b);
                reward += 1;
            }
        }
        reward
    }

    /// Divers: picked up where the player is (while fewer than 6 on board), else
    /// move when their timer runs out (and leave, or are picked up there).
    fn divers(&mut self) {
        let mut i = self.divers.n;
        while i > 0 {
            i -= 1;
            if i >= self.divers.n {
                break;
            }
            let mut d = self.divers.rows[i];
            if self.at_sub(d[X], d[Y]) && self.diver_count < 6 {
                self.divers.remove(&d);
                self.diver_count += 1;
            } else if d[MOVE] == 0 {
                d[MOVE] = DIVER_MOVE_INTERVAL;
                step_x(&mut d);
                self.divers.rows[i] = d;
                if off_screen(d[X]) {
                    self.divers.remove(&d);
                } else if self.at_sub(d[X], d[Y]) && self.diver_count < 6 {
                    self.divers.remove(&d);
                    self.diver_count += 1;
                }
            } else {
                self.divers.rows[i][MOVE] -= 1;
            }
        }
    }

    /// Enemy subs: touch the player, move when their timer runs out (leave, ram the
    /// player, or meet the player's first bullet in their cell), then fire when
    /// their shot timer runs out. A sub fires even when it has just been removed
    /// (the reference still holds the object); its timer change lives on only
    /// where `remove` took an equal earlier sub and this one slid down a row.
    fn enemy_subs(&mut self) -> i32 {
        let mut reward = 0;
        let mut i = self.e_subs.n;
        while i > 0 {
            i -= 1;
            if i >= self.e_subs.n {
                break;
            }
            let mut s = self.e_subs.rows[i];
            if self.at_sub(s[X], s[Y]) {
                self.terminal = true;
            }
            // Where the object `s` is in the list after this step's removals.
            let mut at = Some(i);
            if s[MOVE] == 0 {
                s[MOVE] = self.move_speed;
                step_x(&mut s);
                self.e_subs.rows[i] = s;
                if off_screen(s[X]) {
                    at = self.e_subs.remove(&s).and_then(|j| (j < i).then(|| i - 1));
                } else if self.at_sub(s[X], s[Y]) {
                    self.terminal = true;
                } else if let Some(k) = self.f_bullets.first_at(s[X], s[Y]) {
                    at = self.e_subs.remove(&s).and_then(|j| (j < i).then(|| i - 1));
                    self.f_bullets.delete(k);
                    reward += 1;
                }
            } else {
                s[MOVE] -= 1;
            }
            if s[SHOT] == 0 {
                s[SHOT] = ENEMY_SHOT_INTERVAL;
                self.e_bullets.push([s[X], s[Y], s[R]]);
            } else {
                s[SHOT] -= 1;
            }
            if let Some(p) = at {
                self.e_subs.rows[p] = s;
            }
        }
        reward
    }

    /// Enemy bullets: touch the player, move, leave or hit the player.
    fn enemy_bullets(&mut self) {
        let mut i = self.e_bullets.n;
        while i > 0 {
            i -= 1;
            if i >= self.e_bullets.n {
                break;
            }
            let mut b = self.e_bullets.rows[i];
            if self.at_sub(b[X], b[Y]) {
                self.terminal = true;
            }
            step_x(&mut b);
            self.e_bullets.rows[i] = b;
            if off_screen(b[X]) {
                self.e_bullets.remove(&b);
            } else if self.at_sub(b[X], b[Y]) {
                self.terminal = true;
            }
        }
    }

    /// Enemy fish: as the subs, without firing.
    fn enemy_fish(&mut self) -> i32 {
        let mut reward = 0;
        let mut i = self.e_fish.n;
        while i > 0 {
            i -= 1;
            if i >= self.e_fish.n {
                break;
            }
            let mut f = self.e_fish.rows[i];
            if self.at_sub(f[X], f[Y]) {
                self.terminal = true;
            }
            if f[MOVE] == 0 {
                f[MOVE] = self.move_speed;
                step_x(&mut f);
                self.e_fish.rows[i] = f;
                if off_screen(f[X]) {
                    self.e_fish.remove(&f);
                } else if self.at_sub(f[X], f[Y]) {
                    self.terminal = true;
                } else if let Some(k) = self.f_bullets.first_at(f[X], f[Y]) {
                    self.e_fish.remove(&f);
                    self.f_bullets.delete(k);
                    reward += 1;
                }
            } else {
                self.e_fish.rows[i][MOVE] -= 1;
            }
        }
        reward
    }

    /// `Env._surface`: refill oxygen, one diver fewer (all of six, for a bonus of
    /// one per tenth of oxygen left), and a step of the difficulty ramp.
    fn surface(&mut self) -> i32 {
        self.surface = true;
        let reward = if self.diver_count == 6 {
            self.diver_count = 0;
            // Python's floor division (oxygen may be 0 or below here).
            (self.oxygen * 10).div_euclid(MAX_OXYGEN)
        } else {
            0
        };
        self.oxygen = MAX_OXYGEN;
        self.diver_count -= 1;
        if self.ramping && (self.e_spawn_speed > 1 || self.move_speed > 2) {
            if self.move_speed > 2 && self.ramp_index.rem_euclid(2) != 0 {
                self.move_speed -= 1;
            }
            if self.e_spawn_speed > 1 {
                self.e_spawn_speed -= 1;
            }
            self.ramp_index += 1;
        }
        reward as i32
    }
}

fn ints(v: &GameValue) -> &[i64] {
    match v {
        GameValue::Ints(x) => x,
        GameValue::Bools(_) => unreachable!("kinds are checked before set_state"),
    }
}

fn bools(v: &GameValue) -> &[bool] {
    match v {
        GameValue::Bools(x) => x,
        GameValue::Ints(_) => unreachable!("kinds are checked before set_state"),
    }
}

/// The state values of a list: its count, then one column per attribute
/// (`right` as bools), empty rows zero.
fn list_values<const CAP: usize, const W: usize>(list: &Objects<CAP, W>, out: &mut Vec<GameValue>) {
    out.push(GameValue::Ints(vec![list.n as i64]));
    for k in 0..W {
        if k == R {
            out.push(GameValue::Bools(list.rows.iter().map(|r| r[k] != 0).collect()));
        } else {
            out.push(GameValue::Ints(list.rows.iter().map(|r| r[k]).collect()));
        }
    }
}

/// A list from its state values (`values[0]` the count, then the columns); rows
/// past the count are zeroed, as the reference adapter writes them.
fn list_from<const CAP: usize, const W: usize>(name: &str, values: &[GameValue]) -> Result<Objects<CAP, W>, String> {
    let n = ints(&values[0])[0];
    if !(0..=CAP as i64).contains(&n) {
        return Err(format!("state field '{name}_n' must be in 0..={CAP}, got {n}"));
    }
    let mut list = Objects::<CAP, W>::EMPTY;
    list.n = n as usize;
    for k in 0..W {
        for j in 0..list.n {
            list.rows[j][k] = if k == R { bools(&values[1 + k])[j] as i64 } else { ints(&values[1 + k])[j] };
        }
    }
    Ok(list)
}

const U: DrawKind = DrawKind::Uniform;
const ROW: DrawKind = DrawKind::Integers { low: 1, high: 9 };

// Indices in FIELDS: `oxygen`..`sub_or` 0..5, then each list (its count, then
// one field per attribute), then the counters and flags from `TAIL`.
const F_BULLETS_AT: usize = 5;
const E_BULLETS_AT: usize = F_BULLETS_AT + 1 + 3;
const E_FISH_AT: usize = E_BULLETS_AT + 1 + 3;
const E_SUBS_AT: usize = E_FISH_AT + 1 + 4;
const DIVERS_AT: usize = E_SUBS_AT + 1 + 5;
const TAIL: usize = DIVERS_AT + 1 + 4;

impl MinAtarGame for Seaquest {
    const NAME: &'static str = "seaquest";
    const CHANNELS: usize = CHANNELS;
    const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, LEFT, UP, RIGHT, DOWN, FIRE];
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::int("oxygen"),
        GameField::int("diver_count"),
        GameField::int("sub_x"),
        GameField::int("sub_y"),
        GameField::boolean("sub_or"),
        GameField::int("f_bullets_n"),
        GameField::ints("f_bullets_x", &[F_BULLETS_CAP]),
        GameField::ints("f_bullets_y", &[F_BULLETS_CAP]),
        GameField::bools("f_bullets_right", &[F_BULLETS_CAP]),
        GameField::int("e_bullets_n"),
        GameField::ints("e_bullets_x", &[E_BULLETS_CAP]),
        GameField::ints("e_bullets_y", &[E_BULLETS_CAP]),
        GameField::bools("e_bullets_right", &[E_BULLETS_CAP]),
        GameField::int("e_fish_n"),
        GameField::ints("e_fish_x", &[E_FISH_CAP]),
        GameField::ints("e_fish_y", &[E_FISH_CAP]),
        GameField::bools("e_fish_right", &[E_FISH_CAP]),
        GameField::ints("e_fish_move", &[E_FISH_CAP]),
        GameField::int("e_subs_n"),
        GameField::ints("e_subs_x", &[E_SUBS_CAP]),
        GameField::ints("e_subs_y", &[E_SUBS_CAP]),
        GameField::bools("e_subs_right", &[E_SUBS_CAP]),
        GameField::ints("e_subs_move", &[E_SUBS_CAP]),
        GameField::ints("e_subs_shot", &[E_SUBS_CAP]),
        GameField::int("divers_n"),
        GameField::ints("divers_x", &[DIVERS_CAP]),
        GameField::ints("divers_y", &[DIVERS_CAP]),
        GameField::bools("divers_right", &[DIVERS_CAP]),
        GameField::ints("divers_move", &[DIVERS_CAP]),
        GameField::int("e_spawn_speed"),
        GameField::int("e_spawn_timer"),
        GameField::int("d_spawn_timer"),
        GameField::int("move_speed"),
        GameField::int("ramp_index"),
        GameField::int("shot_timer"),
        GameField::boolean("surface"),
        GameField::boolean("terminal"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[];
    const STEP_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "enemy_right", kind: U, len: 1 },
        DrawDecl { name: "enemy_sub", kind: U, len: 1 },
        DrawDecl { name: "enemy_row", kind: ROW, len: 1 },
        DrawDecl { name: "diver_right", kind: U, len: 1 },
        DrawDecl { name: "diver_row", kind: ROW, len: 1 },
    ];

    fn reset(_draws: &mut impl DrawSource, difficulty_ramping: bool) -> Self {
        Seaquest {
            oxygen: MAX_OXYGEN,
            diver_count: 0,
            sub_x: 5,
            sub_y: 0,
            sub_or: false,
            f_bullets: Objects::EMPTY,
            e_bullets: Objects::EMPTY,
            e_fish: Objects::EMPTY,
            e_subs: Objects::EMPTY,
            divers: Objects::EMPTY,
            e_spawn_speed: INIT_SPAWN_SPEED,
            e_spawn_timer: INIT_SPAWN_SPEED,
            d_spawn_timer: DIVER_SPAWN_SPEED,
            move_speed: INIT_MOVE_INTERVAL,
            ramp_index: 0,
            shot_timer: 0,
            surface: true,
            terminal: false,
            ramping: difficulty_ramping,
        }
    }

    fn step(&mut self, action: usize, draws: &mut impl DrawSource) -> (i32, bool) {
        // Spawns when their timers run out.
        let enemy_spawn = self.e_spawn_timer == 0;
        if enemy_spawn {
            self.spawn_enemy(draws);
            self.e_spawn_timer = self.e_spawn_speed;
        }
        if self.d_spawn_timer == 0 {
            if enemy_spawn {
                self.spawn_diver(draws, DIVER_RIGHT, DIVER_ROW);
            } else {
                self.spawn_diver(draws, ENEMY_RIGHT, ENEMY_ROW);
            }
            self.d_spawn_timer = DIVER_SPAWN_SPEED;
        }

        // The player's action.
        if action == FIRE && self.shot_timer == 0 {
            self.f_bullets.push([self.sub_x, self.sub_y, self.sub_or as i64]);
            self.shot_timer = SHOT_COOL_DOWN;
        } else if action == LEFT {
            self.sub_x = (self.sub_x - 1).max(0);
            self.sub_or = false;
        } else if action == RIGHT {
            self.sub_x = (self.sub_x + 1).min(9);
            self.sub_or = true;
        } else if action == UP {
            self.sub_y = (self.sub_y - 1).max(0);
        } else if action == DOWN {
            self.sub_y = (self.sub_y + 1).min(8);
        }

        let mut reward = self.friendly_bullets();
        self.divers();
        reward += self.enemy_subs();
        self.enemy_bullets();
        reward += self.enemy_fish();

        // Timers, oxygen and the surface.
        self.e_spawn_timer -= (self.e_spawn_timer > 0) as i64;
        self.d_spawn_timer -= (self.d_spawn_timer > 0) as i64;
        self.shot_timer -= (self.shot_timer > 0) as i64;
        if self.oxygen <= 0 {
            self.terminal = true;
        }
        if self.sub_y > 0 {
            self.oxygen -= 1;
            self.surface = false;
        } else if !self.surface {
            if self.diver_count == 0 {
                self.terminal = true;
            } else {
                reward += self.surface();
            }
        }
        (reward, self.terminal)
    }

    fn terminal(&self) -> bool {
        self.terminal
    }

    fn write_obs(&self, out: &mut [bool]) {
        let out = &mut out[..GRID * GRID * CHANNELS];
        out.fill(false);
        put(out, self.sub_y, self.sub_x, SUB_FRONT);
        let back_x = if self.sub_or { self.sub_x - 1 } else { self.sub_x + 1 };
        put(out, self.sub_y, back_x, SUB_BACK);
        let bottom = 9 * GRID * CHANNELS;
        for x in py_slice(0, self.oxygen.max(0) * 10 / MAX_OXYGEN) {
            out[bottom + x * CHANNELS + OXYGEN_GAUGE] = true;
        }
        for x in py_slice(9 - self.diver_count, 9) {
            out[bottom + x * CHANNELS + DIVER_GAUGE] = true;
        }
        for b in self.f_bullets.live() {
            put(out, b[Y], b[X], FRIENDLY_BULLET);
        }
        for b in self.e_bullets.live() {
            put(out, b[Y], b[X], ENEMY_BULLET);
        }
        let with_trail = |out: &mut [bool], r: &[i64], c: usize| {
            put(out, r[Y], r[X], c);
            let back_x = if r[R] != 0 { r[X] - 1 } else { r[X] + 1 };
            if (0..=9).contains(&back_x) {
                put(out, r[Y], back_x, TRAIL);
            }
        };
        for f in self.e_fish.live() {
            with_trail(out, f, ENEMY_FISH);
        }
        for s in self.e_subs.live() {
            with_trail(out, s, ENEMY_SUB_CH);
        }
        for d in self.divers.live() {
            with_trail(out, d, DIVER);
        }
    }

    fn get_state(&self) -> Vec<GameValue> {
        let mut v = Vec::with_capacity(Self::FIELDS.len());
        v.push(GameValue::Ints(vec![self.oxygen]));
        v.push(GameValue::Ints(vec![self.diver_count]));
        v.push(GameValue::Ints(vec![self.sub_x]));
        v.push(GameValue::Ints(vec![self.sub_y]));
        v.push(GameValue::Bools(vec![self.sub_or]));
        list_values(&self.f_bullets, &mut v);
        list_values(&self.e_bullets, &mut v);
        list_values(&self.e_fish, &mut v);
        list_values(&self.e_subs, &mut v);
        list_values(&self.divers, &mut v);
        for x in [self.e_spawn_speed, self.e_spawn_timer, self.d_spawn_timer, self.move_speed, self.ramp_index, self.shot_timer] {
            v.push(GameValue::Ints(vec![x]));
        }
        v.push(GameValue::Bools(vec![self.surface]));
        v.push(GameValue::Bools(vec![self.terminal]));
        v
    }

    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        super::check_game_values(Self::FIELDS, values)?;
        let int = |i: usize| ints(&values[i])[0];
        let flag = |i: usize| bools(&values[i])[0];
        let (sub_x, sub_y) = (int(2), int(3));
        if !(0..GRID as i64).contains(&sub_x) || !(0..GRID as i64).contains(&sub_y) {
            return Err(format!("state fields 'sub_x', 'sub_y' must be in 0..=9, got {sub_x}, {sub_y}"));
        }
        let t = TAIL;
        *self = Seaquest {
            oxygen: int(0),
            diver_count: int(1),
            sub_x,
            sub_y,
            sub_or: flag(4),
            f_bullets: list_from("f_bullets", &values[F_BULLETS_AT..])?,
            e_bullets: list_from("e_bullets", &values[E_BULLETS_AT..])?,
            e_fish: list_from("e_fish", &values[E_FISH_AT..])?,
            e_subs: list_from("e_subs", &values[E_SUBS_AT..])?,
            divers: list_from("divers", &values[DIVERS_AT..])?,
            e_spawn_speed: int(t),
            e_spawn_timer: int(t + 1),
            d_spawn_timer: int(t + 2),
            move_speed: int(t + 3),
            ramp_index: int(t + 4),
            shot_timer: int(t + 5),
            surface: flag(t + 6),
            terminal: flag(t + 7),
            ramping: self.ramping,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::test_util::{replay, Mix};
    use crate::minatar::{GivenDraws, MinAtar, MinAtarConfig};

    /// Step draws for one step: enemy side, kind, row, diver side, row.
    fn draws(values: [f64; 5]) -> Vec<Vec<f64>> {
        values.iter().map(|&v| vec![v]).collect()
    }

    const QUIET: [f64; 5] = [0.2, 0.9, 3.0, 0.7, 6.0];

    fn step(g: &mut Seaquest, action: usize, values: [f64; 5]) -> (i32, bool) {
        let v = draws(values);
        g.step(action, &mut GivenDraws { decls: Seaquest::STEP_DRAWS, values: &v })
    }

    fn start() -> Seaquest {
        let mut g = Seaquest::reset(&mut Mix(0), true);
        // timers far from running out unless a test sets them
        g.e_spawn_timer = 9;
        g.d_spawn_timer = 9;
        g
    }

    fn list<const CAP: usize, const W: usize>(rows: &[[i64; W]]) -> Objects<CAP, W> {
        let mut l = Objects::EMPTY;
        for r in rows {
            l.push(*r);
        }
        l
    }

    fn obs(g: &Seaquest) -> Vec<bool> {
        let mut out = vec![true; GRID * GRID * CHANNELS];
        g.write_obs(&mut out);
        out
    }

    fn at(y: usize, x: usize, c: usize) -> usize {
        (y * GRID + x) * CHANNELS + c
    }

    /// The script's policy: random one step in five, else collect the nearest
    /// diver, fire at an enemy ahead in its row, surface with six divers or
    /// with some when oxygen is low.
    fn policy(g: &Seaquest, mix: &mut Mix) -> usize {
        if mix.next() % 5 == 0 {
            return (mix.next() % 6) as usize;
        }
        let (sx, sy) = (g.sub_x, g.sub_y);
        let ahead = |x: i64| if g.sub_or { sx < x && x <= sx + 3 } else { sx - 3 <= x && x < sx };
        let shoot = g.e_fish.live().iter().any(|e| e[Y] == sy && ahead(e[X])) || g.e_subs.live().iter().any(|e| e[Y] == sy && ahead(e[X]));
        let best = g.divers.live().iter().filter(|d| d[Y] < 9).map(|d| ((d[Y] - sy).abs() + (d[X] - sx).abs(), d[Y] * 10 + d[X])).min();
        let mut chase = match best {
            Some((_, cell)) => {
                let (ty, tx) = (cell / 10, cell % 10);
                if ty < sy {
                    UP
                } else if ty > sy {
                    DOWN
                } else if tx < sx {
                    LEFT
                } else if tx > sx {
                    RIGHT
                } else {
                    NOOP
                }
            }
            None if sy < 3 => DOWN,
            None => {
                if mix.next() % 2 == 1 {
                    LEFT
                } else {
                    RIGHT
                }
            }
        };
        if chase == UP && sy <= 1 {
            chase = NOOP;
        }
        if g.diver_count == 6 || (g.oxygen < 60 && g.diver_count > 0) {
            return UP;
        }
        if shoot {
            FIRE
        } else {
            chase
        }
    }

    /// Per episode (steps, return, observation checksum, final ramp index) of the
    /// real reference (`minatar` 1.0.15) under the same streams for the policy and
    /// for `env.random`, computed with this Python:
    ///
    /// ```python
    /// env = seaquest.Env(ramping=ramping); env.random = Mix(7000 + ep); acts = Mix(7000 + ep + 500)
    /// while t < 3000:
    ///     r, term = env.act(policy(env, acts)); t += 1; total += int(r)
    ///     idx = np.flatnonzero(env.state().reshape(-1))
    ///     check = (check + t * int(idx.sum() + 7 * len(idx))) & (2**64 - 1)
    ///     if term: break
    /// ```
    const REFERENCE_RAMPING: [(i64, i64, u64, i64); 16] = [
        (116, 0, 68595050, 0), (64, 0, 20104775, 0), (144, 4, 94211117, 0), (32, 0, 5010981, 0),
        (147, 2, 107012211, 0), (34, 0, 6104385, 0), (64, 0, 22731412, 0), (156, 1, 144223146, 1),
        (126, 4, 80266184, 0), (123, 1, 70774406, 0), (124, 0, 79484036, 0), (162, 3, 147202804, 1),
        (214, 2, 293279011, 1), (121, 0, 77232382, 0), (59, 0, 20529932, 0), (188, 2, 219503377, 1),
    ];
    const REFERENCE_NO_RAMPING: [(i64, i64, u64, i64); 16] = [
        (116, 0, 68595050, 0), (64, 0, 20104775, 0), (144, 4, 94211117, 0), (32, 0, 5010981, 0),
        (147, 2, 107012211, 0), (34, 0, 6104385, 0), (64, 0, 22731412, 0), (156, 1, 143581586, 0),
        (126, 4, 80266184, 0), (123, 1, 70774406, 0), (124, 0, 79484036, 0), (162, 3, 147202804, 0),
        (215, 2, 295583645, 0), (121, 0, 77232382, 0), (59, 0, 20529932, 0), (188, 2, 219503377, 0),
    ];

    fn episodes(ramping: bool) -> Vec<(i64, i64, u64, i64)> {
        (0..16u64)
            .map(|ep| {
                let mut rng = Mix(7000 + ep);
                let mut g = Seaquest::reset(&mut rng, ramping);
                let mut acts = Mix(7000 + ep + 500);
                let (t, total, check) = replay(&mut g, |g| policy(g, &mut acts), &mut rng);
                (t, total, check, g.ramp_index)
            })
            .collect()
    }

    #[test]
    fn episodes_match_the_reference() {
        assert_eq!(episodes(true), REFERENCE_RAMPING);
        assert_eq!(episodes(false), REFERENCE_NO_RAMPING);
    }

    #[test]
    fn reset_is_the_reference_start() {
        let g = Seaquest::reset(&mut Mix(0), true);
        assert_eq!((g.oxygen, g.diver_count, g.sub_x, g.sub_y, g.sub_or), (200, 0, 5, 0, false));
        assert_eq!((g.e_spawn_speed, g.e_spawn_timer, g.d_spawn_timer, g.move_speed), (20, 20, 30, 5));
        assert_eq!((g.ramp_index, g.shot_timer, g.surface, g.terminal), (0, 0, true, false));
        assert_eq!([g.f_bullets.n, g.e_bullets.n, g.e_fish.n, g.e_subs.n, g.divers.n], [0; 5]);
        let o = obs(&g);
        // front at (0, 5), back to its right (facing left), a full oxygen bar, no divers
        let on: Vec<usize> = (0..o.len()).filter(|&i| o[i]).collect();
        let mut want = vec![at(0, 5, SUB_FRONT), at(0, 6, SUB_BACK)];
        want.extend((0..10).map(|x| at(9, x, OXYGEN_GAUGE)));
        assert_eq!(on, want);
    }

    #[test]
    fn list_operations_follow_python_lists() {
        let mut l: Objects<8, 3> = list(&[[1, 2, 0], [3, 4, 1], [1, 2, 0], [5, 5, 1]]);
        // remove takes the first equal row
        assert_eq!(l.remove(&[1, 2, 0]), Some(0));
        assert_eq!(l.live(), &[[3, 4, 1], [1, 2, 0], [5, 5, 1]]);
        assert_eq!(l.remove(&[9, 9, 9]), None);
        l.delete(1);
        assert_eq!(l.live(), &[[3, 4, 1], [5, 5, 1]]);
        assert_eq!(l.rows[2..], [[0; 3]; 6]);
        assert_eq!(l.first_at(5, 5), Some(1));
        let mut full: Objects<2, 3> = list(&[[1, 1, 1], [2, 2, 2]]);
        full.push([3, 3, 3]);
        assert_eq!(full.n, 2);
    }

    #[test]
    fn surfacing_with_six_divers_pays_for_oxygen_and_leaves_minus_one() {
        let mut g = start();
        (g.sub_y, g.surface, g.diver_count, g.oxygen) = (1, false, 6, 137);
        assert_eq!(step(&mut g, UP, QUIET), (137 * 10 / 200, false));
        assert_eq!((g.diver_count, g.oxygen, g.ramp_index, g.e_spawn_speed, g.move_speed), (-1, 200, 1, 19, 5));
        // with -1 on board, surfacing again does not end the game; odd ramp index: enemies faster
        step(&mut g, DOWN, QUIET);
        assert_eq!((g.oxygen, g.surface), (199, false));
        assert_eq!(step(&mut g, UP, QUIET), (0, false));
        assert_eq!((g.diver_count, g.ramp_index, g.e_spawn_speed, g.move_speed), (-2, 2, 18, 4));
        // negative counts draw no diver gauge (Python's empty slice 11:9)
        let o = obs(&g);
        assert!((0..10).all(|x| !o[at(9, x, DIVER_GAUGE)]));
    }

    #[test]
    fn surfacing_floors_the_bonus_like_python() {
        // oxygen -1 with six divers: -10 // 200 == -1 in Python, and the game ends (oxygen <= 0)
        let mut g = start();
        (g.sub_y, g.surface, g.diver_count, g.oxygen) = (1, false, 6, -1);
        assert_eq!(step(&mut g, UP, QUIET), (-1, true));
        assert_eq!((g.diver_count, g.oxygen, g.ramp_index), (-1, 200, 1));
    }

    #[test]
    fn surfacing_with_fewer_or_none_and_running_out_of_oxygen() {
        let mut g = start();
        (g.sub_y, g.surface, g.diver_count, g.oxygen, g.ramp_index) = (1, false, 3, 20, 1);
        assert_eq!(step(&mut g, UP, QUIET), (0, false));
        assert_eq!((g.diver_count, g.oxygen, g.move_speed, g.surface), (2, 200, 4, true));
        // staying at the surface does nothing more
        assert_eq!(step(&mut g, NOOP, QUIET), (0, false));
        assert_eq!(g.diver_count, 2);
        let mut g = start();
        (g.sub_y, g.surface, g.diver_count) = (1, false, 0);
        assert_eq!(step(&mut g, UP, QUIET), (0, true));
        let mut g = start();
        (g.sub_y, g.surface, g.oxygen) = (4, false, 0);
        assert_eq!(step(&mut g, NOOP, QUIET), (0, true));
        assert_eq!(g.oxygen, -1);
        let mut g = start();
        (g.sub_y, g.surface, g.oxygen) = (4, false, 1);
        assert_eq!(step(&mut g, NOOP, QUIET), (0, false));
        // no ramp without ramping
        let mut g = Seaquest::reset(&mut Mix(0), false);
        (g.sub_y, g.surface, g.diver_count) = (1, false, 6);
        step(&mut g, UP, QUIET);
        assert_eq!((g.ramp_index, g.e_spawn_speed, g.diver_count), (0, 20, -1));
    }

    #[test]
    fn enemy_sub_fires_as_it_leaves_and_the_bullet_goes_too() {
        let mut g = start();
        g.sub_y = 5;
        g.e_subs = list(&[[9, 2, 1, 0, 0], [4, 3, 0, 2, 0]]);
        assert_eq!(step(&mut g, NOOP, QUIET), (0, false));
        assert_eq!(g.e_subs.live(), &[[4, 3, 0, 1, 10]]);
        assert_eq!(g.e_bullets.live(), &[[3, 3, 0]]);
    }

    #[test]
    fn an_earlier_equal_object_removed_leaves_this_one_to_be_visited_again() {
        // Reference: f_bullets [[3,4,T],[2,4,T]], a fish at (3, 4): the second bullet hits
        // it, `remove` takes the first (equal) bullet, and the hitting one, now first,
        // moves again -> [[4, 4, True]], reward 1.
        let mut g = start();
        (g.sub_x, g.sub_y) = (7, 7);
        g.f_bullets = list(&[[3, 4, 1], [2, 4, 1]]);
        g.e_fish = list(&[[3, 4, 0, 3]]);
        assert_eq!(step(&mut g, NOOP, QUIET), (1, false));
        assert_eq!((g.f_bullets.live(), g.e_fish.n), (&[[4, 4, 1]][..], 0));
        // Reference: e_subs [[-1,4,F,5,7],[0,4,F,0,7]] -> [[-1, 4, False, 4, 5]]: the second
        // leaves, `remove` takes the first (equal after the move), the leaving one slides
        // down, keeps its shot timer change and is stepped again.
        let mut g = start();
        (g.sub_x, g.sub_y) = (7, 7);
        g.e_subs = list(&[[-1, 4, 0, 5, 7], [0, 4, 0, 0, 7]]);
        step(&mut g, NOOP, QUIET);
        assert_eq!((g.e_subs.live(), g.e_bullets.n), (&[[-1, 4, 0, 4, 5]][..], 0));
        // Reference: [[-1,4,F,5,0],[0,4,F,0,7]] -> [[-1, 4, False, 4, 10]], no bullet left
        let mut g = start();
        (g.sub_x, g.sub_y) = (7, 7);
        g.e_subs = list(&[[-1, 4, 0, 5, 0], [0, 4, 0, 0, 7]]);
        step(&mut g, NOOP, QUIET);
        assert_eq!((g.e_subs.live(), g.e_bullets.n), (&[[-1, 4, 0, 4, 10]][..], 0));
    }

    #[test]
    fn duplicate_enemies_leaving_together_and_divers_picked_up_together() {
        let mut g = start();
        (g.sub_y, g.sub_x) = (4, 6);
        g.e_fish = list(&[[0, 5, 0, 0], [3, 2, 1, 1], [0, 5, 0, 0]]);
        g.divers = list(&[[6, 4, 1, 3], [6, 4, 1, 3]]);
        assert_eq!(step(&mut g, NOOP, QUIET), (0, false));
        assert_eq!((g.e_fish.live(), g.divers.n, g.diver_count), (&[[3, 2, 1, 0]][..], 0, 2));
    }

    #[test]
    fn player_bullet_shoots_the_first_fish_in_its_cell() {
        let mut g = start();
        (g.sub_y, g.sub_x, g.sub_or) = (4, 3, true);
        g.e_fish = list(&[[5, 4, 0, 3], [5, 4, 0, 2]]);
        g.f_bullets = list(&[[4, 4, 1]]);
        assert_eq!(step(&mut g, NOOP, QUIET), (1, false));
        assert_eq!(g.e_fish.live(), &[[5, 4, 0, 1]]);
        assert_eq!(g.f_bullets.n, 0);
    }

    #[test]
    fn spawns() {
        // an enemy spawn: side (< 1/2: from the left), kind (< 1/3: a sub), row
        let mut g = start();
        g.e_spawn_timer = 0;
        step(&mut g, NOOP, [0.4, 0.3, 7.0, 0.0, 1.0]);
        assert_eq!((g.e_subs.live(), g.e_fish.n, g.e_spawn_timer), (&[[0, 7, 1, 4, 9]][..], 0, 19));
        // blocked by an enemy moving the other way in its row
        let mut g = start();
        g.e_spawn_timer = 0;
        g.e_fish = list(&[[5, 3, 0, 3]]);
        step(&mut g, NOOP, [0.1, 0.9, 3.0, 0.0, 1.0]);
        assert_eq!((g.e_fish.n, g.e_subs.n, g.e_spawn_timer), (1, 0, 19));
        // same direction: not blocked; a fish from the right (and 1/3 exactly is a fish)
        let mut g = start();
        g.e_spawn_timer = 0;
        g.e_fish = list(&[[5, 3, 0, 3]]);
        step(&mut g, NOOP, [0.5, 1.0 / 3.0, 3.0, 0.0, 1.0]);
        assert_eq!(g.e_fish.live(), &[[5, 3, 0, 2], [9, 3, 0, 4]]);
        // both timers out: the diver takes its own draws
        let mut g = start();
        (g.e_spawn_timer, g.d_spawn_timer) = (0, 0);
        step(&mut g, NOOP, [0.9, 0.9, 7.0, 0.1, 2.0]);
        assert_eq!((g.divers.live(), g.d_spawn_timer), (&[[0, 2, 1, 4]][..], 29));
        // a diver alone takes the enemy's side and row draws (the verifier's tape does so)
        let mut g = start();
        g.d_spawn_timer = 0;
        step(&mut g, NOOP, [0.9, 0.9, 7.0, 0.1, 2.0]);
        assert_eq!(g.divers.live(), &[[9, 7, 0, 4]]);
    }

    #[test]
    fn own_generator_spawns_with_the_reference_distribution() {
        // Both timers out on an empty screen: sides 1/2, a sub 1/3, rows 1-8 uniform (5 sigma bounds).
        let mut rng = crate::rng::Rng::new(11, 0);
        let n = 24_000;
        let (mut subs, mut from_left, mut divers_left) = (0, 0, 0);
        let (mut rows, mut diver_rows) = ([0; 10], [0; 10]);
        for _ in 0..n {
            let mut g = start();
            (g.e_spawn_timer, g.d_spawn_timer) = (0, 0);
            g.step(NOOP, &mut crate::minatar::RngDraws(&mut rng));
            assert_eq!(g.e_subs.n + g.e_fish.n, 1);
            let e = if g.e_subs.n == 1 { subs += 1; g.e_subs.rows[0][..3].to_vec() } else { g.e_fish.rows[0][..3].to_vec() };
            assert_eq!(e[X], if e[R] == 1 { 0 } else { 9 });
            from_left += e[R];
            rows[e[Y] as usize] += 1;
            let d = g.divers.rows[0];
            assert_eq!((g.divers.n, d[X]), (1, if d[R] == 1 { 0 } else { 9 }));
            divers_left += d[R];
            diver_rows[d[Y] as usize] += 1;
        }
        let near = |count: i64, p: f64| (count as f64 - n as f64 * p).abs() < 5.0 * (n as f64 * p * (1.0 - p)).sqrt();
        assert!(near(subs, 1.0 / 3.0) && near(from_left, 0.5) && near(divers_left, 0.5), "{subs} {from_left} {divers_left}");
        assert_eq!((rows[0], rows[9], diver_rows[0], diver_rows[9]), (0, 0, 0, 0));
        assert!((1..9).all(|y| near(rows[y], 0.125) && near(diver_rows[y], 0.125)), "{rows:?} {diver_rows:?}");
    }

    #[test]
    #[should_panic(expected = "enemy_row")]
    fn a_given_row_out_of_range_is_rejected() {
        let mut g = start();
        g.e_spawn_timer = 0;
        step(&mut g, NOOP, [0.4, 0.3, 9.0, 0.0, 1.0]);
    }

    #[test]
    fn observation_channels() {
        let mut g = start();
        (g.sub_x, g.sub_y, g.sub_or, g.oxygen, g.diver_count) = (0, 3, false, 59, 2);
        g.f_bullets = list(&[[1, 3, 1]]);
        g.e_bullets = list(&[[8, 6, 0]]);
        g.e_fish = list(&[[9, 2, 1, 0]]);
        g.e_subs = list(&[[0, 5, 1, 0, 0]]);
        g.divers = list(&[[4, 7, 0, 0]]);
        let o = obs(&g);
        let on: Vec<usize> = (0..o.len()).filter(|&i| o[i]).collect();
        let mut want = vec![at(3, 0, SUB_FRONT), at(3, 1, SUB_BACK), at(3, 1, FRIENDLY_BULLET)];
        want.extend([at(6, 8, ENEMY_BULLET), at(2, 9, ENEMY_FISH), at(2, 8, TRAIL), at(5, 0, ENEMY_SUB_CH)]);
        want.extend([at(7, 4, DIVER), at(7, 5, TRAIL)]);
        // 59 * 10 // 200 = 2 cells of oxygen; two divers at columns 7 and 8
        want.extend([at(9, 0, OXYGEN_GAUGE), at(9, 1, OXYGEN_GAUGE), at(9, 7, DIVER_GAUGE), at(9, 8, DIVER_GAUGE)]);
        want.sort();
        assert_eq!(on, want);
        // facing right at the left edge: numpy's index -1 is the last column
        g.sub_or = true;
        assert!(obs(&g)[at(3, 9, SUB_BACK)]);
    }

    #[test]
    fn state_round_trips() {
        let mut g = start();
        g.e_subs = list(&[[3, 4, 1, 2, 6], [7, 1, 0, 0, 0]]);
        g.divers = list(&[[2, 2, 1, 4]]);
        g.f_bullets = list(&[[5, 5, 0]]);
        (g.diver_count, g.surface, g.terminal) = (-1, false, true);
        let state = g.get_state();
        assert_eq!(state.len(), Seaquest::FIELDS.len());
        let names: Vec<&str> = Seaquest::FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(names[E_SUBS_AT..E_SUBS_AT + 6], ["e_subs_n", "e_subs_x", "e_subs_y", "e_subs_right", "e_subs_move", "e_subs_shot"]);
        assert_eq!(names[TAIL..], ["e_spawn_speed", "e_spawn_timer", "d_spawn_timer", "move_speed", "ramp_index", "shot_timer", "surface", "terminal"]);
        assert_eq!(state[E_SUBS_AT], GameValue::Ints(vec![2]));
        let mut shot = vec![0; E_SUBS_CAP];
        shot[0] = 6;
        assert_eq!(state[E_SUBS_AT + 5], GameValue::Ints(shot));
        let mut right = vec![false; E_SUBS_CAP];
        right[0] = true;
        assert_eq!(state[E_SUBS_AT + 3], GameValue::Bools(right));

        let mut other = Seaquest::reset(&mut Mix(0), false);
        other.set_state(&state).unwrap();
        assert_eq!(other.get_state(), state);
        other.ramping = true;
        assert_eq!(other, g);

        // rows past the count are not objects: zeroed on the way in
        let mut junk = state.clone();
        junk[DIVERS_AT + 1] = GameValue::Ints(vec![2, 9, 9, 9, 9, 9, 9, 9]);
        other.set_state(&junk).unwrap();
        assert_eq!(other.get_state(), state);
        // a count above the capacity is an error and changes nothing
        let mut bad = state.clone();
        bad[DIVERS_AT] = GameValue::Ints(vec![9]);
        assert!(other.set_state(&bad).unwrap_err().contains("divers_n"));
        assert_eq!(other.get_state(), state);

        // through the wrapper: the game's fields, then last_action and time
        let mut env = MinAtar::<Seaquest>::reset(MinAtarConfig::default(), &mut Mix(0));
        env.set_state(&[state.clone(), vec![GameValue::Ints(vec![3]), GameValue::Ints(vec![17])]].concat()).unwrap();
        assert_eq!((env.last_action, env.time), (3, 17));
        assert_eq!(env.game.get_state(), state);
    }
}
