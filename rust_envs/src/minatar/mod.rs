//! Plain-Rust ports of the five MinAtar games (`minatar` 1.0.15).
//!
//! A game implements [`MinAtarGame`]: only its own logic, as the reference's
//! `minatar.environments.<game>.Env` does. [`MinAtar`] wraps a game with what
//! every game shares, written once here, as `envs/minatar/jax_base.py` does on
//! the JAX side: the action sets (Python list indexing, so -1 is the last
//! action), sticky actions (one uniform draw at the start of every step, even
//! when the game is over), the "game over: reward 0, nothing moves" early
//! return, and the `TimeLimit` step counter.
//!
//! Randomness goes through [`DrawSource`]. A game asks for a draw only when the
//! reference would (a spawn when its timer runs out, new car speeds on a
//! crossing), by the index of the draw in its declared [`MinAtarGame::STEP_DRAWS`]
//! or [`MinAtarGame::RESET_DRAWS`]. Two sources exist: [`RngDraws`] answers from
//! the environment's own generator (the fast path), [`GivenDraws`] from values
//! sampled elsewhere (the JAX translation's draws in lockstep verification,
//! where every declared draw is passed on every step and the game uses only
//! those its events ask for).
//!
//! State: every field is an integer or boolean scalar or array (`i64` / `bool`),
//! read and written as [`GameValue`]s in the order of [`MinAtarGame::FIELDS`].
//! The wrapper adds `last_action` and `time` after the game's fields, as the
//! Python port does.
//!
//! `MinAtar<G>` is an [`Env`] of the crate's vector core ([`MinAtarVec`]).

use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env, VecEnv};

// The draws and state values every game family shares (`src/draws.rs`), under their old paths too.
pub use crate::draws::{
    check_game_values, DrawDecl, DrawKind, DrawSource, GameField, GameValue, GivenDraws, RecordingDraws, RngDraws,
};

pub mod asterix;
pub mod breakout;
pub mod freeway;
pub mod seaquest;
pub mod space_invaders;

pub use asterix::Asterix;
pub use breakout::Breakout;
pub use freeway::Freeway;
pub use seaquest::Seaquest;
pub use space_invaders::SpaceInvaders;

/// `N` games of kind `G` stepped together by the shared vector core (same-step
/// auto-reset; `final_obs` rows written only for envs that finished).
pub type MinAtarVec<G> = VecEnv<MinAtar<G>>;

/// The full action map of MinAtar: noop, left, up, right, down, fire.
pub const NOOP: usize = 0;
pub const LEFT: usize = 1;
pub const UP: usize = 2;
pub const RIGHT: usize = 3;
pub const DOWN: usize = 4;
pub const FIRE: usize = 5;
pub const NUM_FULL_ACTIONS: usize = 6;

/// Grid side of every MinAtar observation (10x10xC).
pub const GRID: usize = 10;

/// The game-specific part of a MinAtar environment.
pub trait MinAtarGame: Clone + Send + Sync + 'static {
    /// The game's name in `minatar` (`"breakout"`, `"space_invaders"`, ...).
    const NAME: &'static str;
    /// Observation channels C of the 10x10xC grid.
    const CHANNELS: usize;
    /// Full-map indices of the reduced action set (`minimal_action_set=True`).
    const MINIMAL_ACTIONS: &'static [usize];
    /// The port's `max_episode_steps` (TimeLimit truncation).
    const MAX_EPISODE_STEPS: i64;
    /// The game's own state fields, in `get_state` order (the wrapper appends
    /// `last_action` and `time`).
    const FIELDS: &'static [GameField];
    const RESET_DRAWS: &'static [DrawDecl];
    /// The game's step draws (the wrapper's sticky draw comes before them).
    const STEP_DRAWS: &'static [DrawDecl];

    /// A new game, as the reference's `reset()` leaves it with these draws.
    fn reset(draws: &mut impl DrawSource, difficulty_ramping: bool) -> Self;

    /// One step with `action` an index of the full map (`NOOP`..`FIRE`), the game
    /// not over. Returns `(reward, terminal)` and sets the game's own terminal flag.
    fn step(&mut self, action: usize, draws: &mut impl DrawSource) -> (i32, bool);

    /// The reference's `Env.terminal`.
    fn terminal(&self) -> bool;

    /// Write the observation: `out[(y * GRID + x) * CHANNELS + c]`, all of `out` set.
    fn write_obs(&self, out: &mut [bool]);

    /// Current game state, one value per entry of `FIELDS`.
    fn get_state(&self) -> Vec<GameValue>;

    /// Overwrite the game state from values in `FIELDS` order (lengths already
    /// checked by [`check_game_values`]). On error the game is left unchanged.
    fn set_state(&mut self, values: &[GameValue]) -> Result<(), String>;
}

