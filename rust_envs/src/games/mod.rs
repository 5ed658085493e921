//! Family `games`: environments written from a specification or a user's own
//! reference (card games, board games, anything outside the other families),
//! each a struct that implements the vector core's [`Env`] directly, plus
//! [`Game`] for what the Python side and the verifier need: its name, time
//! limit, state fields and declared draws, and reset / step from any
//! [`DrawSource`] (the env's own generator, or draws given from outside).
//!
//! A game with a legal-action mask sets `Env::HAS_MASK` and implements
//! `Env::write_mask`; its vector env then fills one more buffer (see
//! [`crate::vector`]). State fields are integer or boolean scalars and arrays
//! ([`GameValue`], `i64` / `bool`), as MinAtar's are; a turn-based game's
//! `rewards` (`Game::rewards`, one `f64` per player) is derived, not stored.
//!
//! Draws: `draws.uniform(d, i)`, `draws.integer(d, i, low, high)` (a range
//! that depends on the state passes its actual bound: `high` in the
//! declaration is the largest), and `draws.permutation(d, &mut out)` for
//! numpy's `permutation(n)` (declared as `Integers { low: 0, high: n }` with
//! `len: n`; given draws hold the permutation itself).
//!
//! # Adding a game
//!
//! Write `src/games/<module>.rs` (a struct implementing [`Env`] with
//! `Action = u32`, `Config = ()`, `State = Vec<GameValue>`, and [`Game`]),
//! add `pub mod <module>;` and `pub use <module>::<Type>;` below, and ONE line
//! to the list in `src/bindings/mod.rs`: `games <Type> => <Single>, <Vec>;`.
//! `envport translate --to rust` writes those two lines itself for the
//! module an agent writes (`verify::rust_build`); `dial.rs` is a complete
//! example (a tiny masked game, compiled for tests only).

use crate::rng::Rng;
use crate::vector::Env;

pub use crate::draws::{check_game_values, DrawDecl, DrawKind, DrawSource, GameField, GameValue, GivenDraws, RngDraws};

#[cfg(test)]
pub mod dial;

// THE LIST of game modules (one `pub mod` and one `pub use` per game).
pub mod uno;
pub use uno::RlcardUno;
pub mod leduc_holdem;
pub use leduc_holdem::RlcardLeducHoldem;
pub mod limit_holdem;
pub use limit_holdem::RlcardLimitHoldem;
pub mod brinewatch;
pub use brinewatch::Brinewatch;

pub mod seated;
pub use seated::Seated;

/// What a game adds to [`Env`]: the facts the Python classes show, and reset
/// and step from any source of draws (its `Env::reset` / `Env::step` are these
/// with [`RngDraws`] over the env's generator).
pub trait Game: Env<Action = u32, Config = (), State = Vec<GameValue>> {
    /// The port's name (`"brinewatch"`).
    const NAME: &'static str;
    /// The time limit (the port's `max_episode_steps`; the game truncates itself).
    const MAX_EPISODE_STEPS: i64;
    /// State fields in `get_state` order, named as the Python port's `StateField`s.
    const FIELDS: &'static [GameField];
    /// The reset's draws, named as the port's `DrawSpec`s of phase `reset`.
    const RESET_DRAWS: &'static [DrawDecl];
    /// The step's draws, named as the port's `DrawSpec`s of phase `step`.
    const STEP_DRAWS: &'static [DrawDecl];
    /// Seats of a turn-based game (docs/design.md, section 9); 1 for a single-agent game.
    const NUM_PLAYERS: usize = 1;

    /// Seat `player`'s observation (hidden information of the other seats left out); a single-agent game's
    /// is its own observation. `Env::write_obs` writes the observation of the seat to act.
    fn write_obs_of(&self, _player: usize, out: &mut [Self::Obs]) {
        self.write_obs(out)
    }

    /// The seat to act (a turn-based game's `current_player`; 0 for a single-agent game).
    fn current_player(&self) -> usize {
        0
    }

    /// A turn-based game's rewards of the last step, one per seat (its payoffs once it is over, zeros before):
    /// the Python state dict's `rewards` field, derived from the state. Empty for a single-agent game.
    fn rewards(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Start a new episode, asking `draws` for the reset's random numbers
    /// (indices into `RESET_DRAWS`) when the reference would draw them.
    fn reset_with(&mut self, draws: &mut impl DrawSource);
    /// One step (no auto-reset) with an action in `0..n`, asking `draws` for
    /// the step's random numbers (indices into `STEP_DRAWS`) only when the
    /// reference would draw them. Returns `(reward, terminated, truncated)`.
    fn step_with(&mut self, action: u32, draws: &mut impl DrawSource) -> (f64, bool, bool);
}

/// A game before its first reset: `Env::create` with a scratch generator.
pub fn placeholder<G: Game>() -> G {
    G::create(&(), &mut Rng::new(0, 0))
}
