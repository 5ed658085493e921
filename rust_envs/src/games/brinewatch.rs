//! Brinewatch (specification v1): a two-player duel card game, the agent
//! (player 0) against the scripted player 1 of section 9, whose turns run
//! inside `step`. Integer state only: the twelve fields of section 3, stored
//! as fixed arrays of `i64`. Randomness: two permutations at reset (`deck0`,
//! `deck1`) and, per step, up to six `gull_hits` uniforms, each answering one
//! Gull Swarm hit's `integers(0, k)` (k >= 2) as `floor(u * k)`.
//! Rule ids refer to the specification.

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env};

const DECK: usize = 16;
const HAND: usize = 6;
const SLOTS: usize = 4;
const N_ACTIONS: usize = 27;
const MAX_HP: i64 = 20;
const MAX_TIDE: i64 = 6;
const MAX_TURNS: i64 = 18;
const BASE_DECK: [i64; DECK] = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8];
// Section 2, indexed by card id (0 = empty).
const COST: [i64; 9] = [0, 1, 2, 3, 5, 2, 2, 3, 2];
const ATTACK: [i64; 9] = [0, 1, 3, 2, 5, 0, 0, 0, 0];
const HEALTH: [i64; 9] = [0, 2, 1, 4, 5, 0, 0, 0, 0];
const KELP: i64 = 1;
const EEL: i64 = 2;
const GUARD: i64 = 3;
const HARPOON: i64 = 5;
const CHART: i64 = 6;
const SURGE: i64 = 7;
const GULLS: i64 = 8;
const KEEPER: usize = 4;
const END_TURN: usize = 0;
/// Index of `gull_hits` in `STEP_DRAWS`, and its number of elements.
const GULL_DRAW: usize = 0;
const GULL_DRAWS: usize = 6;

fn is_unit(card: i64) -> bool {
    (1..=4).contains(&card)
}

fn count_nonzero(xs: &[i64]) -> usize {
    xs.iter().filter(|&&x| x != 0).count()
}

#[derive(Clone, Debug, PartialEq)]
pub struct Brinewatch {
    deck: [[i64; DECK]; 2],
    deck_pos: [i64; 2],
    hand: [[i64; HAND]; 2],
    board_card: [[i64; SLOTS]; 2],
    board_atk: [[i64; SLOTS]; 2],
    board_hp: [[i64; SLOTS]; 2],
    board_ready: [[i64; SLOTS]; 2],
    keeper_hp: [i64; 2],
    tide: [i64; 2],
    max_tide: [i64; 2],
    fatigue: [i64; 2],
    turn: i64,
}

/// The `gull_hits` uniforms a step has taken so far (one per hit with a choice).
struct Gulls {
    used: usize,
}

impl Brinewatch {
    fn empty() -> Self {
        Brinewatch {
            deck: [[1; DECK]; 2],
            deck_pos: [0; 2],
            hand: [[0; HAND]; 2],
            board_card: [[0; SLOTS]; 2],
            board_atk: [[0; SLOTS]; 2],
            board_hp: [[0; SLOTS]; 2],
            board_ready: [[0; SLOTS]; 2],
            keeper_hp: [20; 2],
            tide: [0; 2],
            max_tide: [0; 2],
            fatigue: [0; 2],
            turn: 1,
        }
    }

    fn hand_size(&self, p: usize) -> usize {
        count_nonzero(&self.hand[p])
    }

    fn board_count(&self, p: usize) -> usize {
        count_nonzero(&self.board_card[p])
    }

    ///
    fn draw(&mut self, p: usize) {
        if self.deck_pos[p] == DECK as i64 {
            self.fatigue[p] += 1;
            self.keeper_hp[p] -= self.fatigue[p];
            return;
        }
        let card = self.deck[p][self.deck_pos[p] as usize];
        self.deck_pos[p] += 1;
        let n = self.hand_size(p);
        if n < HAND {
            self.hand[p][n] = card;
        }
    }

    ///
    fn start_turn(&mut self, p: usize) {
        self.max_tide[p] = (self.max_tide[p] + 1).min(MAX_TIDE);
        self.tide[p] = self.max_tide[p];
        for i in 0..self.board_count(p) {
            self.board_ready[p][i] = 1;
        }
        self.draw(p);
    }

    fn has_guard(&self, p: usize) -> bool {
        self.board_card[p].contains(&GUARD)
    }

