//! MinAtar SpaceInvaders, translated from `minatar.environments.space_invaders.Env`
//! (`minatar` 1.0.15).
//!
//! The cannon moves along the bottom row and fires upward (cool-down 5). A block
//! of aliens moves sideways every `alien_move_timer` steps (faster as fewer are
//! left), steps down and turns at a wall, and the alien nearest the cannon shoots
//! every 10 steps. +1 per alien hit; a cleared wave is replaced by a new one that
//! moves faster (difficulty ramp). The game ends when an alien or an enemy bullet
//! reaches the cannon. Channels: cannon, alien, alien moving left, alien moving
//! right, friendly bullet, enemy bullet. The game draws no random numbers.
//!
//! The reference's three float 0/1 maps are bitboards here: bit `y * 10 + x` of a
//! `u128`, so `np.roll` is a shift. The reference rolls with wrap-around: a block
//! turning on the bottom row wraps to the top row (the game is over by then), and
//! a sideways move wraps around each row (it cannot reach a wall it does not turn
//! at, except with `alien_dir` 0 or a set state).

use super::{DrawDecl, DrawSource, GameField, GameValue, MinAtarGame, FIRE, GRID, LEFT, NOOP, RIGHT};

pub const SHOT_COOL_DOWN: i64 = 5;
pub const ENEMY_MOVE_INTERVAL: i64 = 12;
pub const ENEMY_SHOT_INTERVAL: i64 = 10;
const CHANNELS: usize = 6;
const CELLS: usize = GRID * GRID;

/// The 100 cells of the grid.
const MASK: u128 = (1u128 << CELLS) - 1;

/// Bits of the columns `lo..hi` in every row.
const fn col_mask(lo: usize, hi: usize) -> u128 {
    let mut m = 0u128;
    let mut y = 0;
    while y < GRID {
        let mut x = lo;
        while x < hi {
            m |= 1u128 << (y * GRID + x);
            x += 1;
        }
        y += 1;
    }
    m
}

/// Bits of the rows `lo..hi`, columns `xlo..xhi`.
const fn block(lo: usize, hi: usize, xlo: usize, xhi: usize) -> u128 {
    let mut m = 0u128;
    let mut y = lo;
    while y < hi {
        let mut x = xlo;
        while x < xhi {
            m |= 1u128 << (y * GRID + x);
            x += 1;
        }
        y += 1;
    }
    m
}

const COL0: u128 = col_mask(0, 1);
const COL9: u128 = col_mask(9, 10);
const ROW9: u128 = block(9, 10, 0, 10);
/// A fresh wave: `alien_map[0:4, 2:8] = 1`.
pub const WAVE: u128 = block(0, 4, 2, 8);

/// `COLS_FROM[k]`: columns `k..10`; `COLS_BELOW[k]`: columns `0..k`.
const COLS_FROM: [u128; GRID] = {
    let mut a = [0u128; GRID];
    let mut k = 0;
    while k < GRID {
        a[k] = col_mask(k, GRID);
        k += 1;
    }
    a
};
const COLS_BELOW: [u128; GRID] = {
    let mut a = [0u128; GRID];
    let mut k = 0;
    while k < GRID {
        a[k] = col_mask(0, k);
        k += 1;
    }
    a
};

#[inline]
const fn bit(y: usize, x: usize) -> u128 {
    1u128 << (y * GRID + x)
}

/// `np.roll(m, k, axis=1)`: every row rotated right by `k` (left for negative `k`).
#[inline]
fn roll_cols(m: u128, k: i64) -> u128 {
    let k = k.rem_euclid(GRID as i64) as usize;
    if k == 0 {
        return m;
    }
    ((m << k) & COLS_FROM[k]) | ((m >> (GRID - k)) & COLS_BELOW[k])
}

/// `np.roll(m, 1, axis=0)`: every row one down, the bottom row to the top.
#[inline]
fn roll_down(m: u128) -> u128 {
    ((m << GRID) | (m >> (CELLS - GRID))) & MASK
}

