//! MinAtar Asterix, translated from `minatar.environments.asterix.Env`
//! (`minatar` 1.0.15).
//!
//! The player moves in rows 1-8 (columns 0-9); enemies and gold cross the
//! screen in eight slots (slot `i` in row `i + 1`). Touching gold scores 1 and
//! removes it; touching an enemy ends the game. When the spawn timer has run
//! out an entity spawns: a side (`rand() < 1/2`: from the left, moving right),
//! gold or not (`rand() < 1/3`), and, only when a slot is free, a slot among
//! the free ones (`randint(number of free slots)`). Entities move every
//! `move_speed` steps. With difficulty ramping, every 101st step after the
//! last ramp (the ramp timer counts 100 down to -1) spawning speeds up, and
//! every second ramp moving too, until both speeds are 1. Channels: player,
//! enemy, trail, gold.
//!
//! An empty slot is the reference's `None`; its values are kept as zeros, as
//! the Python adapter reads them. `shot_timer` is set at reset and never read,
//! so it is no state here.

use super::{DrawDecl, DrawKind, DrawSource, GameField, GameValue, MinAtarGame, DOWN, GRID, LEFT, NOOP, RIGHT, UP};

pub const RAMP_INTERVAL: i64 = 100;
pub const INIT_SPAWN_SPEED: i64 = 10;
pub const INIT_MOVE_INTERVAL: i64 = 5;
/// Entity slots (rows 1-8).
pub const SLOTS: usize = 8;
const CHANNELS: usize = 4;

// Step draw indices in STEP_DRAWS.
const SPAWN_RIGHT: usize = 0;
const SPAWN_GOLD: usize = 1;
const SPAWN_SLOT: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asterix {
    pub player_x: i64,
    pub player_y: i64,
    /// `Env.entities[i] is not None`.
    pub ent_alive: [bool; SLOTS],
    pub ent_x: [i64; SLOTS],
    pub ent_y: [i64; SLOTS],
    /// Moving right (spawned on the left).
    pub ent_right: [bool; SLOTS],
    pub ent_gold: [bool; SLOTS],
    pub spawn_speed: i64,
    pub spawn_timer: i64,
    pub move_speed: i64,
    pub move_timer: i64,
    pub ramp_timer: i64,
    pub ramp_index: i64,
    pub terminal: bool,
    /// `Env.ramping` (the environment's setting, not state).
    pub ramping: bool,
}

impl Asterix {
    /// `self.entities[i] = None`.
    #[inline]
    fn remove(&mut self, i: usize) {
        self.ent_alive[i] = false;
        self.ent_x[i] = 0;
        self.ent_y[i] = 0;
        self.ent_right[i] = false;
        self.ent_gold[i] = false;
    }

    /// `Env._spawn_entity`: side and kind always, a slot only when one is free.
    #[inline]
    fn spawn(&mut self, draws: &mut impl DrawSource) {
        let right = draws.uniform(SPAWN_RIGHT, 0) < 0.5;
        let gold = draws.uniform(SPAWN_GOLD, 0) < 1.0 / 3.0;
        let free = self.ent_alive.iter().filter(|&&a| !a).count();
        if free == 0 {
            return;
        }
        let k = draws.integer(SPAWN_SLOT, 0, 0, free as i64) as usize;
        // the k-th free slot, in slot order (the reference's `slot_options[k]`)
        let slot = (0..SLOTS).filter(|&i| !self.ent_alive[i]).nth(k).expect("k below the number of free slots");
        self.ent_alive[slot] = true;
        self.ent_x[slot] = if right { 0 } else { 9 };
        self.ent_y[slot] = slot as i64 + 1;
        self.ent_right[slot] = right;
        self.ent_gold[slot] = gold;
    }

