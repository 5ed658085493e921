//! Pick (tests/data/pick_port): the games module an agent writes for the masked toy port `pick`.
//! Four actions, two legal (all but `b` and `b + 1` mod 4); the target `g` pays 1, the other legal
//! action 0, an illegal one -1000 and ends the episode; 5 steps truncate. Reset and every step draw
//! `b` (0..4) and `c` (0..2), `g = (b + 2 + c) % 4`.

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env};

const N: i64 = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    g: i64,
    b: i64,
    time: i64,
}

impl Pick {
    fn legal(&self, a: i64) -> bool {
        a != self.b && a != (self.b + 1) % N
    }
    fn draw_target(&mut self, draws: &mut impl DrawSource, first: usize) {
        self.b = draws.integer(first, 0, 0, N);
        self.g = (self.b + 2 + draws.integer(first + 1, 0, 0, 2)) % N;
    }
}

impl Game for Pick {
    const NAME: &'static str = "pick";
    const MAX_EPISODE_STEPS: i64 = 5;
    const FIELDS: &'static [GameField] = &[GameField::int("g"), GameField::int("b"), GameField::int("time")];
    const RESET_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "reset_b", kind: DrawKind::Integers { low: 0, high: 4 }, len: 1 },
        DrawDecl { name: "reset_c", kind: DrawKind::Integers { low: 0, high: 2 }, len: 1 },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "step_b", kind: DrawKind::Integers { low: 0, high: 4 }, len: 1 },
        DrawDecl { name: "step_c", kind: DrawKind::Integers { low: 0, high: 2 }, len: 1 },
    ];

    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        self.time = 0;
        self.draw_target(draws, 0);
    }

    fn step_with(&mut self, action: u32, draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let a = action as i64;
        let ok = self.legal(a);
        let reward = if !ok { -1000.0 } else if a == self.g { 1.0 } else { 0.0 };
        self.time += 1;
        self.draw_target(draws, 0);
        (reward, !ok, self.time >= Self::MAX_EPISODE_STEPS)
    }
}

impl Env for Pick {
    type Obs = f32;
    const OBS_SHAPE: &'static [usize] = &[8];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(N as u32)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        Pick { g: 2, b: 0, time: 0 }
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    fn write_obs(&self, out: &mut [f32]) {
        for a in 0..N {
            out[a as usize] = if a == self.g { 1.0 } else { 0.0 };
            out[(N + a) as usize] = if self.legal(a) { 1.0 } else { 0.0 };
        }
    }
    fn write_mask(&self, out: &mut [bool]) {
        for (a, m) in out.iter_mut().enumerate() {
            *m = self.legal(a as i64);
        }
    }
    fn get_state(&self) -> Vec<GameValue> {
        vec![GameValue::Ints(vec![self.g]), GameValue::Ints(vec![self.b]), GameValue::Ints(vec![self.time])]
    }
    fn set_state(&mut self, values: &Vec<GameValue>) -> Result<(), String> {
        match values.as_slice() {
            [GameValue::Ints(g), GameValue::Ints(b), GameValue::Ints(t)] if g.len() == 1 && b.len() == 1 && t.len() == 1 => {
                *self = Pick { g: g[0], b: b[0], time: t[0] };
                Ok(())
            }
            _ => Err(wrong_count(&["g", "b", "time"], values.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illegal_actions_end_the_episode() {
        let mut p = Pick { g: 2, b: 0, time: 0 };
        let values = vec![vec![1.0], vec![0.0]];
        let r = p.step_with(0, &mut crate::games::GivenDraws { decls: Pick::STEP_DRAWS, values: &values });
        assert_eq!(r, (-1000.0, true, false));
        assert_eq!((p.b, p.g), (1, 3));
    }
}