/// Settings every game shares (the reference's defaults: 0.1, ramping on, full set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinAtarConfig {
    pub sticky_action_prob: f64,
    pub difficulty_ramping: bool,
    pub minimal_action_set: bool,
}

impl Default for MinAtarConfig {
    fn default() -> Self {
        MinAtarConfig { sticky_action_prob: 0.1, difficulty_ramping: true, minimal_action_set: false }
    }
}

/// A MinAtar game with sticky actions, action sets and the step counter.
#[derive(Clone, Debug)]
pub struct MinAtar<G: MinAtarGame> {
    pub game: G,
    pub config: MinAtarConfig,
    /// `Environment.last_action`: a full-map index.
    pub last_action: usize,
    /// `TimeLimit._elapsed_steps`.
    pub time: i64,
}

impl<G: MinAtarGame> MinAtar<G> {
    /// Number of the agent's actions.
    pub fn num_actions(&self) -> usize {
        if self.config.minimal_action_set { G::MINIMAL_ACTIONS.len() } else { NUM_FULL_ACTIONS }
    }

    /// The agent's action as a full-map index, with Python's list indexing
    /// (-n..n-1); `None` outside that range (the reference raises IndexError).
    pub fn full_action(&self, action: i64) -> Option<usize> {
        let n = self.num_actions() as i64;
        let i = if action < 0 { action + n } else { action };
        if !(0..n).contains(&i) {
            return None;
        }
        Some(if self.config.minimal_action_set { G::MINIMAL_ACTIONS[i as usize] } else { i as usize })
    }

    /// A new episode from `draws` (its `RESET_DRAWS`); `last_action` 0 and time 0.
    pub fn reset(config: MinAtarConfig, draws: &mut impl DrawSource) -> Self {
        MinAtar { game: G::reset(draws, config.difficulty_ramping), config, last_action: NOOP, time: 0 }
    }

    /// One step of `minatar.gym.BaseEnv.step` under a `TimeLimit`:
    /// `sticky` is the sticky-action draw, `draws` answers the game's step draws.
    /// `action` must be a full-map index (see [`full_action`](Self::full_action)).
    /// Returns `(reward, terminated, truncated)`.
    #[inline(always)]
    pub fn step(&mut self, action: usize, sticky: f64, draws: &mut impl DrawSource) -> (f32, bool, bool) {
        let action = if sticky < self.config.sticky_action_prob { self.last_action } else { action };
        self.last_action = action;
        let (reward, terminal) = if self.game.terminal() {
            (0, true)
        } else {
            self.game.step(action, draws)
        };
        self.time += 1;
        (reward as f32, terminal, self.time >= G::MAX_EPISODE_STEPS)
    }

    /// Names of all state fields: the game's, then `last_action` and `time`.
    pub fn field_names() -> Vec<&'static str> {
        G::FIELDS.iter().map(|f| f.name).chain(["last_action", "time"]).collect()
    }

    /// The whole state, in [`field_names`](Self::field_names) order.
    pub fn get_state(&self) -> Vec<GameValue> {
        let mut values = self.game.get_state();
        values.push(GameValue::Ints(vec![self.last_action as i64]));
        values.push(GameValue::Ints(vec![self.time]));
        values
    }

    /// Overwrite the whole state; on error nothing changes.
    pub fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
        let n = G::FIELDS.len();
        if values.len() != n + 2 {
            return Err(wrong_count(&Self::field_names(), values.len()));
        }
        check_game_values(G::FIELDS, &values[..n])?;
        let scalar = |v: &GameValue, name: &str| match v {
            GameValue::Ints(x) if x.len() == 1 => Ok(x[0]),
            _ => Err(format!("state field '{name}' must be one int")),
        };
        let last_action = scalar(&values[n], "last_action")?;
        let time = scalar(&values[n + 1], "time")?;
        if !(0..NUM_FULL_ACTIONS as i64).contains(&last_action) {
            return Err(format!("state field 'last_action' must be in 0..{NUM_FULL_ACTIONS}, got {last_action}"));
        }
        if time < 0 {
            return Err(format!("state field 'time' must be >= 0, got {time}"));
        }
        let mut game = self.game.clone();
        game.set_state(&values[..n])?;
        self.game = game;
        self.last_action = last_action as usize;
        self.time = time;
        Ok(())
    }
}

/// Number of booleans in one observation of `G` (`10 * 10 * C`).
pub const fn obs_len<G: MinAtarGame>() -> usize {
    GRID * GRID * G::CHANNELS
}