    /// The player meets the entity in slot `i`: gold is collected (+1), an enemy ends the game.
    #[inline]
    fn touch(&mut self, i: usize, reward: &mut i32) {
        if self.ent_x[i] == self.player_x && self.ent_y[i] == self.player_y {
            if self.ent_gold[i] {
                self.remove(i);
                *reward += 1;
            } else {
                self.terminal = true;
            }
        }
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

impl MinAtarGame for Asterix {
    const NAME: &'static str = "asterix";
    const CHANNELS: usize = CHANNELS;
    const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, LEFT, UP, RIGHT, DOWN];
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::int("player_x"),
        GameField::int("player_y"),
        GameField::bools("ent_alive", &[SLOTS]),
        GameField::ints("ent_x", &[SLOTS]),
        GameField::ints("ent_y", &[SLOTS]),
        GameField::bools("ent_right", &[SLOTS]),
        GameField::bools("ent_gold", &[SLOTS]),
        GameField::int("spawn_speed"),
        GameField::int("spawn_timer"),
        GameField::int("move_speed"),
        GameField::int("move_timer"),
        GameField::int("ramp_timer"),
        GameField::int("ramp_index"),
        GameField::boolean("terminal"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[];
    const STEP_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "spawn_right", kind: DrawKind::Uniform, len: 1 },
        DrawDecl { name: "spawn_gold", kind: DrawKind::Uniform, len: 1 },
        // the actual bound is the number of free slots (1-8)
        DrawDecl { name: "spawn_slot", kind: DrawKind::Integers { low: 0, high: SLOTS as i64 }, len: 1 },
    ];

    fn reset(_draws: &mut impl DrawSource, difficulty_ramping: bool) -> Self {
        Asterix {
            player_x: 5,
            player_y: 5,
            ent_alive: [false; SLOTS],
            ent_x: [0; SLOTS],
            ent_y: [0; SLOTS],
            ent_right: [false; SLOTS],
            ent_gold: [false; SLOTS],
            spawn_speed: INIT_SPAWN_SPEED,
            spawn_timer: INIT_SPAWN_SPEED,
            move_speed: INIT_MOVE_INTERVAL,
            move_timer: INIT_MOVE_INTERVAL,
            ramp_timer: RAMP_INTERVAL,
            ramp_index: 0,
            terminal: false,
            ramping: difficulty_ramping,
        }
    }

    fn step(&mut self, action: usize, draws: &mut impl DrawSource) -> (i32, bool) {
        let mut reward = 0;
        if self.spawn_timer == 0 {
            self.spawn(draws);
            self.spawn_timer = self.spawn_speed;
        }

        match action {
            LEFT => self.player_x = (self.player_x - 1).max(0),
            RIGHT => self.player_x = (self.player_x + 1).min(9),
            UP => self.player_y = (self.player_y - 1).max(1),
            DOWN => self.player_y = (self.player_y + 1).min(8),
            _ => {}
        }

        // Entities where the player now stands.
        for i in 0..SLOTS {
            if self.ent_alive[i] {
                self.touch(i, &mut reward);
            }
        }
        // Entities move (one leaving the screen is removed), then meet the player.
        if self.move_timer == 0 {
            self.move_timer = self.move_speed;
            for i in 0..SLOTS {
                if self.ent_alive[i] {
                    self.ent_x[i] += if self.ent_right[i] { 1 } else { -1 };
                    if self.ent_x[i] < 0 || self.ent_x[i] > 9 {
                        // the reference still compares the removed entity's column (-1 or 10)
                        // with the player's (0-9): never equal
                        self.remove(i);
                    } else {
                        self.touch(i, &mut reward);
                    }
                }
            }
        }

        self.spawn_timer -= 1;
        self.move_timer -= 1;

        if self.ramping && (self.spawn_speed > 1 || self.move_speed > 1) {
            if self.ramp_timer >= 0 {
                self.ramp_timer -= 1;
            } else {
                // Python's `ramp_index % 2` (floored, so odd negatives are 1 too)
                if self.move_speed > 1 && self.ramp_index.rem_euclid(2) == 1 {
                    self.move_speed -= 1;
                }
                if self.spawn_speed > 1 {
                    self.spawn_speed -= 1;
                }
                self.ramp_index += 1;
                self.ramp_timer = RAMP_INTERVAL;
            }
        }
        (reward, self.terminal)
    }

