//! MinAtar Breakout, translated from `minatar.environments.breakout.Env`
//! (MinAtar 1.0.15).
//!
//! The paddle moves along the bottom row; the ball travels on diagonals and
//! bounces off the side walls, the ceiling, bricks (+1 each) and the paddle; it
//! ends the game when it reaches the bottom row past the paddle. When no brick
//! is left as the ball reaches the bottom row, the three brick rows come back.
//! Channels: paddle, ball, trail, brick. The only randomness is the ball's
//! start (left or right) at reset: draw `ball_start`, `randint(2)`.
//!
//! Outside the reference's domain (a ball below the bottom row, which play
//! never reaches) the brick lookup uses the row clamped to 9 and the
//! observation leaves out what lies off the grid, as the JAX translation does;
//! nothing panics.

use super::{DrawDecl, DrawKind, DrawSource, GameField, GameValue, MinAtarGame, GRID, LEFT, NOOP, RIGHT};

/// `ball_dir`: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
const DX: [i64; 4] = [-1, 1, 1, -1];
const DY: [i64; 4] = [-1, -1, 1, 1];
/// Off a side wall.
const FLIP_X: [i64; 4] = [1, 0, 3, 2];
/// Off the ceiling, a brick, or the paddle's near edge.
const FLIP_Y: [i64; 4] = [3, 2, 1, 0];
/// Off the paddle's far edge: straight back.
const FLIP_XY: [i64; 4] = [2, 3, 0, 1];

const CHANNELS: usize = 4;
const PADDLE: usize = 0;
const BALL: usize = 1;
const TRAIL: usize = 2;

/// The state of `Env`, field for field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breakout {
    pub ball_x: i64,
    pub ball_y: i64,
    pub ball_dir: i64,
    pub pos: i64,
    /// `brick_map[y * 10 + x]` (a float 0/1 array in the reference).
    pub brick_map: [bool; GRID * GRID],
    pub strike: bool,
    pub last_x: i64,
    pub last_y: i64,
    pub terminal: bool,
}

/// Rows 1-3 full of bricks, as `reset` and a refill leave them.
fn fill_bricks(map: &mut [bool; GRID * GRID]) {
    map[GRID..4 * GRID].fill(true);
}

impl Breakout {
    #[inline]
    fn brick_index(y: i64, x: i64) -> usize {
        (y.clamp(0, 9) * GRID as i64 + x.clamp(0, 9)) as usize
    }
}