/// `f(cell)` for every cell set in `m`, in increasing order (a cell below 100).
#[inline]
fn for_each_bit(mut m: u128, mut f: impl FnMut(usize)) {
    m &= MASK;
    while m != 0 {
        f(m.trailing_zeros() as usize);
        m &= m - 1;
    }
}

/// Observation bytes of five cells in a row.
const HALF: usize = 5 * CHANNELS;

/// `ALIEN_HALF_ROWS[right][bits]`: five cells whose aliens are the 5 `bits`, with the
/// alien channel and the direction channel (2 left, 3 right) set, the rest false.
const ALIEN_HALF_ROWS: [[[bool; HALF]; 32]; 2] = {
    let mut t = [[[false; HALF]; 32]; 2];
    let mut right = 0;
    while right < 2 {
        let mut bits = 0;
        while bits < 32 {
            let mut x = 0;
            while x < 5 {
                if (bits >> x) & 1 == 1 {
                    t[right][bits][x * CHANNELS + 1] = true;
                    t[right][bits][x * CHANNELS + 2 + right] = true;
                }
                x += 1;
            }
            bits += 1;
        }
        right += 1;
    }
    t
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceInvaders {
    /// `Env.pos`: the cannon's column, 0..=9.
    pub pos: i64,
    /// `Env.f_bullet_map`, `Env.e_bullet_map`, `Env.alien_map` as bitboards (bit `y * 10 + x`).
    pub f_bullets: u128,
    pub e_bullets: u128,
    pub aliens: u128,
    /// `Env.alien_dir`: -1 left, +1 right.
    pub alien_dir: i64,
    pub enemy_move_interval: i64,
    pub alien_move_timer: i64,
    pub alien_shot_timer: i64,
    pub ramp_index: i64,
    pub shot_timer: i64,
    pub terminal: bool,
    /// `Env.ramping` (not state: a setting of the environment).
    pub ramping: bool,
}

impl SpaceInvaders {
    /// `Env._nearest_alien(pos)` as a bit: the lowest alien of the occupied column
    /// nearest `pos` (columns sorted by `abs(x - pos)` with a stable sort, so a tie
    /// goes to the left one). `None` without aliens (the reference returns None and
    /// the shot raises; unreachable, since a step starts with an alien).
    #[inline]
    fn nearest_alien(&self) -> Option<u128> {
        let pos = self.pos;
        for d in 0..GRID as i64 {
            for x in [pos - d, pos + d] {
                if !(0..GRID as i64).contains(&x) {
                    continue;
                }
                let column = self.aliens & col_mask_at(x as usize);
                if column != 0 {
                    // highest bit of the column: its lowest row
                    return Some(1u128 << (127 - column.leading_zeros()));
                }
            }
        }
        None
    }
}

#[inline]
fn col_mask_at(x: usize) -> u128 {
    COL0 << x
}

fn bits_of(m: u128) -> Vec<bool> {
    (0..CELLS).map(|i| (m >> i) & 1 == 1).collect()
}

fn map_of(v: &[bool]) -> u128 {
    v.iter().enumerate().fold(0u128, |m, (i, &b)| m | ((b as u128) << i))
}

fn int(v: &GameValue) -> i64 {
    match v {
        GameValue::Ints(x) => x[0],
        GameValue::Bools(_) => unreachable!("kinds are checked before set_state"),
    }
}

fn bools(v: &GameValue) -> &[bool] {
    match v {
        GameValue::Bools(x) => x,
        GameValue::Ints(_) => unreachable!("kinds are checked before set_state"),
    }
}

impl MinAtarGame for SpaceInvaders {
    const NAME: &'static str = "space_invaders";
    const CHANNELS: usize = CHANNELS;
    const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, LEFT, RIGHT, FIRE];
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::int("pos"),
        GameField::bools("f_bullet_map", &[GRID, GRID]),
        GameField::bools("e_bullet_map", &[GRID, GRID]),
        GameField::bools("alien_map", &[GRID, GRID]),
        GameField::int("alien_dir"),
        GameField::int("enemy_move_interval"),
        GameField::int("alien_move_timer"),
        GameField::int("alien_shot_timer"),
        GameField::int("ramp_index"),
        GameField::int("shot_timer"),
        GameField::boolean("terminal"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[];
    const STEP_DRAWS: &'static [DrawDecl] = &[];

    fn reset(_draws: &mut impl DrawSource, difficulty_ramping: bool) -> Self {
        SpaceInvaders {
            pos: 5,
            f_bullets: 0,
            e_bullets: 0,
            aliens: WAVE,
            alien_dir: -1,
            enemy_move_interval: ENEMY_MOVE_INTERVAL,
            alien_move_timer: ENEMY_MOVE_INTERVAL,
            alien_shot_timer: ENEMY_SHOT_INTERVAL,
            ramp_index: 0,
            shot_timer: 0,
            terminal: false,
            ramping: difficulty_ramping,
        }
    }

    fn step(&mut self, action: usize, _draws: &mut impl DrawSource) -> (i32, bool) {
        // Resolve the player's action.
        if action == FIRE && self.shot_timer == 0 {
            self.f_bullets |= bit(9, self.pos as usize);
            self.shot_timer = SHOT_COOL_DOWN;
        } else if action == LEFT {
            self.pos = (self.pos - 1).max(0);
        } else if action == RIGHT {
            self.pos = (self.pos + 1).min(9);
        }
        let cannon = bit(9, self.pos as usize);

        // Friendly bullets one row up (the top row rolls to the bottom and is cleared),
        // enemy bullets one row down (the bottom row rolls to the top and is cleared).
        self.f_bullets >>= GRID;
        self.e_bullets = (self.e_bullets << GRID) & MASK;
        if self.e_bullets & cannon != 0 {
            self.terminal = true;
        }

        // Aliens.
        if self.aliens & cannon != 0 {
            self.terminal = true;
        }
        if self.alien_move_timer == 0 {
            self.alien_move_timer = (self.aliens.count_ones() as i64).min(self.enemy_move_interval);
            if (self.aliens & COL0 != 0 && self.alien_dir < 0) || (self.aliens & COL9 != 0 && self.alien_dir > 0) {
                self.alien_dir = -self.alien_dir;
                if self.aliens & ROW9 != 0 {
                    self.terminal = true;
                }
                self.aliens = roll_down(self.aliens);
            } else {
                self.aliens = roll_cols(self.aliens, self.alien_dir);
            }
            if self.aliens & cannon != 0 {
                self.terminal = true;
            }
        }
        if self.alien_shot_timer == 0 {
            self.alien_shot_timer = ENEMY_SHOT_INTERVAL;
            if let Some(shooter) = self.nearest_alien() {
                self.e_bullets |= shooter;
            }
        }

        let kills = self.aliens & self.f_bullets;
        let reward = kills.count_ones() as i32;
        self.aliens &= !kills;
        self.f_bullets &= !kills;

        // Timers, and a new wave when this one is cleared.
        self.shot_timer -= (self.shot_timer > 0) as i64;
        self.alien_move_timer -= 1;
        self.alien_shot_timer -= 1;
        if self.aliens == 0 {
            if self.enemy_move_interval > 6 && self.ramping {
                self.enemy_move_interval -= 1;
                self.ramp_index += 1;
            }
            self.aliens = WAVE;
        }
        (reward, self.terminal)
    }

    fn terminal(&self) -> bool {
        self.terminal
    }

    fn write_obs(&self, out: &mut [bool]) {
        let out = &mut out[..CELLS * CHANNELS];
        // The alien channels (1, and 2 or 3 by `alien_dir < 0`) of every row from a table of
        // half rows, which also clears the row's other channels; then the cannon and bullets.
        let half = &ALIEN_HALF_ROWS[(self.alien_dir >= 0) as usize];
        for (y, cells) in out.chunks_exact_mut(GRID * CHANNELS).enumerate() {
            let row = (self.aliens >> (y * GRID)) as usize;
            cells[..HALF].copy_from_slice(&half[row & 31]);
            cells[HALF..].copy_from_slice(&half[(row >> 5) & 31]);
        }
        out[(90 + self.pos as usize) * CHANNELS] = true;
        for_each_bit(self.f_bullets, |cell| out[cell * CHANNELS + 4] = true);
        for_each_bit(self.e_bullets, |cell| out[cell * CHANNELS + 5] = true);
    }

    fn get_state(&self) -> Vec<GameValue> {
        vec![
            GameValue::Ints(vec![self.pos]),
            GameValue::Bools(bits_of(self.f_bullets)),
            GameValue::Bools(bits_of(self.e_bullets)),
            GameValue::Bools(bits_of(self.aliens)),
            GameValue::Ints(vec![self.alien_dir]),
            GameValue::Ints(vec![self.enemy_move_interval]),
            GameValue::Ints(vec![self.alien_move_timer]),
            GameValue::Ints(vec![self.alien_shot_timer]),
            GameValue::Ints(vec![self.ramp_index]),
            GameValue::Ints(vec![self.shot_timer]),
            GameValue::Bools(vec![self.terminal]),
        ]
    }

    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        super::check_game_values(Self::FIELDS, values)?;
        let pos = int(&values[0]);
        if !(0..GRID as i64).contains(&pos) {
            return Err(format!("state field 'pos' must be in 0..=9, got {pos}"));
        }
        *self = SpaceInvaders {
            pos,
            f_bullets: map_of(bools(&values[1])),
            e_bullets: map_of(bools(&values[2])),
            aliens: map_of(bools(&values[3])),
            alien_dir: int(&values[4]),
            enemy_move_interval: int(&values[5]),
            alien_move_timer: int(&values[6]),
            alien_shot_timer: int(&values[7]),
            ramp_index: int(&values[8]),
            shot_timer: int(&values[9]),
            terminal: bools(&values[10])[0],
            ramping: self.ramping,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::test_util::{replay, Mix};
    use crate::minatar::{GivenDraws, MinAtar, MinAtarConfig, DOWN, UP};

    fn no_draws() -> GivenDraws<'static> {
        GivenDraws { decls: &[], values: &[] }
    }

    fn new(ramping: bool) -> SpaceInvaders {
        SpaceInvaders::reset(&mut no_draws(), ramping)
    }

    fn map(cells: &[(usize, usize)]) -> u128 {
        cells.iter().fold(0, |m, &(y, x)| m | bit(y, x))
    }

    fn obs(g: &SpaceInvaders) -> Vec<bool> {
        let mut out = vec![true; CELLS * CHANNELS];
        g.write_obs(&mut out);
        out
    }

    /// The script's policy: a random action one step in ten, else shoot at the
    /// nearest occupied column and step out of columns where enemy bullets fall.
    fn policy(g: &SpaceInvaders, mix: &mut Mix) -> usize {
        if mix.next() % 10 == 0 {
            return (mix.next() % 6) as usize;
        }
        let pos = g.pos;
        let occupied = |x: i64| g.aliens & col_mask_at(x as usize) != 0;
        let target = (0..10).filter(|&c| occupied(c)).min_by_key(|&c| (c - pos).abs() * 10 + c).unwrap_or(pos);
        let unsafe_col = |x: i64| g.e_bullets & block(4, 9, 0, 10) & col_mask_at(x as usize) != 0;
        let left_ok = pos > 0 && !unsafe_col(pos - 1);
        let right_ok = pos < 9 && !unsafe_col(pos + 1);
        let chase = if target < pos && left_ok { LEFT } else if target > pos && right_ok { RIGHT } else { FIRE };
        let dodge = if left_ok && (!right_ok || target < pos) { LEFT } else if right_ok { RIGHT } else { FIRE };
        if unsafe_col(pos) {
            dodge
        } else {
            chase
        }
    }

    /// Per episode (steps, return, observation checksum, final ramp index) of the
    /// real reference (`minatar` 1.0.15) under the same policy stream, computed
    /// with this Python (splitmix64 `Mix` as in `minatar::test_util`, its `next()` masked to 64 bits):
    ///
    /// ```python
    /// env = space_invaders.Env(ramping=ramping); acts = Mix(7000 + ep + 500)
    /// while t < 3000:
    ///     r, term = env.act(policy(env, acts)); t += 1; total += int(r)
    ///     idx = np.flatnonzero(env.state().reshape(-1))
    ///     check = (check + t * int(idx.sum() + 7 * len(idx))) & (2**64 - 1)
    ///     if term: break
    /// ```
    const REFERENCE_RAMPING: [(i64, i64, u64, i64); 16] = [
        (280, 23, 136044636, 0), (260, 23, 122922311, 0), (291, 23, 136435701, 0), (569, 47, 741085727, 1),
        (251, 23, 95289668, 0), (184, 21, 69547652, 0), (268, 23, 120896431, 0), (251, 23, 107153449, 0),
        (17, 2, 994271, 0), (512, 47, 569047990, 1), (146, 16, 57020629, 0), (268, 23, 136508338, 0),
        (57, 8, 10643724, 0), (289, 22, 151922386, 0), (128, 17, 42800004, 0), (235, 22, 112672092, 0),
    ];
    const REFERENCE_NO_RAMPING: [(i64, i64, u64, i64); 16] = [
        (280, 23, 136044636, 0), (260, 23, 122922311, 0), (291, 23, 136435701, 0), (549, 47, 633565637, 0),
        (251, 23, 95289668, 0), (184, 21, 69547652, 0), (268, 23, 120896431, 0), (251, 23, 107153449, 0),
        (17, 2, 994271, 0), (376, 41, 352376232, 0), (146, 16, 57020629, 0), (268, 23, 136508338, 0),
        (57, 8, 10643724, 0), (289, 22, 151922386, 0), (128, 17, 42800004, 0), (235, 22, 112672092, 0),
    ];

    fn episodes(ramping: bool) -> Vec<(i64, i64, u64, i64)> {
        (0..16u64)
            .map(|ep| {
                let mut g = new(ramping);
                let mut acts = Mix(7000 + ep + 500);
                let (t, total, check) = replay(&mut g, |g| policy(g, &mut acts), &mut no_draws());
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
        let g = new(true);
        assert_eq!((g.pos, g.alien_dir, g.enemy_move_interval, g.alien_move_timer, g.alien_shot_timer), (5, -1, 12, 12, 10));
        assert_eq!((g.ramp_index, g.shot_timer, g.terminal, g.f_bullets, g.e_bullets), (0, 0, false, 0, 0));
        assert_eq!(g.aliens.count_ones(), 24);
        assert!((0..4).all(|y| (2..8).all(|x| g.aliens & bit(y, x) != 0)));
        let o = obs(&g);
        assert!(o[(9 * 10 + 5) * 6]);
        // moving left: the alien channel and the left channel, not the right one
        assert!(o[(2 * 10 + 2) * 6 + 1] && o[(2 * 10 + 2) * 6 + 2] && !o[(2 * 10 + 2) * 6 + 3]);
        assert_eq!(o.iter().filter(|&&b| b).count(), 1 + 24 * 2);
    }

    #[test]
    fn observation_channels() {
        let mut g = new(true);
        g.pos = 0;
        g.alien_dir = 1;
        g.aliens = map(&[(3, 4)]);
        g.f_bullets = map(&[(6, 1)]);
        g.e_bullets = map(&[(8, 9)]);
        let o = obs(&g);
        let on: Vec<usize> = (0..o.len()).filter(|&i| o[i]).collect();
        assert_eq!(on, [(34 * 6) + 1, (34 * 6) + 3, 61 * 6 + 4, 89 * 6 + 5, 90 * 6]);
        // alien_dir 0 counts as right (`else` branch of `alien_dir < 0`)
        g.alien_dir = 0;
        assert!(obs(&g)[34 * 6 + 3]);
    }

    fn one_alien_above_bullet(ramping: bool) -> SpaceInvaders {
        let mut g = new(ramping);
        g.aliens = map(&[(2, 4)]);
        g.f_bullets = map(&[(3, 4)]);
        g.alien_move_timer = 3;
        g.alien_shot_timer = 4;
        g
    }

    #[test]
    fn last_alien_shot_refills_the_wave_and_ramps() {
        let mut g = one_alien_above_bullet(true);
        assert_eq!(g.step(NOOP, &mut no_draws()), (1, false));
        assert_eq!((g.aliens, g.f_bullets), (WAVE, 0));
        assert_eq!((g.ramp_index, g.enemy_move_interval, g.alien_move_timer, g.alien_shot_timer), (1, 11, 2, 3));
        // the ramp stops at an interval of 6
        let mut g = one_alien_above_bullet(true);
        g.enemy_move_interval = 6;
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.aliens, g.ramp_index, g.enemy_move_interval), (WAVE, 0, 6));
    }

    #[test]
    fn no_ramp_without_difficulty_ramping() {
        let mut g = one_alien_above_bullet(false);
        assert_eq!(g.step(NOOP, &mut no_draws()), (1, false));
        assert_eq!((g.aliens, g.ramp_index, g.enemy_move_interval), (WAVE, 0, 12));
    }

    #[test]
    fn nearest_alien_shoots_and_ties_go_left() {
        let mut g = new(true);
        // columns 3 and 7 both two away from the cannon at 5; the lowest alien of column 3 shoots
        g.aliens = map(&[(1, 3), (4, 3), (2, 7)]);
        g.alien_shot_timer = 0;
        g.alien_move_timer = 5;
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.e_bullets, g.alien_shot_timer), (map(&[(4, 3)]), 9));
        // the cannon's own column first
        let mut g = new(true);
        g.aliens = map(&[(0, 4), (0, 5), (0, 6)]);
        g.alien_shot_timer = 0;
        g.step(NOOP, &mut no_draws());
        assert_eq!(g.e_bullets, map(&[(0, 5)]));
    }

    #[test]
    fn aliens_move_sideways_and_turn_down_at_a_wall() {
        let mut g = new(true);
        g.aliens = map(&[(0, 3), (1, 4)]);
        g.alien_move_timer = 0;
        g.step(NOOP, &mut no_draws());
        // two aliens: the move timer becomes min(2, 12), minus one
        assert_eq!((g.aliens, g.alien_dir, g.alien_move_timer), (map(&[(0, 2), (1, 3)]), -1, 1));
        g.aliens = map(&[(0, 0), (1, 4)]);
        g.alien_move_timer = 0;
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.aliens, g.alien_dir), (map(&[(1, 0), (2, 4)]), 1));
        g.aliens = map(&[(5, 9)]);
        g.alien_move_timer = 0;
        g.step(NOOP, &mut no_draws());
        assert_eq!((g.aliens, g.alien_dir), (map(&[(6, 9)]), -1));
        // np.roll wraps: direction 0 leaves the block, a move past a wall it did not turn at wraps
        assert_eq!(roll_cols(map(&[(3, 9), (4, 0)]), 1), map(&[(3, 0), (4, 1)]));
        assert_eq!(roll_cols(map(&[(3, 9), (4, 0)]), -1), map(&[(3, 8), (4, 9)]));
        assert_eq!(roll_cols(map(&[(3, 9)]), 0), map(&[(3, 9)]));
        assert_eq!(roll_cols(map(&[(3, 9)]), 12), map(&[(3, 1)]));
    }

    #[test]
    fn block_on_the_bottom_row_turning_at_the_wall_ends_the_game() {
        let mut g = new(true);
        g.aliens = map(&[(9, 0), (9, 1), (9, 2)]);
        g.alien_move_timer = 0;
        g.pos = 7;
        assert_eq!(g.step(NOOP, &mut no_draws()), (0, true));
        // np.roll wraps the bottom row to the top
        assert_eq!((g.aliens, g.alien_dir), (map(&[(0, 0), (0, 1), (0, 2)]), 1));
    }

    #[test]
    fn an_alien_or_bullet_reaching_the_cannon_ends_the_game() {
        let mut g = new(true);
        g.e_bullets = map(&[(8, 5)]);
        assert_eq!(g.step(NOOP, &mut no_draws()), (0, true));
        let mut g = new(true);
        g.e_bullets = map(&[(8, 5)]);
        assert_eq!(g.step(LEFT, &mut no_draws()), (0, false));
        // an alien sliding onto the cannon
        let mut g = new(true);
        g.aliens = map(&[(9, 6)]);
        g.alien_move_timer = 0;
        assert_eq!(g.step(NOOP, &mut no_draws()), (0, true));
        assert_eq!(g.aliens, map(&[(9, 5)]));
        // the game continues after the end: the wrapper stops stepping it
        let mut env = MinAtar { game: g, config: MinAtarConfig::default(), last_action: 0, time: 0 };
        let before = env.game.clone();
        assert_eq!(env.step(FIRE, 0.5, &mut no_draws()), (0.0, true, false));
        assert_eq!(env.game, before);
    }

    #[test]
    fn cannon_fires_only_after_the_cool_down_and_moves_within_the_row() {
        let mut g = new(true);
        g.shot_timer = 1;
        g.step(FIRE, &mut no_draws());
        assert_eq!((g.f_bullets, g.shot_timer), (0, 0));
        g.step(FIRE, &mut no_draws());
        // placed on row 9, then moved up one row in the same step
        assert_eq!((g.f_bullets, g.shot_timer), (map(&[(8, 5)]), 4));
        g.step(NOOP, &mut no_draws());
        assert_eq!(g.f_bullets, map(&[(7, 5)]));
        // firing during the cool-down does not move the cannon; up and down do nothing
        g.step(FIRE, &mut no_draws());
        g.step(UP, &mut no_draws());
        g.step(DOWN, &mut no_draws());
        assert_eq!(g.pos, 5);
        for _ in 0..7 {
            g.step(RIGHT, &mut no_draws());
        }
        assert_eq!(g.pos, 9);
        // a bullet leaving the top disappears
        g.f_bullets = map(&[(0, 1)]);
        g.step(NOOP, &mut no_draws());
        assert_eq!(g.f_bullets & map(&[(9, 1)]), 0);
    }

    #[test]
    fn state_round_trips() {
        let mut g = new(true);
        g.aliens = map(&[(1, 2), (7, 9)]);
        g.f_bullets = map(&[(0, 0)]);
        g.e_bullets = map(&[(9, 9), (4, 5)]);
        g.alien_dir = 1;
        g.alien_move_timer = -1;
        g.terminal = true;
        let state = g.get_state();
        assert_eq!(state.len(), SpaceInvaders::FIELDS.len());
        if let GameValue::Bools(a) = &state[3] {
            // row-major, as the reference's alien_map
            assert!(a[12] && a[79] && a.iter().filter(|&&b| b).count() == 2);
        } else {
            panic!("alien_map must be bools");
        }
        let mut other = new(false);
        other.set_state(&state).unwrap();
        assert_eq!(other.get_state(), state);
        assert!(!other.ramping, "ramping is a setting, not state");
        other.ramping = true;
        assert_eq!(other, g);
        let mut bad = state.clone();
        bad[0] = GameValue::Ints(vec![10]);
        assert!(other.set_state(&bad).unwrap_err().contains("'pos'"));
        assert_eq!(other, g);
    }
}
