//! Leduc Hold'em: RLCard's `leduc-holdem` (rlcard 1.2.0, its defaults: two
//! players, blinds 1 and 2, raises of 2 then 4, at most 2 raises a round),
//! turn-based: the observation is the seat to act's (RLCard's 36 entries),
//! `write_obs_of` any seat's, and `rewards` every seat's payoffs once the game
//! is over.
//!
//! State: the port's fields (`envs.rlcard.leduc_holdem.reference`): the
//! dealer's deck in list order (dealt from the end, -1 padded), the hands, the
//! public card (-1 before it is dealt), the game's pointer and round counter,
//! chips and status (0 alive, 1 folded) per player, and the betting round's
//! fields. Card ids are `2 * rank + suit`; `id / 2` is the rank.
//!
//! Randomness, in RLCard's order: at reset the dealer's shuffle of its six
//! cards (`deck`, a permutation: the deck is the unshuffled 0..5 in that
//! order), then `small_blind` (`randint(0, 2)`). A step draws nothing.
//!
//! An action id that is not legal is 'check' where check is legal, else
//! 'fold' (RLCard's `_decode_action`); the round acts for its own pointer.

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env};

const DECK: usize = 6;
const OBS: usize = 36;
const CALL: usize = 0;
const RAISE: usize = 1;
const FOLD: usize = 2;
const CHECK: usize = 3;
const SMALL_BLIND: i64 = 1;
const BIG_BLIND: i64 = 2;
const RAISE_AMOUNT: i64 = 2;
const ALLOWED_RAISES: i64 = 2;

#[derive(Clone, Debug, PartialEq)]
pub struct RlcardLeducHoldem {
    deck: [i64; DECK],
    deck_count: i64,
    hands: [i64; 2],
    public_card: i64,
    game_pointer: i64,
    round_counter: i64,
    in_chips: [i64; 2],
    status: [i64; 2],
    round_game_pointer: i64,
    round_raise_amount: i64,
    round_have_raised: i64,
    round_not_raise_num: i64,
    round_raised: [i64; 2],
    round_player_folded: bool,
}

impl RlcardLeducHoldem {
    fn empty() -> Self {
        RlcardLeducHoldem {
            deck: [-1; DECK],
            deck_count: 0,
            hands: [0, 1],
            public_card: -1,
            game_pointer: 0,
            round_counter: 0,
            in_chips: [0; 2],
            status: [0; 2],
            round_game_pointer: 0,
            round_raise_amount: RAISE_AMOUNT,
            round_have_raised: 0,
            round_not_raise_num: 0,
            round_raised: [0; 2],
            round_player_folded: false,
        }
    }

    /// Limit Hold'em's `get_legal_actions` for the round's pointer: call, raise, fold, check.
    fn legal(&self) -> [bool; 4] {
        let mine = self.round_raised[self.round_game_pointer as usize];
        let top = self.round_raised[0].max(self.round_raised[1]);
        [mine != top, self.round_have_raised < ALLOWED_RAISES, true, mine >= top]
    }

    fn is_over(&self) -> bool {
        self.status.iter().filter(|&&s| s == 0).count() == 1 || self.round_counter >= 2
    }

    /// Leduc's judge, in big blinds: the one player left, else the first pairing the public card, else the
    /// highest rank (ties split the pot); a winner gets its share minus its chips, a loser loses its chips.
    fn payoffs(&self) -> [f64; 2] {
        let ranks = [self.hands[0] / 2, self.hands[1] / 2];
        let mut winners = [false; 2];
        if self.status.iter().filter(|&&s| s == 1).count() == 1 {
            let alive = if self.status[1] == 0 { 1 } else { 0 };
            winners[alive] = true;
        }
        if !winners.iter().any(|&w| w) && self.public_card >= 0 {
            if let Some(i) = (0..2).find(|&i| ranks[i] == self.public_card / 2) {
                winners[i] = true;
            }
        }
        if !winners.iter().any(|&w| w) {
            let top = ranks[0].max(ranks[1]);
            winners = [ranks[0] == top, ranks[1] == top];
        }
        let total = (self.in_chips[0] + self.in_chips[1]) as f64;
        let each = total / winners.iter().filter(|&&w| w).count() as f64;
        let mut out = [0.0; 2];
        for i in 0..2 {
            let chips = self.in_chips[i] as f64;
            out[i] = (if winners[i] { each - chips } else { -chips }) / BIG_BLIND as f64;
        }
        out
    }