impl MinAtarGame for Breakout {
    const NAME: &'static str = "breakout";
    const CHANNELS: usize = CHANNELS;
    const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, LEFT, RIGHT];
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::int("ball_x"),
        GameField::int("ball_y"),
        GameField::int("ball_dir"),
        GameField::int("pos"),
        GameField::bools("brick_map", &[GRID, GRID]),
        GameField::boolean("strike"),
        GameField::int("last_x"),
        GameField::int("last_y"),
        GameField::boolean("terminal"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] =
        &[DrawDecl { name: "ball_start", kind: DrawKind::Integers { low: 0, high: 2 }, len: 1 }];
    const STEP_DRAWS: &'static [DrawDecl] = &[];

    fn reset(draws: &mut impl DrawSource, _difficulty_ramping: bool) -> Self {
        let (ball_x, ball_dir) = if draws.integer(0, 0, 0, 2) == 0 { (0, 2) } else { (9, 3) };
        let mut brick_map = [false; GRID * GRID];
        fill_bricks(&mut brick_map);
        Breakout {
            ball_x,
            ball_y: 3,
            ball_dir,
            pos: 4,
            brick_map,
            strike: false,
            last_x: ball_x,
            last_y: 3,
            terminal: false,
        }
    }

    fn step(&mut self, action: usize, _draws: &mut impl DrawSource) -> (i32, bool) {
        let mut reward = 0;
        if action == LEFT {
            self.pos = (self.pos - 1).max(0);
        } else if action == RIGHT {
            self.pos = (self.pos + 1).min(9);
        }
        self.last_x = self.ball_x;
        self.last_y = self.ball_y;
        let d = self.ball_dir as usize;
        let mut new_x = self.ball_x + DX[d];
        let mut new_y = self.ball_y + DY[d];

        let mut strike_toggle = false;
        if !(0..=9).contains(&new_x) {
            new_x = new_x.clamp(0, 9);
            self.ball_dir = FLIP_X[self.ball_dir as usize];
        }
        if new_y < 0 {
            new_y = 0;
            self.ball_dir = FLIP_Y[self.ball_dir as usize];
        } else if self.brick_map[Self::brick_index(new_y, new_x)] {
            strike_toggle = true;
            if !self.strike {
                reward += 1;
                self.strike = true;
                self.brick_map[Self::brick_index(new_y, new_x)] = false;
                new_y = self.last_y;
                self.ball_dir = FLIP_Y[self.ball_dir as usize];
            }
        } else if new_y == 9 {
            if !self.brick_map.iter().any(|&b| b) {
                fill_bricks(&mut self.brick_map);
            }
            if self.ball_x == self.pos {
                self.ball_dir = FLIP_Y[self.ball_dir as usize];
                new_y = self.last_y;
            } else if new_x == self.pos {
                self.ball_dir = FLIP_XY[self.ball_dir as usize];
                new_y = self.last_y;
            } else {
                self.terminal = true;
            }
        }
        if !strike_toggle {
            self.strike = false;
        }
        self.ball_x = new_x;
        self.ball_y = new_y;
        (reward, self.terminal)
    }

    fn terminal(&self) -> bool {
        self.terminal
    }

    #[inline]
    fn write_obs(&self, out: &mut [bool]) {
        debug_assert_eq!(out.len(), GRID * GRID * CHANNELS);
        for (cell, &brick) in out.chunks_exact_mut(CHANNELS).zip(self.brick_map.iter()) {
            cell.copy_from_slice(&[false, false, false, brick]);
        }
        let mut set = |y: i64, x: i64, c: usize| {
            if (0..GRID as i64).contains(&y) && (0..GRID as i64).contains(&x) {
                out[(y as usize * GRID + x as usize) * CHANNELS + c] = true;
            }
        };
        set(9, self.pos, PADDLE);
        set(self.ball_y, self.ball_x, BALL);
        set(self.last_y, self.last_x, TRAIL);
    }

    fn get_state(&self) -> Vec<GameValue> {
        let i = |v: i64| GameValue::Ints(vec![v]);
        let b = |v: bool| GameValue::Bools(vec![v]);
        vec![
            i(self.ball_x),
            i(self.ball_y),
            i(self.ball_dir),
            i(self.pos),
            GameValue::Bools(self.brick_map.to_vec()),
            b(self.strike),
            i(self.last_x),
            i(self.last_y),
            b(self.terminal),
        ]
    }

    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        let brick_map: [bool; GRID * GRID] =
            bools_at(values, 4)?.try_into().map_err(|_| "state field 'brick_map' must have 10 x 10 values".to_string())?;
        *self = Breakout {
            ball_x: int_at(values, 0, 9)?,
            ball_y: int_at(values, 1, 9)?,
            ball_dir: int_at(values, 2, 3)?,
            pos: int_at(values, 3, 9)?,
            brick_map,
            strike: bools_at(values, 5)?[0],
            last_x: int_at(values, 6, 9)?,
            last_y: int_at(values, 7, 9)?,
            terminal: bools_at(values, 8)?[0],
        };
        Ok(())
    }
}

/// Field `k` of `values`, an int in `0..=high`.
fn int_at(values: &[GameValue], k: usize, high: i64) -> Result<i64, String> {
    let name = Breakout::FIELDS[k].name;
    match &values[k] {
        GameValue::Ints(v) if (0..=high).contains(&v[0]) => Ok(v[0]),
        GameValue::Ints(v) => Err(format!("state field '{name}' must be in 0..={high}, got {}", v[0])),
        GameValue::Bools(_) => Err(format!("state field '{name}' must be int")),
    }
}