/// A game with its wrapper as an [`Env`] of the vector core: bool
/// observations `(10, 10, C)`, actions `u8` indices of the agent's action set
/// (`0..num_actions`). The env's generator answers the sticky draw, then the
/// game's step draws (only those its events ask for: [`RngDraws`]), then the
/// reset draws of an auto-reset. An observation is 400+ bytes, so `final_obs`
/// rows are written only for envs that finished.
impl<G: MinAtarGame> Env for MinAtar<G> {
    type Obs = bool;
    const OBS_SHAPE: &'static [usize] = &[GRID, GRID, G::CHANNELS];
    type Action = u8;
    type Config = MinAtarConfig;
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = false;

    fn validate_config(config: &MinAtarConfig) -> Result<(), String> {
        if !(0.0..=1.0).contains(&config.sticky_action_prob) {
            return Err(format!("sticky_action_prob must be in [0, 1], got {}", config.sticky_action_prob));
        }
        Ok(())
    }
    fn action_space(config: &MinAtarConfig) -> ActionSpace {
        let n = if config.minimal_action_set { G::MINIMAL_ACTIONS.len() } else { NUM_FULL_ACTIONS };
        ActionSpace::Discrete(n as u32)
    }
    fn create(config: &MinAtarConfig, rng: &mut Rng) -> Self {
        MinAtar::reset(*config, &mut RngDraws(rng))
    }
    #[inline]
    fn reset(&mut self, rng: &mut Rng) {
        *self = MinAtar::reset(self.config, &mut RngDraws(rng));
    }
    #[inline(always)]
    fn step(&mut self, action: u8, rng: &mut Rng) -> (f64, bool, bool) {
        let a = action as usize;
        let full = if self.config.minimal_action_set { G::MINIMAL_ACTIONS[a] } else { a };
        let sticky = rng.next_f64();
        let (r, te, tr) = MinAtar::step(self, full, sticky, &mut RngDraws(rng));
        (r as f64, te, tr)
    }
    #[inline]
    fn write_obs(&self, out: &mut [bool]) {
        self.game.write_obs(out)
    }
    fn get_state(&self) -> Vec<GameValue> {
        MinAtar::get_state(self)
    }
    fn set_state(&mut self, state: &Vec<GameValue>) -> Result<(), String> {
        MinAtar::set_state(self, state)
    }
}