    fn observe(&self, player: usize, out: &mut [f64]) {
        out.fill(0.0);
        let mine = self.in_chips[player];
        out[(self.hands[player] / 2) as usize] = 1.0;
        if self.public_card >= 0 {
            out[(self.public_card / 2 + 3) as usize] = 1.0;
        }
        out[(mine + 6) as usize] = 1.0;
        out[(self.in_chips[0] + self.in_chips[1] - mine + 21) as usize] = 1.0;
    }

    fn fields_from(values: &[GameValue]) -> Result<Self, String> {
        let names: Vec<&str> = Self::FIELDS.iter().map(|f| f.name).collect();
        if values.len() != Self::FIELDS.len() {
            return Err(wrong_count(&names, values.len()));
        }
        let mut ints: Vec<&[i64]> = Vec::with_capacity(values.len() - 1);
        for (f, v) in Self::FIELDS.iter().zip(values).take(values.len() - 1) {
            match v {
                GameValue::Ints(x) if x.len() == f.len() => ints.push(x),
                GameValue::Ints(x) => return Err(format!("state field '{}' must have {} elements, got {}", f.name, f.len(), x.len())),
                GameValue::Bools(_) => return Err(format!("state field '{}' must be int", f.name)),
            }
        }
        let folded = match &values[values.len() - 1] {
            GameValue::Bools(x) if x.len() == 1 => x[0],
            _ => return Err("state field 'round_player_folded' must be one bool".to_string()),
        };
        let check = |name: &str, xs: &[i64], low: i64, high: i64| -> Result<(), String> {
            match xs.iter().find(|x| !(low..=high).contains(*x)) {
                Some(x) => Err(format!("state field '{name}' must lie in {low}..={high}, got {x}")),
                None => Ok(()),
            }
        };
        // What indexing needs: cards, seats and chips in range (the observation one-hots the chips).
        check("deck", ints[0], -1, 5)?;
        check("deck_count", ints[1], 0, DECK as i64)?;
        check("hands", ints[2], 0, 5)?;
        check("public_card", ints[3], -1, 5)?;
        check("game_pointer", ints[4], 0, 1)?;
        check("in_chips", ints[6], 0, 14)?;
        check("status", ints[7], 0, 1)?;
        check("round_game_pointer", ints[8], 0, 1)?;
        let mut s = RlcardLeducHoldem::empty();
        s.deck.copy_from_slice(ints[0]);
        s.deck_count = ints[1][0];
        s.hands.copy_from_slice(ints[2]);
        s.public_card = ints[3][0];
        s.game_pointer = ints[4][0];
        s.round_counter = ints[5][0];
        s.in_chips.copy_from_slice(ints[6]);
        s.status.copy_from_slice(ints[7]);
        s.round_game_pointer = ints[8][0];
        s.round_raise_amount = ints[9][0];
        s.round_have_raised = ints[10][0];
        s.round_not_raise_num = ints[11][0];
        s.round_raised.copy_from_slice(ints[12]);
        s.round_player_folded = folded;
        Ok(s)
    }
}