    /// whether player p may attack target j (0..3 enemy slot, 4 keeper).
    fn valid_target(&self, p: usize, j: usize) -> bool {
        let e = 1 - p;
        if self.has_guard(e) {
            j < SLOTS && self.board_card[e][j] == GUARD
        } else {
            j == KEEPER || j < self.board_count(e)
        }
    }

    /// for player p.
    fn is_legal(&self, p: usize, a: usize) -> bool {
        match a {
            END_TURN => true,
            1..=6 => {
                let s = a - 1;
                if s >= self.hand_size(p) {
                    return false;
                }
                let card = self.hand[p][s];
                COST[card as usize] <= self.tide[p] && (!is_unit(card) || self.board_count(p) < SLOTS)
            }
            7..=26 => {
                let (i, j) = ((a - 7) / 5, (a - 7) % 5);
                i < self.board_count(p) && self.board_ready[p][i] == 1 && self.valid_target(p, j)
            }
            _ => false,
        }
    }

    /// with the card effects of section 2.
    fn play(&mut self, p: usize, s: usize, draws: &mut impl DrawSource, gulls: &mut Gulls) {
        let e = 1 - p;
        let card = self.hand[p][s];
        self.tide[p] -= COST[card as usize];
        for k in s..HAND - 1 {
            self.hand[p][k] = self.hand[p][k + 1];
        }
        self.hand[p][HAND - 1] = 0;
        if is_unit(card) {
            let m = self.board_count(p);
            self.board_card[p][m] = card;
            self.board_atk[p][m] = ATTACK[card as usize];
            self.board_hp[p][m] = HEALTH[card as usize];
            self.board_ready[p][m] = i64::from(card == EEL);
            if card == KELP {
                self.keeper_hp[p] = MAX_HP.min(self.keeper_hp[p] + 2);
            }
        } else if card == HARPOON {
            self.keeper_hp[e] -= 3;
            self.keeper_hp[p] -= 1;
        } else if card == CHART {
            for _ in 0..3 {
                self.draw(p);
            }
        } else if card == SURGE {
            for j in 0..SLOTS {
                if self.board_card[e][j] != 0 {
                    self.board_hp[e][j] -= 2;
                }
            }
        } else if card == GULLS {
            self.gull_swarm(p, draws, gulls);
        }
    }

    /// three hits; a draw only when there is a choice (k >= 2).
    fn gull_swarm(&mut self, p: usize, draws: &mut impl DrawSource, gulls: &mut Gulls) {
        let e = 1 - p;
        for _ in 0..3 {
            let mut targets = [0usize; SLOTS];
            let mut n = 0;
            for j in 0..SLOTS {
                if self.board_card[e][j] != 0 && self.board_hp[e][j] > 0 {
                    targets[n] = j;
                    n += 1;
                }
            }
            let k = n + 1;
            let t = if k >= 2 {
                let u = draws.uniform(GULL_DRAW, gulls.used);
                gulls.used += 1;
                ((u * k as f64).floor() as usize).min(k - 1)
            } else {
                0
            };
            if t < n {
                self.board_hp[e][targets[t]] -= 1;
            } else {
                self.keeper_hp[e] -= 1;
            }
        }
    }

    ///
    fn attack(&mut self, p: usize, i: usize, j: usize) {
        let e = 1 - p;
        let a = self.board_atk[p][i];
        if j == KEEPER {
            self.keeper_hp[e] -= a;
        } else {
            let strike_back = self.board_atk[e][j];
            self.board_hp[e][j] -= a;
            self.board_hp[p][i] -= strike_back;
        }
        self.board_ready[p][i] = 0;
    }

    /// survivors packed to the left in order, on both boards.
    fn remove_defeated(&mut self) {
        for p in 0..2 {
            let mut m = 0;
            for i in 0..SLOTS {
                if self.board_card[p][i] != 0 && self.board_hp[p][i] > 0 {
                    self.board_card[p][m] = self.board_card[p][i];
                    self.board_atk[p][m] = self.board_atk[p][i];
                    self.board_hp[p][m] = self.board_hp[p][i];
                    self.board_ready[p][m] = self.board_ready[p][i];
                    m += 1;
                }
            }
            for i in m..SLOTS {
                self.board_card[p][i] = 0;
                self.board_atk[p][i] = 0;
                self.board_hp[p][i] = 0;
                self.board_ready[p][i] = 0;
            }
        }
    }

    /// `Some(reward)` when the game is over.
    fn game_result(&self) -> Option<f64> {
        match (self.keeper_hp[0] <= 0, self.keeper_hp[1] <= 0) {
            (true, true) => Some(0.0),
            (false, true) => Some(1.0),
            (true, false) => Some(-1.0),
            (false, false) => None,
        }
    }