/// Field `k` of `values`, booleans.
fn bools_at(values: &[GameValue], k: usize) -> Result<&[bool], String> {
    match &values[k] {
        GameValue::Bools(v) => Ok(v),
        GameValue::Ints(_) => Err(format!("state field '{}' must be bool", Breakout::FIELDS[k].name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::{check_game_values, GivenDraws, MinAtar, MinAtarConfig, RngDraws, FIRE, UP};
    use crate::rng::Rng;

    fn start(side: i64) -> Breakout {
        let values = [vec![side as f64]];
        Breakout::reset(&mut GivenDraws { decls: Breakout::RESET_DRAWS, values: &values }, true)
    }

    fn no_draws() -> GivenDraws<'static> {
        GivenDraws { decls: &[], values: &[] }
    }

    fn obs(g: &Breakout) -> Vec<bool> {
        let mut o = vec![true; 400];
        g.write_obs(&mut o);
        o
    }

    fn at(o: &[bool], y: usize, x: usize, c: usize) -> bool {
        o[(y * 10 + x) * 4 + c]
    }

    #[test]
    fn reset_puts_the_ball_on_the_side_the_draw_picks() {
        let l = start(0);
        assert_eq!((l.ball_x, l.ball_y, l.ball_dir, l.pos, l.last_x, l.last_y), (0, 3, 2, 4, 0, 3));
        let r = start(1);
        assert_eq!((r.ball_x, r.ball_dir, r.last_x), (9, 3, 9));
        assert_eq!(l.brick_map.iter().filter(|&&b| b).count(), 30);
        assert!(l.brick_map[10..40].iter().all(|&b| b));
        let o = obs(&l);
        assert!(at(&o, 9, 4, PADDLE) && at(&o, 3, 0, BALL) && at(&o, 3, 0, TRAIL) && at(&o, 1, 5, 3));
        assert_eq!(o.iter().filter(|&&b| b).count(), 33);
    }

    #[test]
    fn paddle_moves_and_stops_at_the_walls() {
        let mut g = start(0);
        for _ in 0..7 {
            g.step(LEFT, &mut no_draws());
        }
        assert_eq!(g.pos, 0);
        let mut g = start(0);
        for _ in 0..3 {
            g.step(RIGHT, &mut no_draws());
        }
        g.step(UP, &mut no_draws());
        g.step(FIRE, &mut no_draws());
        assert_eq!(g.pos, 7);
    }

    #[test]
    fn ball_bounces_off_a_brick_once_and_scores() {
        // ball at (5, 4) moving up-left into a full brick row 3
        let mut g = start(0);
        g.ball_x = 5;
        g.ball_y = 4;
        g.ball_dir = 0;
        let (r, t) = g.step(NOOP, &mut no_draws());
        assert_eq!((r, t), (1, false));
        assert!(!g.brick_map[3 * 10 + 4], "the brick at (3, 4) is gone");
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir, g.strike), (4, 4, 3, true));
        assert_eq!((g.last_x, g.last_y), (5, 4));
    }

    #[test]
    fn strike_blocks_a_second_brick_in_a_row() {
        // ball just struck (strike set) and flies into another brick: no reward, passes into it
        let mut g = start(0);
        g.ball_x = 5;
        g.ball_y = 4;
        g.ball_dir = 1;
        g.strike = true;
        let (r, _) = g.step(NOOP, &mut no_draws());
        assert_eq!(r, 0);
        assert!(g.brick_map[3 * 10 + 6], "brick stays");
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir, g.strike), (6, 3, 1, true));
        // the next step moves away from bricks: strike clears
        g.brick_map[2 * 10 + 7] = false;
        g.step(NOOP, &mut no_draws());
        assert!(!g.strike);
    }

    #[test]
    fn walls_and_ceiling_reflect() {
        let mut g = start(0);
        g.brick_map = [false; 100];
        g.ball_x = 0;
        g.ball_y = 0;
        g.ball_dir = 0; // up-left into the corner
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir), (0, 0, 2));
        g.ball_x = 9;
        g.ball_y = 5;
        g.ball_dir = 1;
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir), (9, 4, 0));
    }

    #[test]
    fn paddle_near_edge_far_edge_and_miss() {
        let base = || {
            let mut g = start(0);
            g.ball_x = 4;
            g.ball_y = 8;
            g.ball_dir = 2; // down-right: lands on x = 5
            g
        };
        // paddle under the ball's old column: straight up-reflection
        let mut g = base();
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir, g.terminal), (5, 8, 1, false));
        // paddle where the ball lands: sent straight back
        let mut g = base();
        g.step(RIGHT, &mut no_draws());
        assert_eq!((g.ball_x, g.ball_y, g.ball_dir, g.terminal), (5, 8, 0, false));
        // missed
        let mut g = base();
        g.step(LEFT, &mut no_draws());
        assert_eq!((g.ball_x, g.ball_y, g.terminal), (5, 9, true));
    }

    #[test]
    fn bricks_come_back_when_the_ball_reaches_the_bottom_with_none_left() {
        let mut g = start(0);
        g.brick_map = [false; 100];
        g.ball_x = 3;
        g.ball_y = 8;
        g.ball_dir = 2;
        g.pos = 3;
        g.step(NOOP, &mut no_draws());
        assert_eq!(g.brick_map.iter().filter(|&&b| b).count(), 30);
        assert!(!g.terminal);
    }

    #[test]
    fn game_over_returns_at_once_through_the_wrapper() {
        let values = [vec![0.0]];
        let draws = &mut GivenDraws { decls: Breakout::RESET_DRAWS, values: &values };
        let config = MinAtarConfig { sticky_action_prob: 0.0, ..MinAtarConfig::default() };
        let mut env = MinAtar::<Breakout>::reset(config, draws);
        let mut steps = 0;
        loop {
            let (_, te, tr) = env.step(NOOP, 0.5, &mut no_draws());
            steps += 1;
            assert!(!tr);
            if te {
                break;
            }
        }
        assert!(steps < 30, "a still paddle misses soon");
        let before = env.game.clone();
        assert_eq!(env.step(LEFT, 0.5, &mut no_draws()), (0.0, true, false));
        assert_eq!(env.game, before, "nothing moves once the game is over");
    }

    #[test]
    fn off_grid_ball_neither_panics_nor_writes_outside() {
        let mut g = start(0);
        g.brick_map = [false; 100];
        g.ball_x = 2;
        g.ball_y = 9;
        g.ball_dir = 2;
        g.step(NOOP, &mut no_draws());
        assert_eq!(g.ball_y, 10);
        let o = obs(&g);
        assert!(!(0..10).any(|y| (0..10).any(|x| at(&o, y, x, BALL))));
        g.step(NOOP, &mut no_draws());
    }

    #[test]
    fn state_round_trips_and_rejects_out_of_range_values() {
        let mut rng = Rng::new(1, 0);
        let mut g = Breakout::reset(&mut RngDraws(&mut rng), true);
        for t in 0..20 {
            if g.terminal {
                break;
            }
            g.step([NOOP, LEFT, RIGHT][t % 3], &mut RngDraws(&mut rng));
        }
        let s = g.get_state();
        check_game_values(Breakout::FIELDS, &s).unwrap();
        let mut h = start(1);
        h.set_state(&s).unwrap();
        assert_eq!(h, g);
        let mut bad = s.clone();
        bad[2] = GameValue::Ints(vec![4]);
        assert!(h.set_state(&bad).unwrap_err().contains("'ball_dir' must be in 0..=3"));
        assert_eq!(h, g, "a rejected state changes nothing");
    }

    #[test]
    fn random_play_keeps_the_state_in_range() {
        let mut rng = Rng::new(3, 0);
        let config = MinAtarConfig::default();
        let mut env = MinAtar::<Breakout>::reset(config, &mut RngDraws(&mut rng));
        let (mut episodes, mut reward) = (0, 0.0);
        for _ in 0..20_000 {
            let a = rng.integer(0, 6) as usize;
            let sticky = rng.next_f64();
            let (r, te, tr) = env.step(a, sticky, &mut RngDraws(&mut rng));
            reward += r;
            let g = &env.game;
            assert!((0..10).contains(&g.ball_x) && (0..10).contains(&g.ball_y) && (0..10).contains(&g.pos));
            assert!(!g.brick_map[90..].iter().any(|&b| b));
            if te || tr {
                episodes += 1;
                env = MinAtar::reset(config, &mut RngDraws(&mut rng));
            }
        }
        assert!(episodes > 100 && reward > 0.0, "{episodes} episodes, reward {reward}");
    }
}