impl Game for RlcardLeducHoldem {
    const NAME: &'static str = "rlcard-leduc-holdem";
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::ints("deck", &[DECK]),
        GameField::int("deck_count"),
        GameField::ints("hands", &[2]),
        GameField::int("public_card"),
        GameField::int("game_pointer"),
        GameField::int("round_counter"),
        GameField::ints("in_chips", &[2]),
        GameField::ints("status", &[2]),
        GameField::int("round_game_pointer"),
        GameField::int("round_raise_amount"),
        GameField::int("round_have_raised"),
        GameField::int("round_not_raise_num"),
        GameField::ints("round_raised", &[2]),
        GameField::boolean("round_player_folded"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "deck", kind: DrawKind::Integers { low: 0, high: DECK as i64 }, len: DECK },
        DrawDecl { name: "small_blind", kind: DrawKind::Integers { low: 0, high: 2 }, len: 1 },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[];
    const NUM_PLAYERS: usize = 2;

    fn write_obs_of(&self, player: usize, out: &mut [f64]) {
        self.observe(player, out);
    }

    fn current_player(&self) -> usize {
        self.game_pointer as usize
    }

    fn rewards(&self) -> Vec<f64> {
        self.seat_rewards()
    }

    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        let mut order = [0usize; DECK];
        draws.permutation(0, &mut order);
        let small = draws.integer(1, 0, 0, 2);
        let mut s = RlcardLeducHoldem::empty();
        for k in 0..4 {
            s.deck[k] = order[k] as i64;
        }
        s.deck_count = 4;
        s.hands = [order[5] as i64, order[4] as i64];
        s.in_chips = [BIG_BLIND; 2];
        s.in_chips[small as usize] = SMALL_BLIND;
        s.game_pointer = small;
        s.round_game_pointer = small;
        s.round_raised = s.in_chips;
        *self = s;
    }

    fn step_with(&mut self, action: u32, _draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let actor = self.game_pointer as usize;
        let legal = self.legal();
        let a = action as usize;
        let act = if a < 4 && legal[a] { a } else if legal[CHECK] { CHECK } else { FOLD };
        let p = self.round_game_pointer as usize;
        let top = self.round_raised[0].max(self.round_raised[1]);
        match act {
            CALL => {
                self.in_chips[p] += top - self.round_raised[p];
                self.round_raised[p] = top;
                self.round_not_raise_num += 1;
            }
            RAISE => {
                self.in_chips[p] += top - self.round_raised[p] + self.round_raise_amount;
                self.round_raised[p] = top + self.round_raise_amount;
                self.round_have_raised += 1;
                self.round_not_raise_num = 1;
            }
            FOLD => {
                self.status[p] = 1;
                self.round_player_folded = true;
            }
            _ => self.round_not_raise_num += 1,
        }
        let mut next = 1 - p;
        if self.status[next] == 1 {
            next = p;
        }
        self.round_game_pointer = next as i64;
        self.game_pointer = next as i64;
        if self.round_not_raise_num >= 2 {
            if self.round_counter == 0 {
                self.deck_count -= 1;
                self.public_card = self.deck[self.deck_count as usize];
                self.deck[self.deck_count as usize] = -1;
                self.round_raise_amount = 2 * RAISE_AMOUNT;
            }
            self.round_counter += 1;
            self.round_have_raised = 0;
            self.round_not_raise_num = 0;
            self.round_raised = [0; 2];
        }
        if self.is_over() {
            (self.payoffs()[actor], true, false)
        } else {
            (0.0, false, false)
        }
    }
}