    fn terminal(&self) -> bool {
        self.terminal
    }

    fn write_obs(&self, out: &mut [bool]) {
        let at = |y: i64, x: i64, c: usize| (y as usize * GRID + x as usize) * CHANNELS + c;
        out.fill(false);
        out[at(self.player_y, self.player_x, 0)] = true;
        for i in 0..SLOTS {
            if self.ent_alive[i] {
                let (x, y) = (self.ent_x[i], self.ent_y[i]);
                out[at(y, x, if self.ent_gold[i] { 3 } else { 1 })] = true;
                let back = if self.ent_right[i] { x - 1 } else { x + 1 };
                if (0..=9).contains(&back) {
                    out[at(y, back, 2)] = true;
                }
            }
        }
    }

    fn get_state(&self) -> Vec<GameValue> {
        vec![
            GameValue::Ints(vec![self.player_x]),
            GameValue::Ints(vec![self.player_y]),
            GameValue::Bools(self.ent_alive.to_vec()),
            GameValue::Ints(self.ent_x.to_vec()),
            GameValue::Ints(self.ent_y.to_vec()),
            GameValue::Bools(self.ent_right.to_vec()),
            GameValue::Bools(self.ent_gold.to_vec()),
            GameValue::Ints(vec![self.spawn_speed]),
            GameValue::Ints(vec![self.spawn_timer]),
            GameValue::Ints(vec![self.move_speed]),
            GameValue::Ints(vec![self.move_timer]),
            GameValue::Ints(vec![self.ramp_timer]),
            GameValue::Ints(vec![self.ramp_index]),
            GameValue::Bools(vec![self.terminal]),
        ]
    }

    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        let mut game = self.clone();
        game.player_x = ints(&values[0])[0];
        game.player_y = ints(&values[1])[0];
        game.ent_alive.copy_from_slice(bools(&values[2]));
        game.ent_x.copy_from_slice(ints(&values[3]));
        game.ent_y.copy_from_slice(ints(&values[4]));
        game.ent_right.copy_from_slice(bools(&values[5]));
        game.ent_gold.copy_from_slice(bools(&values[6]));
        game.spawn_speed = ints(&values[7])[0];
        game.spawn_timer = ints(&values[8])[0];
        game.move_speed = ints(&values[9])[0];
        game.move_timer = ints(&values[10])[0];
        game.ramp_timer = ints(&values[11])[0];
        game.ramp_index = ints(&values[12])[0];
        game.terminal = bools(&values[13])[0];
        // Positions index the observation grid (the reference's `state()` raises outside it).
        let on_grid = |v: i64| (0..GRID as i64).contains(&v);
        for (name, v) in [("player_x", game.player_x), ("player_y", game.player_y)] {
            if !on_grid(v) {
                return Err(format!("state field '{name}' must be in 0..=9, got {v}"));
            }
        }
        for i in 0..SLOTS {
            if game.ent_alive[i] {
                for (name, v) in [("ent_x", game.ent_x[i]), ("ent_y", game.ent_y[i])] {
                    if !on_grid(v) {
                        return Err(format!("state field '{name}'[{i}] of a live entity must be in 0..=9, got {v}"));
                    }
                }
            } else {
                // None in the reference: nothing is kept
                game.remove(i);
            }
        }
        *self = game;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::{MinAtar, MinAtarConfig, RngDraws, FIRE};
    use crate::rng::Rng;

    /// Answers from fixed values (`values[draw]`) and records every call
    /// `(draw, low, high)` (`low = high = -1` for a uniform).
    struct Recorder {
        values: [f64; 3],
        calls: Vec<(usize, i64, i64)>,
    }

    impl DrawSource for Recorder {
        fn uniform(&mut self, draw: usize, i: usize) -> f64 {
            assert_eq!(i, 0);
            self.calls.push((draw, -1, -1));
            self.values[draw]
        }
        fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64 {
            assert_eq!(i, 0);
            assert!((low..high).contains(&(self.values[draw] as i64)), "slot {} outside [{low}, {high})", self.values[draw]);
            self.calls.push((draw, low, high));
            self.values[draw] as i64
        }
    }

