//! Dial: the `games` family's example, a tiny masked game (compiled for
//! tests only). A marker at `pos` in 0..=4 and `Discrete(4)` actions:
//! 0 stay (always legal), 1 right (legal below 4), 2 left (legal above 0),
//! 3 back to 0 (legal from 2); an illegal action is taken as 0. Reaching 4
//! pays 1 and terminates; 6 steps truncate. A reset draws the start
//! (`start`, an integer in 0..3); a step right from 1 draws `slip` (a uniform:
//! below 0.25 the marker stays). The observation is `[pos, time]` as int8.

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env};

#[derive(Clone, Debug, PartialEq)]
pub struct Dial {
    pos: i64,
    time: i64,
}

impl Dial {
    fn legal(&self, action: u32) -> bool {
        match action {
            0 => true,
            1 => self.pos < 4,
            2 => self.pos > 0,
            3 => self.pos >= 2,
            _ => false,
        }
    }
}

impl Game for Dial {
    const NAME: &'static str = "dial";
    const MAX_EPISODE_STEPS: i64 = 6;
    const FIELDS: &'static [GameField] = &[GameField::int("pos"), GameField::int("time")];
    const RESET_DRAWS: &'static [DrawDecl] = &[DrawDecl { name: "start", kind: DrawKind::Integers { low: 0, high: 3 }, len: 1 }];
    const STEP_DRAWS: &'static [DrawDecl] = &[DrawDecl { name: "slip", kind: DrawKind::Uniform, len: 1 }];

    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        *self = Dial { pos: draws.integer(0, 0, 0, 3), time: 0 };
    }

    fn step_with(&mut self, action: u32, draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let a = if self.legal(action) { action } else { 0 };
        self.pos = match a {
            1 if self.pos == 1 && draws.uniform(0, 0) < 0.25 => self.pos,
            1 => self.pos + 1,
            2 => self.pos - 1,
            3 => 0,
            _ => self.pos,
        };
        self.time += 1;
        let terminated = self.pos == 4;
        (if terminated { 1.0 } else { 0.0 }, terminated, self.time >= Self::MAX_EPISODE_STEPS)
    }
}

impl Env for Dial {
    type Obs = i8;
    const OBS_SHAPE: &'static [usize] = &[2];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(4)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        Dial { pos: 0, time: 0 }
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    fn write_obs(&self, out: &mut [i8]) {
        out[0] = self.pos as i8;
        out[1] = self.time as i8;
    }
    fn write_mask(&self, out: &mut [bool]) {
        for (a, legal) in out.iter_mut().enumerate() {
            *legal = self.legal(a as u32);
        }
    }
    fn get_state(&self) -> Vec<GameValue> {
        vec![GameValue::Ints(vec![self.pos]), GameValue::Ints(vec![self.time])]
    }
    fn set_state(&mut self, values: &Vec<GameValue>) -> Result<(), String> {
        let names: Vec<&str> = Self::FIELDS.iter().map(|f| f.name).collect();
        match values.as_slice() {
            [GameValue::Ints(p), GameValue::Ints(t)] if p.len() == 1 && t.len() == 1 => {
                if !(0..=4).contains(&p[0]) || t[0] < 0 {
                    return Err(format!("pos must be in 0..=4 and time >= 0, got {} and {}", p[0], t[0]));
                }
                *self = Dial { pos: p[0], time: t[0] };
                Ok(())
            }
            _ => Err(wrong_count(&names, values.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::GivenDraws;
    use crate::vector::{StepBuffers, VecEnv};

    #[test]
    fn given_draws_and_own_generator_follow_the_same_rules() {
        let mut d = Dial { pos: 1, time: 0 };
        let values = vec![vec![0.1]];
        let r = d.step_with(1, &mut GivenDraws { decls: Dial::STEP_DRAWS, values: &values });
        assert_eq!((d.pos, r), (1, (0.0, false, false))); // slipped
        let values = vec![vec![0.9]];
        d.step_with(1, &mut GivenDraws { decls: Dial::STEP_DRAWS, values: &values });
        assert_eq!(d.pos, 2);
        d.step_with(9, &mut RngDraws(&mut Rng::new(0, 0))); // illegal: stays
        assert_eq!((d.pos, d.time), (2, 3));
        let mut m = [false; 4];
        d.write_mask(&mut m);
        assert_eq!(m, [true, true, true, true]);
        assert!(d.set_state(&vec![GameValue::Ints(vec![7]), GameValue::Ints(vec![0])]).is_err());
        assert_eq!(d.get_state(), vec![GameValue::Ints(vec![2]), GameValue::Ints(vec![3])]);
    }

    #[test]
    fn vector_env_writes_the_returned_states_masks() {
        let n = 8;
        let mut v = VecEnv::<Dial>::new(n, 1, Some(1)).unwrap();
        let (mut obs, mut fin, mut mask) = (vec![0i8; 2 * n], vec![0i8; 2 * n], vec![false; 4 * n]);
        let (mut rew, mut te, mut tr) = (vec![0.0; n], vec![false; n], vec![false; n]);
        v.reset(None, &mut obs);
        v.write_masks(&mut mask);
        for _ in 0..20 {
            let bufs = StepBuffers { obs: &mut obs, reward: &mut rew, terminated: &mut te, truncated: &mut tr, final_obs: &mut fin, mask: &mut mask };
            v.step(&vec![1u32; n], bufs);
            for i in 0..n {
                let pos = obs[2 * i];
                assert_eq!(mask[4 * i + 1], pos < 4);
                assert_eq!(mask[4 * i + 3], pos >= 2);
            }
        }
    }
}