/// What the games' tests share: the splitmix64 stream of the reference runs they
/// replay, and the replay loop with its observation checksum.
#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// splitmix64, the stream of the reference runs (`Mix` in the scripts quoted in
    /// the games' tests); as a draw source it answers every call in order, as the
    /// scripts' fake `env.random` does (`rand()`: 53 bits; `randint(low, high)`:
    /// low + z % (high - low)).
    pub struct Mix(pub u64);

    impl Mix {
        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    impl DrawSource for Mix {
        fn uniform(&mut self, _draw: usize, _i: usize) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn integer(&mut self, _draw: usize, _i: usize, low: i64, high: i64) -> i64 {
            low + (self.next() % (high - low) as u64) as i64
        }
    }

    /// Play `game` with `policy` for at most 3000 steps or until it ends: (steps,
    /// return, checksum), the checksum summing over steps t the step number times
    /// (the sum of the set observation cells' indices + 7 times their count), as the
    /// scripts compute it from `env.state()`.
    pub fn replay<G: MinAtarGame>(game: &mut G, mut policy: impl FnMut(&G) -> usize, draws: &mut impl DrawSource) -> (i64, i64, u64) {
        let (mut t, mut total, mut check) = (0i64, 0i64, 0u64);
        let mut out = vec![false; GRID * GRID * G::CHANNELS];
        while t < 3000 {
            let a = policy(game);
            let (r, term) = game.step(a, draws);
            t += 1;
            total += r as i64;
            game.write_obs(&mut out);
            let (sum, count) = out.iter().enumerate().filter(|(_, &b)| b).fold((0u64, 0u64), |(s, c), (i, _)| (s + i as u64, c + 1));
            check = check.wrapping_add((t as u64).wrapping_mul(sum + 7 * count));
            if term {
                break;
            }
        }
        (t, total, check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter game: `FIRE` scores 1, `DOWN` ends the game; one optional step draw.
    #[derive(Clone, Debug, PartialEq)]
    struct Counter {
        count: i64,
        over: bool,
    }

    impl MinAtarGame for Counter {
        const NAME: &'static str = "counter";
        const CHANNELS: usize = 1;
        const MINIMAL_ACTIONS: &'static [usize] = &[NOOP, FIRE, DOWN];
        const MAX_EPISODE_STEPS: i64 = 5;
        const FIELDS: &'static [GameField] = &[GameField::int("count"), GameField::boolean("over")];
        const RESET_DRAWS: &'static [DrawDecl] = &[DrawDecl { name: "start", kind: DrawKind::Integers { low: 0, high: 3 }, len: 1 }];
        const STEP_DRAWS: &'static [DrawDecl] = &[];

        fn reset(draws: &mut impl DrawSource, _ramping: bool) -> Self {
            Counter { count: draws.integer(0, 0, 0, 3), over: false }
        }
        fn step(&mut self, action: usize, _draws: &mut impl DrawSource) -> (i32, bool) {
            self.count += (action == FIRE) as i64;
            self.over = action == DOWN;
            ((action == FIRE) as i32, self.over)
        }
        fn terminal(&self) -> bool {
            self.over
        }
        fn write_obs(&self, out: &mut [bool]) {
            out.fill(false);
            out[self.count as usize % 100] = true;
        }
        fn get_state(&self) -> Vec<GameValue> {
            vec![GameValue::Ints(vec![self.count]), GameValue::Bools(vec![self.over])]
        }
        fn set_state(&mut self, values: &[GameValue]) -> Result<(), String> {
            if let (GameValue::Ints(c), GameValue::Bools(o)) = (&values[0], &values[1]) {
                *self = Counter { count: c[0], over: o[0] };
            }
            Ok(())
        }
    }

    fn given(values: &[Vec<f64>]) -> GivenDraws<'_> {
        GivenDraws { decls: Counter::RESET_DRAWS, values }
    }

    #[test]
    fn sticky_actions_repeat_the_last_action_and_game_over_scores_nothing() {
        let start = [vec![2.0]];
        let mut env = MinAtar::<Counter>::reset(MinAtarConfig::default(), &mut given(&start));
        assert_eq!((env.game.count, env.last_action, env.time), (2, NOOP, 0));
        assert_eq!(env.step(FIRE, 0.5, &mut given(&[])), (1.0, false, false));
        // sticky (draw below 0.1): FIRE again instead of NOOP
        assert_eq!(env.step(NOOP, 0.05, &mut given(&[])), (1.0, false, false));
        assert_eq!(env.last_action, FIRE);
        assert_eq!(env.step(DOWN, 0.1, &mut given(&[])), (0.0, true, false));
        // over: reward 0, the state stays, the action is still remembered
        assert_eq!(env.step(FIRE, 0.9, &mut given(&[])), (0.0, true, false));
        assert_eq!((env.game.count, env.last_action), (4, FIRE));
        assert_eq!(env.step(FIRE, 0.9, &mut given(&[])), (0.0, true, true));
    }

    #[test]
    fn actions_index_like_a_python_list() {
        let start = [vec![0.0]];
        let mut env = MinAtar::<Counter>::reset(MinAtarConfig::default(), &mut given(&start));
        assert_eq!(env.full_action(-1), Some(FIRE));
        assert_eq!(env.full_action(6), None);
        assert_eq!(env.full_action(-7), None);
        env.config.minimal_action_set = true;
        assert_eq!(env.num_actions(), 3);
        assert_eq!((env.full_action(1), env.full_action(-1), env.full_action(3)), (Some(FIRE), Some(DOWN), None));
    }

    #[test]
    fn state_round_trips_and_bad_values_change_nothing() {
        let start = [vec![1.0]];
        let mut env = MinAtar::<Counter>::reset(MinAtarConfig::default(), &mut given(&start));
        env.step(FIRE, 0.5, &mut given(&[]));
        let state = env.get_state();
        assert_eq!(MinAtar::<Counter>::field_names(), ["count", "over", "last_action", "time"]);
        let mut other = MinAtar::<Counter>::reset(MinAtarConfig::default(), &mut given(&start));
        other.set_state(&state).unwrap();
        assert_eq!(other.get_state(), state);
        let mut bad = state.clone();
        bad[1] = GameValue::Ints(vec![1]);
        assert!(other.set_state(&bad).unwrap_err().contains("'over' must be bool"));
        bad = state.clone();
        bad[3] = GameValue::Ints(vec![-1]);
        assert!(other.set_state(&bad).is_err());
        assert!(other.set_state(&state[..3]).is_err());
        assert_eq!(other.get_state(), state);
    }

    #[test]
    #[should_panic(expected = "draw 'start'[0] = 3 is outside [0, 3)")]
    fn a_given_integer_out_of_range_names_the_draw() {
        let start = [vec![3.0]];
        MinAtar::<Counter>::reset(MinAtarConfig::default(), &mut given(&start));
    }
}