    fn rec(right: f64, gold: f64, slot: f64) -> Recorder {
        Recorder { values: [right, gold, slot], calls: Vec::new() }
    }

    /// No step draws expected.
    fn none() -> Recorder {
        Recorder { values: [f64::NAN; 3], calls: Vec::new() }
    }

    fn new_game() -> Asterix {
        Asterix::reset(&mut none(), true)
    }

    /// Put an entity in slot `i` (row `i + 1`).
    fn put(g: &mut Asterix, i: usize, x: i64, right: bool, gold: bool) {
        g.ent_alive[i] = true;
        g.ent_x[i] = x;
        g.ent_y[i] = i as i64 + 1;
        g.ent_right[i] = right;
        g.ent_gold[i] = gold;
    }

    #[test]
    fn reset_matches_the_reference_and_draws_nothing() {
        let mut d = none();
        let g = Asterix::reset(&mut d, false);
        assert!(d.calls.is_empty());
        assert_eq!((g.player_x, g.player_y), (5, 5));
        assert_eq!(g.ent_alive, [false; 8]);
        assert_eq!((g.spawn_speed, g.spawn_timer, g.move_speed, g.move_timer), (10, 10, 5, 5));
        assert_eq!((g.ramp_timer, g.ramp_index, g.terminal, g.ramping), (100, 0, false, false));
    }

    #[test]
    fn spawns_in_the_kth_free_slot_with_the_actual_bound() {
        let mut g = new_game();
        g.spawn_timer = 0;
        g.move_timer = 3;
        put(&mut g, 0, 3, true, false);
        put(&mut g, 2, 7, false, true);
        // free slots 1, 3, 4, 5, 6, 7: k = 1 is slot 3 (row 4); 0.3 < 1/2 from the left; 0.2 < 1/3 gold
        let mut d = rec(0.3, 0.2, 1.0);
        assert_eq!(g.step(NOOP, &mut d), (0, false));
        assert_eq!(d.calls, [(SPAWN_RIGHT, -1, -1), (SPAWN_GOLD, -1, -1), (SPAWN_SLOT, 0, 6)]);
        assert_eq!(g.ent_alive, [true, false, true, true, false, false, false, false]);
        assert_eq!((g.ent_x[3], g.ent_y[3], g.ent_right[3], g.ent_gold[3]), (0, 4, true, true));
        assert_eq!((g.spawn_timer, g.move_timer), (9, 2)); // spawn_speed 10, then the countdown
        // from the right, an enemy: exactly 1/2 and 1/3 are not below
        let mut g = new_game();
        g.spawn_timer = 0;
        let mut d = rec(0.5, 1.0 / 3.0, 7.0);
        g.step(NOOP, &mut d);
        assert_eq!(d.calls.last(), Some(&(SPAWN_SLOT, 0, 8)));
        assert_eq!((g.ent_alive[7], g.ent_x[7], g.ent_y[7], g.ent_right[7], g.ent_gold[7]), (true, 9, 8, false, false));
        // no spawn while the timer runs
        let mut d = none();
        g.step(NOOP, &mut d);
        assert!(d.calls.is_empty());
    }

    #[test]
    fn a_full_board_draws_side_and_kind_but_no_slot() {
        let mut g = new_game();
        g.spawn_timer = 0;
        g.move_timer = 3;
        for i in 0..8 {
            put(&mut g, i, 1 + i as i64, i % 2 == 0, false);
        }
        g.player_y = 1;
        g.player_x = 0;
        let before = g.clone();
        let mut d = rec(0.1, 0.1, f64::NAN);
        assert_eq!(g.step(NOOP, &mut d), (0, false));
        assert_eq!(d.calls, [(SPAWN_RIGHT, -1, -1), (SPAWN_GOLD, -1, -1)]);
        assert_eq!((g.ent_alive, g.ent_x), (before.ent_alive, before.ent_x));
        assert_eq!(g.spawn_timer, 9);
    }