    /// Player p's PLAY or ATTACK, then.
    fn resolve(&mut self, p: usize, a: usize, draws: &mut impl DrawSource, gulls: &mut Gulls) -> Option<f64> {
        if a <= 6 {
            self.play(p, a - 1, draws, gulls);
        } else {
            self.attack(p, (a - 7) / 5, (a - 7) % 5);
        }
        self.remove_defeated();
        self.game_result()
    }

    /// Section 9: the first of O1-O8 whose condition holds.
    fn opponent_action(&self) -> usize {
        let tide = self.tide[1];
        let n_hand = self.hand_size(1);
        let (n_own, n_enemy) = (self.board_count(1), self.board_count(0));
        let hand = &self.hand[1][..n_hand];
        // PLAY of the lowest slot holding `card`, when it is in hand and affordable.
        let playable = |card: i64| -> Option<usize> {
            hand.iter().position(|&c| c == card).filter(|_| COST[card as usize] <= tide).map(|s| 1 + s)
        };
        if self.keeper_hp[0] <= 3 {
            if let Some(a) = playable(HARPOON) {
                return a; // O1
            }
        }
        if n_enemy >= 2 {
            if let Some(a) = playable(SURGE) {
                return a; // O2
            }
        }
        if n_own < SLOTS {
            // O3: the most expensive affordable unit, lowest slot on ties.
            let mut best: Option<usize> = None;
            for (s, &c) in hand.iter().enumerate() {
                if is_unit(c) && COST[c as usize] <= tide && best.map_or(true, |b| COST[c as usize] > COST[hand[b] as usize]) {
                    best = Some(s);
                }
            }
            if let Some(s) = best {
                return 1 + s;
            }
        }
        if n_hand <= 4 {
            if let Some(a) = playable(CHART) {
                return a; // O4
            }
        }
        if n_enemy >= 1 {
            if let Some(a) = playable(GULLS) {
                return a; // O5
            }
        }
        if self.keeper_hp[1] >= 6 {
            if let Some(a) = playable(HARPOON) {
                return a; // O6
            }
        }
        if let Some(i) = (0..n_own).find(|&i| self.board_ready[1][i] == 1) {
            return 7 + 5 * i + self.opponent_target(i); // O7
        }
        END_TURN // O8
    }

    /// O7a-d: the target of player 1's unit in slot i.
    fn opponent_target(&self, i: usize) -> usize {
        let (a, h) = (self.board_atk[1][i], self.board_hp[1][i]);
        let mut guard: Option<usize> = None;
        for j in 0..SLOTS {
            if self.board_card[0][j] == GUARD && guard.map_or(true, |g| self.board_hp[0][j] < self.board_hp[0][g]) {
                guard = Some(j);
            }
        }
        if let Some(j) = guard {
            return j; // O7a
        }
        if self.keeper_hp[0] <= a {
            return KEEPER; // O7b
        }
        let mut trade: Option<usize> = None;
        for j in 0..self.board_count(0) {
            if self.board_hp[0][j] <= a
                && self.board_atk[0][j] < h
                && trade.map_or(true, |t| self.board_atk[0][j] > self.board_atk[0][t])
            {
                trade = Some(j);
            }
        }
        trade.unwrap_or(KEEPER) // O7c, O7d
    }

    /// A keeper down, or player 1's turn ended the game (turn even).
    fn is_final(&self) -> bool {
        self.keeper_hp[0] <= 0 || self.keeper_hp[1] <= 0 || self.turn % 2 == 0
    }

