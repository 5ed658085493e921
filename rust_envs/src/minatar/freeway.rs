//! MinAtar Freeway, translated from `minatar.environments.freeway.Env`
//! (`minatar` 1.0.15).
//!
//! The chicken starts on row 9 and crosses eight lanes of cars (rows 1-8):
//! reaching row 0 scores 1, sends it back to row 9 and redraws every car's
//! speed and direction; a car that meets it (column 4, its row) sends it back
//! to row 9. It moves at most once every three steps. The game ends itself on
//! its 2501st step (`terminate_timer` below 0). Channels: chicken, car, then
//! the car's trail by speed 1-5.
//!
//! Car speeds are `randint(1, 6, 8) * sign(rand(8) - 0.5)`: a direction draw of
//! exactly 0.5 gives numpy's `sign(0.0) = 0`, a car of speed 0 (it moves left
//! on every step). Its trail channel is undefined in the reference: `state()`
//! keeps the previous car's `trail` variable (a Python local that outlives the
//! loop iteration), and raises `UnboundLocalError` when it is the first car;
//! [`Freeway::write_obs`] keeps the previous car's trail too and writes no
//! trail in the second case.
//!
//! The reference updates the cars one after the other and a hit sends the
//! chicken to row 9 at once, so cars after it compare with row 9; since a hit
//! only ever sets row 9, [`Freeway::step`] decides the hit against the row the
//! chicken had before the cars moved, which is the same.

use super::{DrawDecl, DrawKind, DrawSource, GameField, GameValue, MinAtarGame, DOWN, GRID, NOOP, UP};

/// The chicken moves at most once every `PLAYER_SPEED` steps.
pub const PLAYER_SPEED: i64 = 3;
/// `terminate_timer` at reset; the game ends when it falls below 0.
pub const TIME_LIMIT: i64 = 2500;
/// Number of cars (one per lane, rows 1-8).
pub const CARS: usize = 8;
const CHANNELS: usize = 7;

// Draw indices in RESET_DRAWS / STEP_DRAWS.
const SPEEDS: usize = 0;
const DIRS: usize = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freeway {
    /// `Env.cars[i][0]`: column.
    pub car_x: [i32; CARS],
    /// `Env.cars[i][1]`: lane row, `i + 1`.
    pub car_y: [i32; CARS],
    /// `Env.cars[i][2]`: steps until the car moves.
    pub car_timer: [i32; CARS],
    /// `Env.cars[i][3]`: signed speed (sign: direction).
    pub car_speed: [i32; CARS],
    /// `Env.pos`: the chicken's row.
    pub pos: i64,
    pub move_timer: i64,
    pub terminate_timer: i64,
    pub terminal: bool,
}

/// `numpy.sign(u - 0.5)` as an int: -1, 0 (exactly 0.5) or 1.
#[inline]
fn direction(u: f64) -> i32 {
    if u > 0.5 {
        1
    } else if u < 0.5 {
        -1
    } else {
        0
    }
}

/// `Env._randomize_cars`: `randint(1, 6, 8)` (draw `speeds`), then
/// `sign(rand(8) - 0.5)` (draw `dirs`), multiplied.
#[inline]
fn car_speeds(draws: &mut impl DrawSource, speeds: usize, dirs: usize) -> [i32; CARS] {
    let mut s = [0i32; CARS];
    for (i, v) in s.iter_mut().enumerate() {
        *v = draws.integer(speeds, i, 1, 6) as i32;
    }
    for (i, v) in s.iter_mut().enumerate() {
        *v *= direction(draws.uniform(dirs, i));
    }
    s
}

/// Column wrap of the reference: below 0 to 9, above 9 to 0.
#[inline]
fn wrap(x: i32) -> i32 {
    if x < 0 {
        9
    } else if x > 9 {
        0
    } else {
        x
    }
}

fn ints(v: &GameValue) -> &[i64] {
    match v {
        GameValue::Ints(x) => x,
        GameValue::Bools(_) => unreachable!("kinds are checked before set_state"),
    }
}