    #[test]
    fn gold_scores_and_leaves_enemies_end_the_game() {
        // the player steps onto gold: +1, the slot is emptied (zeros)
        let mut g = new_game();
        put(&mut g, 4, 6, true, true); // row 5
        assert_eq!(g.step(RIGHT, &mut none()), (1, false));
        assert_eq!((g.ent_alive[4], g.ent_x[4], g.ent_y[4], g.ent_right[4], g.ent_gold[4]), (false, 0, 0, false, false));
        // the player steps onto an enemy: over
        let mut g = new_game();
        put(&mut g, 3, 5, false, false); // row 4
        assert_eq!(g.step(UP, &mut none()), (0, true));
        assert!(g.terminal && g.ent_alive[3]);
        // moving entities: gold moves onto the player (+1), an enemy too (over), in one step
        let mut g = new_game();
        g.move_timer = 0;
        g.player_y = 2;
        put(&mut g, 1, 4, true, true); // row 2, x 4 -> 5
        assert_eq!(g.step(NOOP, &mut none()), (1, false));
        assert!(!g.ent_alive[1]);
        assert_eq!(g.move_timer, 4); // move_speed 5, then the countdown
        let mut g = new_game();
        g.move_timer = 0;
        g.player_y = 2;
        put(&mut g, 1, 6, false, false); // row 2, x 6 -> 5
        assert_eq!(g.step(NOOP, &mut none()), (0, true));
        // an enemy on the player before moving away still ends it; gold moving onto it still scores
        let mut g = new_game();
        g.move_timer = 0;
        g.player_y = 3;
        g.ent_alive[2] = true;
        (g.ent_x[2], g.ent_y[2], g.ent_right[2]) = (5, 3, true);
        put(&mut g, 6, 4, true, true);
        g.ent_y[6] = 3; // a set state may put two entities in a row
        assert_eq!(g.step(NOOP, &mut none()), (1, true));
        assert_eq!(g.ent_x[2], 6);
        // gold on the player both before and after: collected once, before moving
        let mut g = new_game();
        g.move_timer = 0;
        put(&mut g, 4, 5, true, true);
        assert_eq!(g.step(NOOP, &mut none()), (1, false));
    }

    #[test]
    fn entities_move_every_move_speed_steps_and_leave_the_screen() {
        let mut g = new_game();
        g.spawn_timer = 50;
        g.player_y = 8;
        put(&mut g, 0, 9, true, false);
        put(&mut g, 1, 0, false, true);
        put(&mut g, 2, 3, false, false);
        let mut xs = vec![];
        for _ in 0..11 {
            g.step(FIRE, &mut none()); // FIRE does nothing in Asterix
            xs.push((g.ent_alive[0], g.ent_alive[1], g.ent_x[2]));
        }
        // move_timer 5 at reset: the first move on the 6th step, the next on the 11th (move_speed 5)
        let mut want = vec![(true, true, 3); 5];
        want.extend(vec![(false, false, 2); 5]);
        want.push((false, false, 1));
        assert_eq!(xs, want);
        assert_eq!(g.ent_x[..2], [0, 0]);
        assert_eq!((g.player_x, g.player_y), (5, 8));
    }

    #[test]
    fn the_player_stays_in_rows_1_to_8_and_columns_0_to_9() {
        let mut g = new_game();
        g.spawn_timer = 100;
        g.move_timer = 100;
        for _ in 0..10 {
            g.step(UP, &mut none());
            g.step(LEFT, &mut none());
        }
        assert_eq!((g.player_x, g.player_y), (0, 1));
        for _ in 0..10 {
            g.step(DOWN, &mut none());
            g.step(RIGHT, &mut none());
        }
        assert_eq!((g.player_x, g.player_y), (9, 8));
    }