    fn fields_from(values: &[GameValue]) -> Result<Self, String> {
        let names: Vec<&str> = Self::FIELDS.iter().map(|f| f.name).collect();
        if values.len() != Self::FIELDS.len() {
            return Err(wrong_count(&names, values.len()));
        }
        let mut ints: Vec<&[i64]> = Vec::with_capacity(values.len());
        for (f, v) in Self::FIELDS.iter().zip(values) {
            match v {
                GameValue::Ints(x) if x.len() == f.len() => ints.push(x),
                GameValue::Ints(x) => {
                    return Err(format!("state field '{}' must have {} elements, got {}", f.name, f.len(), x.len()))
                }
                GameValue::Bools(_) => return Err(format!("state field '{}' must be int", f.name)),
            }
        }
        let check = |name: &str, xs: &[i64], low: i64, high: i64| -> Result<(), String> {
            match xs.iter().find(|x| !(low..=high).contains(*x)) {
                Some(x) => Err(format!("state field '{name}' must lie in {low}..={high}, got {x}")),
                None => Ok(()),
            }
        };
        check("deck", ints[0], 1, 8)?;
        check("deck_pos", ints[1], 0, DECK as i64)?;
        check("hand", ints[2], 0, 8)?;
        check("board_card", ints[3], 0, 4)?;
        let mut s = Brinewatch::empty();
        for p in 0..2 {
            s.deck[p].copy_from_slice(&ints[0][p * DECK..(p + 1) * DECK]);
            s.hand[p].copy_from_slice(&ints[2][p * HAND..(p + 1) * HAND]);
            s.board_card[p].copy_from_slice(&ints[3][p * SLOTS..(p + 1) * SLOTS]);
            s.board_atk[p].copy_from_slice(&ints[4][p * SLOTS..(p + 1) * SLOTS]);
            s.board_hp[p].copy_from_slice(&ints[5][p * SLOTS..(p + 1) * SLOTS]);
            s.board_ready[p].copy_from_slice(&ints[6][p * SLOTS..(p + 1) * SLOTS]);
        }
        s.deck_pos.copy_from_slice(ints[1]);
        s.keeper_hp.copy_from_slice(ints[7]);
        s.tide.copy_from_slice(ints[8]);
        s.max_tide.copy_from_slice(ints[9]);
        s.fatigue.copy_from_slice(ints[10]);
        s.turn = ints[11][0];
        Ok(s)
    }
}

impl Game for Brinewatch {
    const NAME: &'static str = "brinewatch";
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::ints("deck", &[2, 16]),
        GameField::ints("deck_pos", &[2]),
        GameField::ints("hand", &[2, 6]),
        GameField::ints("board_card", &[2, 4]),
        GameField::ints("board_atk", &[2, 4]),
        GameField::ints("board_hp", &[2, 4]),
        GameField::ints("board_ready", &[2, 4]),
        GameField::ints("keeper_hp", &[2]),
        GameField::ints("tide", &[2]),
        GameField::ints("max_tide", &[2]),
        GameField::ints("fatigue", &[2]),
        GameField::int("turn"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "deck0", kind: DrawKind::Integers { low: 0, high: 16 }, len: 16 },
        DrawDecl { name: "deck1", kind: DrawKind::Integers { low: 0, high: 16 }, len: 16 },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[DrawDecl { name: "gull_hits", kind: DrawKind::Uniform, len: GULL_DRAWS }];

    ///
    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        let mut s = Brinewatch::empty();
        let mut perm = [0usize; DECK];
        for p in 0..2 {
            draws.permutation(p, &mut perm);
            for k in 0..DECK {
                s.deck[p][k] = BASE_DECK[perm[k]];
            }
        }
        for p in 0..2 {
            for _ in 0..3 {
                s.draw(p);
            }
        }
        s.turn = 1;
        s.start_turn(0);
        *self = s;
    }

    /// R-8.2 (a step from a final state is outside the spec; it is played as from any other state).
    fn step_with(&mut self, action: u32, draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let mut gulls = Gulls { used: 0 };
        let a = action as usize;
        let a = if self.is_legal(0, a) { a } else { END_TURN };
        if a != END_TURN {
            return match self.resolve(0, a, draws, &mut gulls) {
                Some(r) => (r, true, false),
                None => (0.0, false, false),
            };
        }
        self.turn += 1;
        self.start_turn(1);
        let mut result = self.game_result();
        while result.is_none() {
            let b = self.opponent_action();
            if b == END_TURN {
                break;
            }
            result = self.resolve(1, b, draws, &mut gulls);
        }
        if let Some(r) = result {
            return (r, true, false);
        }
        if self.turn == MAX_TURNS {
            return (0.0, false, true);
        }
        self.turn += 1;
        self.start_turn(0);
        match self.game_result() {
            Some(r) => (r, true, false),
            None => (0.0, false, false),
        }
    }
}