impl Env for RlcardLeducHoldem {
    type Obs = f64;
    const OBS_SHAPE: &'static [usize] = &[OBS];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(4)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        RlcardLeducHoldem::empty()
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    /// The seat to act's observation.
    fn write_obs(&self, out: &mut [f64]) {
        self.observe(self.game_pointer as usize, out);
    }
    fn write_mask(&self, out: &mut [bool]) {
        out.copy_from_slice(&self.legal());
    }
    fn get_state(&self) -> Vec<GameValue> {
        vec![
            GameValue::Ints(self.deck.to_vec()),
            GameValue::Ints(vec![self.deck_count]),
            GameValue::Ints(self.hands.to_vec()),
            GameValue::Ints(vec![self.public_card]),
            GameValue::Ints(vec![self.game_pointer]),
            GameValue::Ints(vec![self.round_counter]),
            GameValue::Ints(self.in_chips.to_vec()),
            GameValue::Ints(self.status.to_vec()),
            GameValue::Ints(vec![self.round_game_pointer]),
            GameValue::Ints(vec![self.round_raise_amount]),
            GameValue::Ints(vec![self.round_have_raised]),
            GameValue::Ints(vec![self.round_not_raise_num]),
            GameValue::Ints(self.round_raised.to_vec()),
            GameValue::Bools(vec![self.round_player_folded]),
        ]
    }
    fn set_state(&mut self, values: &Vec<GameValue>) -> Result<(), String> {
        *self = Self::fields_from(values)?;
        Ok(())
    }
}

impl RlcardLeducHoldem {
    /// Every seat's payoffs once the game is over, zeros before (the state dict's `rewards`).
    fn seat_rewards(&self) -> Vec<f64> {
        if self.is_over() {
            self.payoffs().to_vec()
        } else {
            vec![0.0; 2]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::GivenDraws;

    fn dealt(order: [f64; 6], small: f64) -> RlcardLeducHoldem {
        let values = vec![order.to_vec(), vec![small]];
        let mut g = RlcardLeducHoldem::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardLeducHoldem::RESET_DRAWS, values: &values });
        g
    }

    /// Player 0 takes the deck's last card, player 1 the one before; the public card is the next from the end.
    #[test]
    fn deal_blinds_and_a_showdown_with_a_pair() {
        // deck order 0..5: player 0 holds HK (5), player 1 SK (4); public card HQ (3); player 1 posts the small blind
        let mut g = dealt([0., 1., 2., 3., 4., 5.], 1.);
        assert_eq!((g.hands, g.in_chips, g.game_pointer), ([5, 4], [2, 1], 1));
        let mut mask = [false; 4];
        g.write_mask(&mut mask);
        assert_eq!(mask, [true, true, true, false]);
        assert_eq!(g.step_with(0, &mut RngDraws(&mut Rng::new(0, 0))), (0.0, false, false)); // call
        assert_eq!(g.step_with(3, &mut RngDraws(&mut Rng::new(0, 0))), (0.0, false, false)); // check: round 2
        assert_eq!((g.public_card, g.deck_count, g.round_raise_amount), (3, 3, 4));
        g.step_with(1, &mut RngDraws(&mut Rng::new(0, 0))); // player 1 raises 4
        let r = g.step_with(0, &mut RngDraws(&mut Rng::new(0, 0))); // player 0 calls: both kings, a split pot
        assert_eq!(r, (0.0, true, false));
        assert_eq!(g.rewards(), vec![0.0, 0.0]);
        let mut seats = [[0.0; OBS]; 2];
        for (p, row) in seats.iter_mut().enumerate() {
            g.write_obs_of(p, row);
        }
        assert_eq!(seats[0][2] + seats[0][4] + seats[0][6 + 6] + seats[0][21 + 6], 4.0);
    }

    #[test]
    fn an_illegal_action_checks_where_it_may_else_folds() {
        let mut g = dealt([0., 1., 2., 3., 4., 5.], 0.);
        let r = g.step_with(3, &mut RngDraws(&mut Rng::new(0, 0))); // check facing the big blind: fold
        assert_eq!((r, g.status), ((-0.5, true, false), [1, 0]));
        assert_eq!(g.rewards(), vec![-0.5, 0.5]);
        let state = g.get_state();
        let mut h = RlcardLeducHoldem::empty();
        h.set_state(&state).unwrap();
        assert_eq!(g, h);
        let mut bad = state.clone();
        bad[6] = GameValue::Ints(vec![15, 2]);
        assert!(h.set_state(&bad).unwrap_err().contains("in_chips"));
    }
}