    /// A game whose board is cleared after every step (so it never ends), for the ramp.
    fn ramp_trace(ramping: bool, steps: usize) -> Vec<(i64, i64, i64, i64)> {
        let mut g = Asterix::reset(&mut none(), ramping);
        let mut rng = Rng::new(1, 2);
        let mut out = vec![];
        for _ in 0..steps {
            g.step(NOOP, &mut RngDraws(&mut rng));
            for i in 0..SLOTS {
                g.remove(i);
            }
            out.push((g.spawn_speed, g.move_speed, g.ramp_index, g.ramp_timer));
        }
        out
    }

    #[test]
    fn the_difficulty_ramps_every_102_steps_until_both_speeds_are_1() {
        let t = ramp_trace(true, 1200);
        // ramp_timer counts 100 down to -1 (101 steps), the 102nd step ramps and restarts it
        assert_eq!(t[100], (10, 5, 0, -1));
        assert_eq!(t[101], (9, 5, 1, 100)); // ramp 0: index even, move speed stays
        assert_eq!(t[203], (8, 4, 2, 100)); // ramp 1: index odd, move speed too
        assert_eq!(t[202], (9, 5, 1, -1));
        assert_eq!(t[305], (7, 4, 3, 100));
        assert_eq!(t[407], (6, 3, 4, 100));
        // spawn speed reaches 1 at the 9th ramp (step 9 * 102), move speed at the 8th (index 7)
        assert_eq!(t[9 * 102 - 1], (1, 1, 9, 100));
        assert_eq!(t[8 * 102 - 1].1, 1);
        // then the ramp stops and its timer stays where it was
        assert!(t[9 * 102 - 1..].iter().all(|&s| s == (1, 1, 9, 100)));
        // without ramping nothing changes
        assert!(ramp_trace(false, 500).iter().all(|&s| s == (10, 5, 0, 100)));
    }

    #[test]
    fn the_ramp_uses_python_modulo() {
        let mut g = new_game();
        g.spawn_timer = 100;
        g.move_timer = 100;
        g.ramp_timer = -1;
        g.ramp_index = -1; // -1 % 2 == 1 in Python: move speed ramps too
        g.step(NOOP, &mut none());
        assert_eq!((g.spawn_speed, g.move_speed, g.ramp_index, g.ramp_timer), (9, 4, 0, 100));
        // spawn speed at 1 but move speed above: the ramp goes on, only move speed changes
        let mut g = new_game();
        (g.spawn_timer, g.move_timer, g.spawn_speed, g.ramp_timer, g.ramp_index) = (100, 100, 1, -1, 3);
        g.step(NOOP, &mut none());
        assert_eq!((g.spawn_speed, g.move_speed, g.ramp_index, g.ramp_timer), (1, 4, 4, 100));
    }

    #[test]
    fn observation_channels_and_trails() {
        let mut g = new_game();
        (g.player_x, g.player_y) = (2, 7);
        put(&mut g, 0, 0, true, false); // trail at -1: none
        put(&mut g, 1, 9, false, true); // trail at 10: none
        put(&mut g, 3, 4, true, true); // trail at 3
        put(&mut g, 5, 4, false, false); // trail at 5
        g.ent_x[6] = 7; // dead slot: nothing
        let mut obs = vec![true; 10 * 10 * CHANNELS];
        g.write_obs(&mut obs);
        let set: Vec<(usize, usize, usize)> = (0..obs.len())
            .filter(|&k| obs[k])
            .map(|k| (k / CHANNELS / 10, k / CHANNELS % 10, k % CHANNELS))
            .collect();
        assert_eq!(set, [(1, 0, 1), (2, 9, 3), (4, 3, 2), (4, 4, 3), (6, 4, 1), (6, 5, 2), (7, 2, 0)]);
    }

