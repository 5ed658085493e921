//! A turn-based game seen from one seat, the others played by uniformly random
//! legal actions: the single-agent face that host PPO trains on (the Rust
//! counterpart of `envs.seated.SeatedJaxEnv`, docs/design.md section 9).
//!
//! `Seated<G>` is an [`Env`] whose every step is the learner's (seat 0): after
//! the learner's action, the other seats act inside `step` (each the
//! benchmarks' [`uniform_legal`] rule from one uniform of the env's generator)
//! until it is seat 0's turn again or the game is over. The reward is seat 0's
//! payoff once the game is over (a turn-based game's `rewards` are zero before
//! the end), so an episode's return is the learner's payoff. A game that ends
//! before the learner acts is dealt again, as the JAX face does.
//!
//! The opponents' choices are not declared draws: a seated env is for
//! training and evaluation, not for lockstep verification (its state fields
//! are the game's, but its steps are several of the game's).

use crate::rng::Rng;
use crate::vector::{uniform_legal, ActionSpace, Env};

use super::{Game, GameValue};

/// The learner's seat.
pub const SEAT: usize = 0;

/// Game `G` from seat [`SEAT`], the other seats uniformly random legal.
#[derive(Clone)]
pub struct Seated<G: Game> {
    pub(crate) game: G,
    mask: Vec<bool>,
}

impl<G: Game> Seated<G> {
    fn num_actions() -> usize {
        match G::action_space(&()) {
            ActionSpace::Discrete(n) => n as usize,
            ActionSpace::Box { .. } => unreachable!("games have discrete actions"),
        }
    }

    /// The other seats act until seat 0's turn or the end; `Some((terminated, truncated))` when the game ended.
    fn play_others(&mut self, rng: &mut Rng) -> Option<(bool, bool)> {
        while self.game.current_player() != SEAT {
            self.game.write_mask(&mut self.mask);
            let action = uniform_legal(&self.mask, rng.next_f64()) as u32;
            let (_, terminated, truncated) = self.game.step(action, rng);
            if terminated || truncated {
                return Some((terminated, truncated));
            }
        }
        None
    }

    fn learner_payoff(&self) -> f64 {
        self.game.rewards().get(SEAT).copied().unwrap_or(0.0)
    }
}

impl<G: Game> Env for Seated<G> {
    type Obs = G::Obs;
    const OBS_SHAPE: &'static [usize] = G::OBS_SHAPE;
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = G::FINAL_OBS_EVERY_ROW;
    const HAS_MASK: bool = G::HAS_MASK;
    const OUT_OF_SPACE_ACTION: Option<u32> = G::OUT_OF_SPACE_ACTION;

    fn action_space(config: &()) -> ActionSpace {
        G::action_space(config)
    }
    fn create(config: &(), rng: &mut Rng) -> Self {
        Seated { game: G::create(config, rng), mask: vec![false; Self::num_actions()] }
    }
    fn reset(&mut self, rng: &mut Rng) {
        loop {
            self.game.reset(rng);
            if self.play_others(rng).is_none() {
                return;
            }
        }
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        let (_, terminated, truncated) = self.game.step(action, rng);
        let ended = if terminated || truncated { Some((terminated, truncated)) } else { self.play_others(rng) };
        match ended {
            Some((terminated, truncated)) => (self.learner_payoff(), terminated, truncated),
            None => (0.0, false, false),
        }
    }
    fn write_obs(&self, out: &mut [G::Obs]) {
        self.game.write_obs(out)
    }
    fn write_mask(&self, out: &mut [bool]) {
        self.game.write_mask(out)
    }
    fn get_state(&self) -> Vec<GameValue> {
        self.game.get_state()
    }
    fn set_state(&mut self, state: &Vec<GameValue>) -> Result<(), String> {
        self.game.set_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::{RlcardLeducHoldem, RlcardUno};

    /// After every reset and step that does not end the game, it is seat 0's turn; returns are payoffs.
    fn plays_only_seat_zero<G: Game>(games: usize) -> f64 {
        let mut rng = Rng::new(7, 0);
        let mut env = Seated::<G>::create(&(), &mut rng);
        let mut mask = vec![false; Seated::<G>::num_actions()];
        let (mut total, mut finished) = (0.0, 0);
        env.reset(&mut rng);
        while finished < games {
            assert_eq!(env.game.current_player(), SEAT);
            env.write_mask(&mut mask);
            let (r, te, tr) = env.step(uniform_legal(&mask, rng.next_f64()) as u32, &mut rng);
            if te || tr {
                assert_eq!(r, env.game.rewards()[SEAT]);
                total += r;
                finished += 1;
                env.reset(&mut rng);
            } else {
                assert_eq!(r, 0.0);
            }
        }
        total / games as f64
    }

    #[test]
    fn seat_zero_acts_in_every_step() {
        let leduc = plays_only_seat_zero::<RlcardLeducHoldem>(2000);
        let uno = plays_only_seat_zero::<RlcardUno>(300);
        // Random against random: payoffs near zero on average (UNO: +-1 a game; Leduc: a few big blinds).
        assert!(leduc.abs() < 0.5, "Leduc mean payoff of random seat 0: {leduc}");
        assert!(uno.abs() < 0.3, "UNO mean payoff of random seat 0: {uno}");
    }
}