impl Env for Brinewatch {
    type Obs = i8;
    const OBS_SHAPE: &'static [usize] = &[50];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;
    /// any integer that is not a legal action, out-of-range ones included, is END_TURN.
    const OUT_OF_SPACE_ACTION: Option<u32> = Some(END_TURN as u32);

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(N_ACTIONS as u32)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        Brinewatch::empty()
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    /// Section 6 (values wrap to int8 as numpy's `astype` does).
    fn write_obs(&self, out: &mut [i8]) {
        let head = [
            self.keeper_hp[0],
            self.keeper_hp[1],
            self.tide[0],
            self.max_tide[0],
            self.max_tide[1],
            self.hand_size(0) as i64,
            self.hand_size(1) as i64,
            DECK as i64 - self.deck_pos[0],
            DECK as i64 - self.deck_pos[1],
            self.fatigue[0],
            self.fatigue[1],
            self.turn,
        ];
        for (o, v) in out.iter_mut().zip(head.iter().chain(self.hand[0].iter())) {
            *o = *v as i8;
        }
        for p in 0..2 {
            for i in 0..SLOTS {
                let at = 18 + 16 * p + 4 * i;
                out[at] = self.board_card[p][i] as i8;
                out[at + 1] = self.board_atk[p][i] as i8;
                out[at + 2] = self.board_hp[p][i] as i8;
                out[at + 3] = self.board_ready[p][i] as i8;
            }
        }
    }
    /// R-5.4: R-5.2 for player 0 with the counts taken once (the vector env writes a mask every step).
    fn write_mask(&self, out: &mut [bool]) {
        out.fill(false);
        out[END_TURN] = true;
        if self.is_final() {
            return;
        }
        let (n_hand, n_own, n_enemy) = (self.hand_size(0), self.board_count(0), self.board_count(1));
        for s in 0..n_hand {
            let card = self.hand[0][s];
            out[1 + s] = COST[card as usize] <= self.tide[0] && (!is_unit(card) || n_own < SLOTS);
        }
        let guard = self.has_guard(1);
        let mut target = [false; 5];
        for (j, t) in target.iter_mut().enumerate() {
            *t = if guard { j < SLOTS && self.board_card[1][j] == GUARD } else { j == KEEPER || j < n_enemy };
        }
        for i in 0..n_own {
            if self.board_ready[0][i] == 1 {
                out[7 + 5 * i..12 + 5 * i].copy_from_slice(&target);
            }
        }
    }
    fn get_state(&self) -> Vec<GameValue> {
        let flat = |rows: &[[i64; 16]; 2]| rows.iter().flatten().copied().collect::<Vec<_>>();
        let flat6 = |rows: &[[i64; 6]; 2]| rows.iter().flatten().copied().collect::<Vec<_>>();
        let flat4 = |rows: &[[i64; 4]; 2]| rows.iter().flatten().copied().collect::<Vec<_>>();
        vec![
            GameValue::Ints(flat(&self.deck)),
            GameValue::Ints(self.deck_pos.to_vec()),
            GameValue::Ints(flat6(&self.hand)),
            GameValue::Ints(flat4(&self.board_card)),
            GameValue::Ints(flat4(&self.board_atk)),
            GameValue::Ints(flat4(&self.board_hp)),
            GameValue::Ints(flat4(&self.board_ready)),
            GameValue::Ints(self.keeper_hp.to_vec()),
            GameValue::Ints(self.tide.to_vec()),
            GameValue::Ints(self.max_tide.to_vec()),
            GameValue::Ints(self.fatigue.to_vec()),
            GameValue::Ints(vec![self.turn]),
        ]
    }
    fn set_state(&mut self, values: &Vec<GameValue>) -> Result<(), String> {
        *self = Self::fields_from(values)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::GivenDraws;

    /// The spec's worked example (section 11): reset(seed=96)'s permutations, actions 2, 0, 2, 11, 0.
    #[test]
    fn worked_example() {
        let perm0 = [3., 1., 14., 8., 13., 7., 2., 9., 11., 6., 12., 5., 10., 4., 0., 15.];
        let perm1 = [1., 0., 3., 12., 15., 8., 10., 7., 11., 6., 9., 13., 5., 4., 2., 14.];
        let values = vec![perm0.to_vec(), perm1.to_vec()];
        let mut g = Brinewatch::empty();
        g.reset_with(&mut GivenDraws { decls: Brinewatch::RESET_DRAWS, values: &values });
        assert_eq!(g.deck[0], [2, 1, 8, 5, 7, 4, 2, 5, 6, 4, 7, 3, 6, 3, 1, 8]);
        assert_eq!(g.hand[0], [2, 1, 8, 5, 0, 0]);
        assert_eq!(g.hand[1], [1, 1, 2, 0, 0, 0]);
        let mut mask = [false; N_ACTIONS];
        g.write_mask(&mut mask);
        let legal: Vec<usize> = (0..N_ACTIONS).filter(|&a| mask[a]).collect();
        assert_eq!(legal, vec![0, 2]);
        // Both Gull Swarm hits with a choice land on slot 0 (u below 1/2); no hit is drawn without one.
        let gulls = vec![vec![0.1, 0.4, f64::NAN, f64::NAN, f64::NAN, f64::NAN]];
        for a in [2u32, 0, 2, 11, 0] {
            let r = g.step_with(a, &mut GivenDraws { decls: Brinewatch::STEP_DRAWS, values: &gulls });
            assert_eq!(r, (0.0, false, false));
        }
        let mut obs = [0i8; 50];
        g.write_obs(&mut obs);
        let mut want = [0i8; 50];
        want[..18].copy_from_slice(&[17, 18, 3, 3, 2, 4, 3, 10, 11, 0, 0, 5, 2, 5, 7, 4, 0, 0]);
        want[18..22].copy_from_slice(&[1, 1, 2, 1]);
        want[34..38].copy_from_slice(&[2, 3, 1, 0]);
        assert_eq!(obs, want);
    }

    #[test]
    fn gull_hit_index_is_floor_of_u_times_k() {
        let mut g = Brinewatch::empty();
        g.hand[0] = [GULLS, 0, 0, 0, 0, 0];
        g.tide[0] = 2;
        g.board_card[1] = [1, 1, 0, 0];
        g.board_atk[1] = [1, 1, 0, 0];
        g.board_hp[1] = [2, 2, 0, 0];
        // k = 3: u = 0.7 -> keeper; u = 0.5 -> slot 1; u = 0.2 -> slot 0.
        let values = vec![vec![0.7, 0.5, 0.2, 0.9, 0.9, 0.9]];
        let r = g.step_with(1, &mut GivenDraws { decls: Brinewatch::STEP_DRAWS, values: &values });
        assert_eq!(r, (0.0, false, false));
        assert_eq!(g.keeper_hp[1], 19);
        assert_eq!(g.board_hp[1], [1, 1, 0, 0]);
        assert_eq!(g.tide[0], 0);
        assert_eq!(g.hand[0], [0; 6]);
    }

    #[test]
    fn state_round_trips_and_bad_states_are_refused() {
        let mut g = Brinewatch::empty();
        g.reset_with(&mut RngDraws(&mut Rng::new(3, 0)));
        let state = g.get_state();
        let mut h = Brinewatch::empty();
        h.set_state(&state).unwrap();
        assert_eq!(g, h);
        assert_eq!(h.get_state(), state);
        let mut bad = state.clone();
        bad[2] = GameValue::Ints(vec![9; 12]);
        assert!(h.set_state(&bad).unwrap_err().contains("hand"));
        assert!(h.set_state(&state[..3].to_vec()).is_err());
        let mut bad = state.clone();
        bad[11] = GameValue::Bools(vec![true]);
        assert!(h.set_state(&bad).unwrap_err().contains("turn"));
        assert_eq!(g, h);
    }

    #[test]
    fn mask_equals_the_legality_rule_along_random_play() {
        let mut rng = Rng::new(11, 0);
        let mut g = Brinewatch::empty();
        g.reset_with(&mut RngDraws(&mut rng));
        let mut mask = [false; N_ACTIONS];
        for t in 0..3000u32 {
            g.write_mask(&mut mask);
            for a in 0..N_ACTIONS {
                assert_eq!(mask[a], if g.is_final() { a == END_TURN } else { g.is_legal(0, a) }, "action {a}");
            }
            let legal: Vec<u32> = (0..N_ACTIONS as u32).filter(|&a| mask[a as usize]).collect();
            let a = legal[(t as usize * 7 + 3) % legal.len()];
            let (_, te, tr) = g.step_with(a, &mut RngDraws(&mut rng));
            if te || tr {
                g.reset_with(&mut RngDraws(&mut rng));
            }
        }
    }

    #[test]
    fn final_state_masks_only_end_turn_and_illegal_actions_end_the_turn() {
        let mut g = Brinewatch::empty();
        g.reset_with(&mut RngDraws(&mut Rng::new(5, 0)));
        let before = g.turn;
        // 26 = ATTACK(3, 4) with no unit on the board: illegal, so END_TURN.
        g.step_with(26, &mut RngDraws(&mut Rng::new(6, 0)));
        assert!(g.turn == before + 2 || g.is_final());
        g.keeper_hp[1] = 0;
        let mut mask = [true; N_ACTIONS];
        g.write_mask(&mut mask);
        assert!(mask[0] && mask[1..].iter().all(|m| !m));
    }
}