    #[test]
    fn state_round_trips_and_dead_slots_keep_nothing() {
        let mut rng = Rng::new(9, 0);
        let config = MinAtarConfig::default();
        let mut env = MinAtar::<Asterix>::reset(config, &mut RngDraws(&mut rng));
        for _ in 0..60 {
            let sticky = rng.next_f64();
            env.step(NOOP, sticky, &mut RngDraws(&mut rng));
        }
        assert!(env.game.ent_alive.iter().any(|&a| a), "something spawned in 60 steps");
        let state = env.get_state();
        assert_eq!(
            MinAtar::<Asterix>::field_names(),
            [
                "player_x", "player_y", "ent_alive", "ent_x", "ent_y", "ent_right", "ent_gold", "spawn_speed", "spawn_timer",
                "move_speed", "move_timer", "ramp_timer", "ramp_index", "terminal", "last_action", "time"
            ]
        );
        let mut other = MinAtar::<Asterix>::reset(MinAtarConfig { difficulty_ramping: false, ..config }, &mut RngDraws(&mut rng));
        other.set_state(&state).unwrap();
        assert_eq!(other.get_state(), state);
        assert!(!other.game.ramping, "the setting is not state");
        // a dead slot's values are dropped, as the reference's None
        let mut s = state.clone();
        let dead = env.game.ent_alive.iter().position(|&a| !a).unwrap();
        if let GameValue::Ints(x) = &mut s[3] {
            x[dead] = 7;
        }
        other.set_state(&s).unwrap();
        assert_eq!(other.get_state(), state);
        // a live entity off the grid is refused and changes nothing
        let live = env.game.ent_alive.iter().position(|&a| a).unwrap();
        if let GameValue::Ints(x) = &mut s[4] {
            x[live] = 10;
        }
        assert!(other.set_state(&s).unwrap_err().contains("ent_y"));
        assert_eq!(other.get_state(), state);
    }

    #[test]
    fn own_generator_spawns_with_the_reference_probabilities() {
        // slots 1 and 4 taken: six free, each chosen with probability 1/6
        let mut rng = Rng::new(8, 0);
        let n = 60_000;
        let (mut right, mut gold, mut slots) = (0, 0, [0u32; SLOTS]);
        for _ in 0..n {
            let mut g = new_game();
            put(&mut g, 1, 3, true, false);
            put(&mut g, 4, 3, true, false);
            g.spawn(&mut RngDraws(&mut rng));
            let i = (0..SLOTS).find(|&i| g.ent_alive[i] && i != 1 && i != 4).unwrap();
            slots[i] += 1;
            right += g.ent_right[i] as u32;
            gold += g.ent_gold[i] as u32;
            assert_eq!(g.ent_x[i], if g.ent_right[i] { 0 } else { 9 });
        }
        let near = |count: u32, p: f64| (count as f64 / n as f64 - p).abs() < 4.5 * (p * (1.0 - p) / n as f64).sqrt();
        assert!(near(right, 0.5) && near(gold, 1.0 / 3.0), "right {right}, gold {gold}");
        assert_eq!((slots[1], slots[4]), (0, 0));
        assert!([0, 2, 3, 5, 6, 7].iter().all(|&i| near(slots[i], 1.0 / 6.0)), "{slots:?}");
    }

    #[test]
    fn random_play_spawns_in_every_slot_and_ends() {
        let mut rng = Rng::new(4, 0);
        let mut ended = 0;
        let mut slots = [0u32; SLOTS];
        let mut gold = 0.0;
        for _ in 0..50 {
            let mut env = MinAtar::<Asterix>::reset(MinAtarConfig::default(), &mut RngDraws(&mut rng));
            loop {
                let (sticky, a) = (rng.next_f64(), rng.integer(0, 6) as usize);
                let alive = env.game.ent_alive;
                let (r, terminated, truncated) = env.step(a, sticky, &mut RngDraws(&mut rng));
                gold += r;
                for i in 0..SLOTS {
                    slots[i] += (!alive[i] && env.game.ent_alive[i]) as u32;
                }
                if terminated || truncated {
                    ended += terminated as u32;
                    break;
                }
            }
        }
        assert!(ended > 40, "{ended} of 50 episodes hit an enemy");
        assert!(slots.iter().all(|&n| n > 20), "{slots:?}");
        assert!(gold > 10.0);
    }
}