/// Largest magnitude of a car value `set_state` accepts (the cars are kept as
/// `i32`, which keeps the per-step work small; the port's bounds are 0-9 and -5..5).
const CAR_VALUE_LIMIT: i64 = 1 << 30;

/// An array field of eight cars.
fn array8(v: &GameValue, name: &str) -> Result<[i32; CARS], String> {
    let mut a = [0i32; CARS];
    for (a, &v) in a.iter_mut().zip(ints(v)) {
        if v.abs() > CAR_VALUE_LIMIT {
            return Err(format!("state field '{name}' must be within +-2^30, got {v}"));
        }
        *a = v as i32;
    }
    Ok(a)
}

impl MinAtarGame for Freeway {
    const NAME: &'static str = "freeway";
    const CHANNELS: usize = CHANNELS;
    const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, UP, DOWN];
    const MAX_EPISODE_STEPS: i64 = 2600;
    const FIELDS: &'static [GameField] = &[
        GameField::ints("car_x", &[CARS]),
        GameField::ints("car_y", &[CARS]),
        GameField::ints("car_timer", &[CARS]),
        GameField::ints("car_speed", &[CARS]),
        GameField::int("pos"),
        GameField::int("move_timer"),
        GameField::int("terminate_timer"),
        GameField::boolean("terminal"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "car_speeds", kind: DrawKind::Integers { low: 1, high: 6 }, len: CARS },
        DrawDecl { name: "car_dirs", kind: DrawKind::Uniform, len: CARS },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "win_speeds", kind: DrawKind::Integers { low: 1, high: 6 }, len: CARS },
        DrawDecl { name: "win_dirs", kind: DrawKind::Uniform, len: CARS },
    ];

    fn reset(draws: &mut impl DrawSource, _difficulty_ramping: bool) -> Self {
        // Freeway has no difficulty ramp (`Env.difficulty_ramp` returns None).
        let speed = car_speeds(draws, SPEEDS, DIRS);
        Freeway {
            car_x: [0; CARS],
            car_y: [1, 2, 3, 4, 5, 6, 7, 8],
            car_timer: speed.map(i32::abs),
            car_speed: speed,
            pos: 9,
            move_timer: PLAYER_SPEED,
            terminate_timer: TIME_LIMIT,
            terminal: false,
        }
    }

    fn step(&mut self, action: usize, draws: &mut impl DrawSource) -> (i32, bool) {
        let mut reward = 0;
        // up / down when the move timer has run out (selects, not branches: the
        // action is random across envs)
        let ready = self.move_timer == 0;
        let (up, down) = (ready & (action == UP), ready & (action == DOWN));
        let moved = if up { (self.pos - 1).max(0) } else { (self.pos + 1).min(9) };
        self.pos = if up | down { moved } else { self.pos };
        self.move_timer = if up | down { PLAYER_SPEED } else { self.move_timer };

        // Win condition: new speeds (the step's only draws), back to the bottom.
        if self.pos == 0 {
            reward += 1;
            let speed = car_speeds(draws, SPEEDS, DIRS);
            self.car_timer = speed.map(i32::abs);
            self.car_speed = speed;
            self.pos = 9;
        }

        // Cars. The reference updates them one after the other and sends the
        // chicken to row 9 as soon as one meets it (column 4 of its row), before
        // or after moving; later cars compare with row 9. A hit only ever sets
        // row 9, so the chicken ends on row 9 exactly when some car meets it on
        // its row before this loop: that is what is computed (without branches).
        let pos = self.pos as i32; // on the grid (0-9)
        let mut hit = false;
        for i in 0..CARS {
            let (x, t, speed) = (self.car_x[i], self.car_timer[i], self.car_speed[i]);
            let moving = t == 0;
            let x2 = if moving { wrap(x + if speed > 0 { 1 } else { -1 }) } else { x };
            hit |= ((x == 4) | (x2 == 4)) & (self.car_y[i] == pos);
            self.car_x[i] = x2;
            self.car_timer[i] = if moving { speed.abs() } else { t - 1 };
        }
        if hit {
            self.pos = 9;
        }

        self.move_timer -= (self.move_timer > 0) as i64;
        self.terminate_timer -= 1;
        if self.terminate_timer < 0 {
            self.terminal = true;
        }
        (reward, self.terminal)
    }

    fn terminal(&self) -> bool {
        self.terminal
    }

    fn write_obs(&self, out: &mut [bool]) {
        let out: &mut [bool; GRID * GRID * CHANNELS] = out.try_into().expect("a 10 x 10 x 7 observation");
        // Positions are on the grid (`set_state` checks): `min` only tells the compiler so.
        let at = |y: i32, x: i32, c: usize| ((y as usize).min(9) * GRID + (x as usize).min(9)) * CHANNELS + c.min(6);
        out.fill(false);
        out[at(self.pos as i32, 4, 0)] = true;
        if self.car_speed.iter().fold(true, |ok, &s| ok & (s != 0) & (-5..=5).contains(&s)) {
            // every car has its own trail channel (so from every reset, but for a
            // direction draw of exactly 0.5)
            for i in 0..CARS {
                let (x, y, speed) = (self.car_x[i], self.car_y[i], self.car_speed[i]);
                let back = if speed > 0 { if x == 0 { 9 } else { x - 1 } } else if x == 9 { 0 } else { x + 1 };
                out[at(y, x, 1)] = true;
                out[at(y, back, 1 + speed.unsigned_abs() as usize)] = true;
            }
            return;
        }
        // `trail` outlives an iteration, as the reference's local does (speed 0 or above 5).
        let mut trail: Option<usize> = None;
        for i in 0..CARS {
            let (x, y, speed) = (self.car_x[i], self.car_y[i], self.car_speed[i]);
            out[at(y, x, 1)] = true;
            let back = wrap(if speed > 0 { x - 1 } else { x + 1 });
            if (1..=5).contains(&speed.abs()) {
                trail = Some(1 + speed.unsigned_abs() as usize);
            }
            if let Some(c) = trail {
                out[at(y, back, c)] = true;
            }
        }
    }

    fn get_state(&self) -> Vec<GameValue> {
        vec![
            GameValue::Ints(self.car_x.map(i64::from).to_vec()),
            GameValue::Ints(self.car_y.map(i64::from).to_vec()),
            GameValue::Ints(self.car_timer.map(i64::from).to_vec()),
            GameValue::Ints(self.car_speed.map(i64::from).to_vec()),
            GameValue::Ints(vec![self.pos]),
            GameValue::Ints(vec![self.move_timer]),
            GameValue::Ints(vec![self.terminate_timer]),
            GameValue::Bools(vec![self.terminal]),
        ]
    }

    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        let game = Freeway {
            car_x: array8(&values[0], "car_x")?,
            car_y: array8(&values[1], "car_y")?,
            car_timer: array8(&values[2], "car_timer")?,
            car_speed: array8(&values[3], "car_speed")?,
            pos: ints(&values[4])[0],
            move_timer: ints(&values[5])[0],
            terminate_timer: ints(&values[6])[0],
            terminal: match &values[7] {
                GameValue::Bools(b) => b[0],
                GameValue::Ints(_) => unreachable!("kinds are checked before set_state"),
            },
        };
        // Positions index the observation grid (the reference's `state()` raises outside it).
        let on_grid = |name: &str, v: &[i64]| match v.iter().find(|&&x| !(0..GRID as i64).contains(&x)) {
            Some(x) => Err(format!("state field '{name}' must be in 0..=9, got {x}")),
            None => Ok(()),
        };
        on_grid("car_x", &game.car_x.map(i64::from))?;
        on_grid("car_y", &game.car_y.map(i64::from))?;
        on_grid("pos", &[game.pos])?;
        *self = game;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::{GivenDraws, MinAtar, MinAtarConfig, RngDraws, LEFT};
    use crate::rng::Rng;

    /// Answers from fixed values and records every call `(draw, element, low, high)`
    /// (`low = high = -1` for a uniform).
    struct Recorder<'a> {
        values: &'a [Vec<f64>],
        calls: Vec<(usize, usize, i64, i64)>,
    }

    impl DrawSource for Recorder<'_> {
        fn uniform(&mut self, draw: usize, i: usize) -> f64 {
            self.calls.push((draw, i, -1, -1));
            self.values[draw][i]
        }
        fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64 {
            self.calls.push((draw, i, low, high));
            self.values[draw][i] as i64
        }
    }

    fn recorder(values: &[Vec<f64>]) -> Recorder<'_> {
        Recorder { values, calls: Vec::new() }
    }

    /// A step draw source that must not be asked.
    struct NoDraws;
    impl DrawSource for NoDraws {
        fn uniform(&mut self, draw: usize, i: usize) -> f64 {
            panic!("unexpected uniform draw {draw}[{i}]")
        }
        fn integer(&mut self, draw: usize, i: usize, _: i64, _: i64) -> i64 {
            panic!("unexpected integer draw {draw}[{i}]")
        }
    }

    fn draws(speeds: [f64; 8], dirs: [f64; 8]) -> Vec<Vec<f64>> {
        vec![speeds.to_vec(), dirs.to_vec()]
    }

    /// All cars at speed `speed` (signed), parked far from column 4.
    fn quiet_game(speed: i32) -> Freeway {
        let d = draws([speed.abs() as f64; 8], [if speed > 0 { 0.9 } else { 0.1 }; 8]);
        let mut g = Freeway::reset(&mut GivenDraws { decls: Freeway::RESET_DRAWS, values: &d }, true);
        g.car_x = [0; 8];
        g
    }

    #[test]
    fn reset_draws_speeds_then_directions_with_numpy_sign() {
        let d = draws([1., 2., 3., 4., 5., 1., 2., 3.], [0.1, 0.9, 0.5, 0.4999999, 0.5000001, 0.0, 0.75, 0.25]);
        let mut r = recorder(&d);
        let g = Freeway::reset(&mut r, true);
        assert_eq!(g.car_speed, [-1, 2, 0, -4, 5, -1, 2, -3]);
        assert_eq!(g.car_timer, [1, 2, 0, 4, 5, 1, 2, 3]);
        assert_eq!(g.car_x, [0; 8]);
        assert_eq!(g.car_y, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((g.pos, g.move_timer, g.terminate_timer, g.terminal), (9, 3, 2500, false));
        let mut want: Vec<_> = (0..8).map(|i| (SPEEDS, i, 1, 6)).collect();
        want.extend((0..8).map(|i| (DIRS, i, -1, -1)));
        assert_eq!(r.calls, want);
    }

    #[test]
    fn the_chicken_moves_once_every_three_steps() {
        let mut g = quiet_game(5);
        g.car_timer = [5; 8];
        // move_timer 3 at reset: up does nothing until it reaches 0
        for t in [2, 1, 0] {
            assert_eq!(g.step(UP, &mut NoDraws), (0, false));
            assert_eq!((g.pos, g.move_timer), (9, t));
        }
        assert_eq!(g.step(UP, &mut NoDraws), (0, false));
        assert_eq!((g.pos, g.move_timer), (8, 2)); // set to 3, then decremented
        g.move_timer = 0;
        g.step(DOWN, &mut NoDraws);
        assert_eq!((g.pos, g.move_timer), (9, 2));
        g.move_timer = 0;
        g.step(DOWN, &mut NoDraws); // already at the bottom: stays, the timer still restarts
        assert_eq!((g.pos, g.move_timer), (9, 2));
        g.move_timer = 0;
        g.step(LEFT, &mut NoDraws); // not a move in Freeway
        assert_eq!((g.pos, g.move_timer), (9, 0));
    }

    #[test]
    fn a_crossing_scores_one_redraws_the_speeds_and_returns_to_the_bottom() {
        let mut g = quiet_game(3);
        g.car_timer = [2; 8];
        g.pos = 1;
        g.move_timer = 0;
        let d = draws([5., 4., 3., 2., 1., 5., 4., 3.], [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.5]);
        let mut r = recorder(&d);
        assert_eq!(g.step(UP, &mut r), (1, false));
        assert_eq!(r.calls.len(), 16);
        assert_eq!(g.car_speed, [5, -4, 3, -2, 1, -5, 4, 0]);
        // the timers take the new speeds, then the cars update: a timer of 0 moves
        // the car (speed 0 moves left and keeps timer 0), others count down
        assert_eq!(g.car_timer, [4, 3, 2, 1, 0, 4, 3, 0]);
        assert_eq!(g.car_x, [0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!((g.pos, g.move_timer), (9, 2));
        // no crossing: no draws
        g.move_timer = 0;
        assert_eq!(g.step(UP, &mut NoDraws), (0, false));
        assert_eq!(g.pos, 8);
        // on row 0 without moving (a set state): the crossing still happens
        g.pos = 0;
        let mut r = recorder(&d);
        assert_eq!(g.step(NOOP, &mut r), (1, false));
        assert_eq!((g.pos, r.calls.len()), (9, 16));
    }

    #[test]
    fn cars_hit_the_chicken_before_and_after_moving_and_wrap() {
        // car 2 (row 3) sits on column 4 while the chicken is on row 3: hit before moving
        let mut g = quiet_game(1);
        g.car_timer = [1; 8];
        g.pos = 3;
        g.car_x[2] = 4;
        g.step(NOOP, &mut NoDraws);
        assert_eq!(g.pos, 9);
        // car 4 (row 5) moves right from column 3 onto column 4: hit after moving
        let mut g = quiet_game(1);
        g.car_timer = [1; 8];
        g.car_timer[4] = 0;
        g.car_x[4] = 3;
        g.pos = 5;
        g.step(NOOP, &mut NoDraws);
        assert_eq!((g.pos, g.car_x[4], g.car_timer[4]), (9, 4, 1));
        // a car moving left from 5 onto 4 in another row: no hit
        let mut g = quiet_game(-2);
        g.car_timer = [1; 8];
        g.car_timer[0] = 0;
        g.car_x[0] = 5;
        g.pos = 4;
        g.step(NOOP, &mut NoDraws);
        assert_eq!((g.pos, g.car_x[0], g.car_timer[0]), (4, 4, 2));
        // wrap both ways
        let mut g = quiet_game(1);
        g.car_timer = [0; 8];
        g.car_x = [9; 8];
        g.car_speed[1] = -1;
        g.car_x[1] = 0;
        g.step(NOOP, &mut NoDraws);
        assert_eq!(g.car_x, [0, 9, 0, 0, 0, 0, 0, 0]);
        assert_eq!(g.car_timer, [1; 8]);
    }

    #[test]
    fn the_game_ends_on_its_2501st_step() {
        let mut rng = Rng::new(3, 0);
        let mut env = MinAtar::<Freeway>::reset(MinAtarConfig::default(), &mut RngDraws(&mut rng));
        for t in 1..=2501 {
            let sticky = rng.next_f64();
            let (_, terminated, truncated) = env.step(NOOP, sticky, &mut RngDraws(&mut rng));
            assert_eq!(terminated, t == 2501, "step {t}");
            assert!(!truncated);
        }
        assert_eq!(env.game.terminate_timer, -1);
    }

    #[test]
    fn always_up_crosses_and_scores() {
        let mut rng = Rng::new(11, 0);
        let mut env = MinAtar::<Freeway>::reset(MinAtarConfig::default(), &mut RngDraws(&mut rng));
        let mut score = 0.0;
        let mut speeds = std::collections::HashSet::new();
        for _ in 0..2501 {
            let sticky = rng.next_f64();
            score += env.step(UP, sticky, &mut RngDraws(&mut rng)).0;
            speeds.insert(env.game.car_speed);
        }
        // at most one crossing every 27 steps; cars push back some attempts
        assert!((5.0..=93.0).contains(&score), "score {score}");
        assert_eq!(speeds.len() as f32, score + 1.0);
    }

    #[test]
    fn own_generator_redraws_speeds_uniformly_on_a_crossing() {
        let mut rng = Rng::new(6, 0);
        let n = 20_000;
        let mut counts = [0u32; 11]; // speed + 5
        for _ in 0..n {
            let mut g = quiet_game(1);
            g.pos = 0;
            assert_eq!(g.step(NOOP, &mut RngDraws(&mut rng)).0, 1);
            for &s in &g.car_speed {
                counts[(s + 5) as usize] += 1;
            }
        }
        // 8 cars: each of -5..-1 and 1..5 with probability 1/10, never 0
        let total = (8 * n) as f64;
        let sd = (0.1f64 * 0.9 / total).sqrt();
        assert_eq!(counts[5], 0);
        assert!(counts.iter().enumerate().filter(|&(k, _)| k != 5).all(|(_, &c)| (c as f64 / total - 0.1).abs() < 4.5 * sd), "{counts:?}");
    }

    #[test]
    fn observation_channels_and_trails() {
        let mut g = quiet_game(1);
        g.pos = 6;
        g.car_x = [0, 9, 4, 5, 2, 3, 7, 8];
        g.car_speed = [1, -1, 2, -3, 4, -5, 5, -2];
        let mut obs = vec![true; 10 * 10 * CHANNELS];
        g.write_obs(&mut obs);
        let set: Vec<(usize, usize, usize)> = (0..obs.len())
            .filter(|&k| obs[k])
            .map(|k| (k / CHANNELS / 10, k / CHANNELS % 10, k % CHANNELS))
            .collect();
        let mut want = vec![(6, 4, 0)];
        // (row, car column, trail column, trail channel)
        for (y, x, back, c) in [(1, 0, 9, 2), (2, 9, 0, 2), (3, 4, 3, 3), (4, 5, 6, 4), (5, 2, 1, 5), (6, 3, 4, 6), (7, 7, 6, 6), (8, 8, 9, 3)] {
            want.push((y, x, 1));
            want.push((y, back, c));
        }
        want.sort();
        assert_eq!(set, want);
        // speed 0: the previous car's trail channel, and none for the first car
        g.car_speed = [0, 3, 0, 1, 1, 1, 1, 1];
        g.write_obs(&mut obs);
        assert!((0..CHANNELS).filter(|&c| c != 1).all(|c| !obs[(10 + 1) * CHANNELS + c]));
        assert!(obs[(3 * 10 + 5) * CHANNELS + 4]); // car 2 at x 4, trail at 5 with car 1's channel
    }

    #[test]
    fn state_round_trips_and_off_grid_positions_are_rejected() {
        let mut rng = Rng::new(5, 1);
        let mut env = MinAtar::<Freeway>::reset(MinAtarConfig::default(), &mut RngDraws(&mut rng));
        for _ in 0..40 {
            let sticky = rng.next_f64();
            env.step(UP, sticky, &mut RngDraws(&mut rng));
        }
        let state = env.get_state();
        assert_eq!(
            MinAtar::<Freeway>::field_names(),
            ["car_x", "car_y", "car_timer", "car_speed", "pos", "move_timer", "terminate_timer", "terminal", "last_action", "time"]
        );
        let mut other = MinAtar::<Freeway>::reset(MinAtarConfig::default(), &mut RngDraws(&mut rng));
        other.set_state(&state).unwrap();
        assert_eq!(other.game, env.game);
        assert_eq!(other.get_state(), state);
        let mut bad = state.clone();
        bad[1] = GameValue::Ints(vec![1, 2, 3, 4, 5, 6, 7, 10]);
        assert!(other.set_state(&bad).unwrap_err().contains("car_y"));
        bad = state.clone();
        bad[3] = GameValue::Ints(vec![1, 1, 1, 1, 1, 1, 1, -(1 << 31)]);
        assert!(other.set_state(&bad).unwrap_err().contains("car_speed"));
        bad = state.clone();
        bad[4] = GameValue::Ints(vec![-1]);
        assert!(other.set_state(&bad).unwrap_err().contains("pos"));
        assert_eq!(other.get_state(), state);
        // the two copies now step alike
        for _ in 0..100 {
            let sticky = rng.next_f64();
            let mut r1 = rng.clone();
            let a = env.step(UP, sticky, &mut RngDraws(&mut rng));
            let b = other.step(UP, sticky, &mut RngDraws(&mut r1));
            assert_eq!(a, b);
        }
        assert_eq!(other.get_state(), env.get_state());
    }
}
