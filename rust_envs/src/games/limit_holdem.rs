//! RLCard's Limit Texas Hold'em (`rlcard.make('limit-holdem')`, RLCard 1.2.0's
//! defaults: 2 players, blinds 1 and 2, raises of 2 in the first two betting
//! rounds and 4 in the last two, at most 4 raises a round).
//!
//! State: the reference adapter's fields (cards as ids `13 * suit + rank`,
//! suits S H D C, ranks A 2 .. K; the deck dealt from the end of its first
//! `deck_count` slots); `rewards`, every player's payoff in big blinds once
//! the game is over (zeros before). Actions: 0 call, 1 raise, 2 fold, 3 check;
//! an illegal one is check when check is legal, else fold (RLCard's
//! `Env._decode_action`). Randomness: at reset the deck's permutation (RLCard
//! shuffles the unshuffled deck, so the deck is the permutation) and the small
//! blind; a step draws nothing (the judger's odd-chip `choice` is unreachable
//! with two players). Observation: RLCard's `state['obs']` of the player to
//! act, 72 floats.
//!
//! The showdown follows RLCard's `compare_hands` over 7 cards, which amounts to
//! the usual hand order (categories straight flush ... high card, then the ranks
//! RLCard's `best_five` positions compare): each hand becomes one score.

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env};

const DECK: usize = 52;
const PUBLIC: usize = 5;
const ROUNDS: usize = 4;
const N_ACTIONS: usize = 4;
const CALL: usize = 0;
const RAISE: usize = 1;
const FOLD: usize = 2;
const CHECK: usize = 3;
const SMALL_BLIND: i64 = 1;
const BIG_BLIND: i64 = 2;
const ALLOWED_RAISES: i64 = 4;
const FOLDED: i64 = 1;
const OBS_LEN: usize = DECK + 5 * ROUNDS;

#[derive(Clone, Debug, PartialEq)]
pub struct RlcardLimitHoldem {
    deck: [i64; DECK],
    deck_count: i64,
    hands: [[i64; 2]; 2],
    public_cards: [i64; PUBLIC],
    public_count: i64,
    history_raise_nums: [i64; ROUNDS],
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

/// Rank 0 (a two) .. 12 (an ace) of a card id.
fn rank_of(card: i64) -> usize {
    ((card % 13 + 12) % 13) as usize
}

/// The top rank of the highest five ranks in a row in `present` (the ace also plays low), if any.
fn straight_high(present: &[bool; 13]) -> Option<usize> {
    (3..13).rev().find(|&top| (0..5).all(|k| if top < 4 && k == 4 { present[12] } else { present[top - k] }))
}

/// The ranks of `mask`, highest first, into `out` (unfilled entries stay 0); returns how many were written.
fn top_ranks(mask: impl Fn(usize) -> bool, out: &mut [usize]) -> usize {
    let mut n = 0;
    for r in (0..13).rev() {
        if n < out.len() && mask(r) {
            out[n] = r;
            n += 1;
        }
    }
    n
}

/// One number ordering 7-card hands as RLCard's `compare_hands` does: the category, then five ranks in base 13.
pub fn hand_score(cards: &[i64; 7]) -> i64 {
    let mut counts = [0u8; 13];
    let mut suits = [0u8; 4];
    for &c in cards {
        counts[rank_of(c)] += 1;
        suits[(c / 13) as usize] += 1;
    }
    let flush_suit = (0..4).find(|&s| suits[s] >= 5);
    let mut flush_ranks = [false; 13];
    if let Some(s) = flush_suit {
        for &c in cards {
            if (c / 13) as usize == s {
                flush_ranks[rank_of(c)] = true;
            }
        }
    }
    let present: [bool; 13] = std::array::from_fn(|r| counts[r] >= 1);
    let n3 = counts.iter().filter(|&&c| c == 3).count();
    let n2 = counts.iter().filter(|&&c| c == 2).count();
    let mut t = [0usize; 5];
    let category = if let Some(high) = flush_suit.and_then(|_| straight_high(&flush_ranks)) {
        t[0] = high;
        9
    } else if let Some(q) = (0..13).find(|&r| counts[r] == 4) {
        t[0] = q;
        top_ranks(|r| present[r] && r != q, &mut t[1..2]);
        8
    } else if n3 >= 1 && (n3 >= 2 || n2 >= 1) {
        top_ranks(|r| counts[r] == 3, &mut t[0..1]);
        let trips = t[0];
        top_ranks(|r| counts[r] >= 2 && r != trips, &mut t[1..2]);
        7
    } else if flush_suit.is_some() {
        top_ranks(|r| flush_ranks[r], &mut t);
        6
    } else if let Some(high) = straight_high(&present) {
        t[0] = high;
        5
    } else if n3 >= 1 {
        top_ranks(|r| counts[r] == 3, &mut t[0..1]);
        let trips = t[0];
        top_ranks(|r| present[r] && r != trips, &mut t[1..3]);
        4
    } else if n2 >= 2 {
        top_ranks(|r| counts[r] == 2, &mut t[0..2]);
        let (a, b) = (t[0], t[1]);
        top_ranks(|r| present[r] && r != a && r != b, &mut t[2..3]);
        3
    } else if n2 == 1 {
        top_ranks(|r| counts[r] == 2, &mut t[0..1]);
        let pair = t[0];
        top_ranks(|r| present[r] && r != pair, &mut t[1..4]);
        2
    } else {
        top_ranks(|r| present[r], &mut t);
        1
    };
    t.iter().fold(category, |acc, &r| acc * 13 + r as i64)
}

impl RlcardLimitHoldem {
    fn empty() -> Self {
        RlcardLimitHoldem {
            deck: [-1; DECK],
            deck_count: 0,
            hands: [[0; 2]; 2],
            public_cards: [-1; PUBLIC],
            public_count: 0,
            history_raise_nums: [0; ROUNDS],
            game_pointer: 0,
            round_counter: 0,
            in_chips: [0; 2],
            status: [0; 2],
            round_game_pointer: 0,
            round_raise_amount: BIG_BLIND,
            round_have_raised: 0,
            round_not_raise_num: 0,
            round_raised: [0; 2],
            round_player_folded: false,
        }
    }

    /// The round's legal actions for its player to act (LimitHoldemRound.get_legal_actions).
    fn legal(&self) -> [bool; N_ACTIONS] {
        let mine = self.round_raised[self.round_game_pointer as usize];
        let most = self.round_raised[0].max(self.round_raised[1]);
        [mine != most, self.round_have_raised < ALLOWED_RAISES, true, mine >= most]
    }

    /// `dealer.deal_card()`: the deck's last card onto the table.
    fn deal_public(&mut self) {
        self.deck_count -= 1;
        let k = self.deck_count as usize;
        self.public_cards[self.public_count as usize] = self.deck[k];
        self.deck[k] = -1;
        self.public_count += 1;
    }

    /// RLCard's get_payoffs, in big blinds: the sole player left, or the best hand(s), win the smaller stake.
    fn payoffs(&self) -> [f64; 2] {
        let alive = [self.status[0] != FOLDED, self.status[1] != FOLDED];
        let winners = if alive[0] != alive[1] {
            alive
        } else {
            let score = |p: usize| {
                let mut seven = [0i64; 7];
                seven[..2].copy_from_slice(&self.hands[p]);
                seven[2..].copy_from_slice(&self.public_cards);
                seven.iter_mut().for_each(|c| *c = (*c).clamp(0, DECK as i64 - 1));
                hand_score(&seven)
            };
            let (a, b) = (score(0), score(1));
            [a >= b, b >= a]
        };
        if winners[0] && winners[1] {
            return [0.0; 2];
        }
        let stake = self.in_chips[0].min(self.in_chips[1]) as f64;
        let won = |p: usize| if winners[p] { stake } else { -stake };
        [won(0) / BIG_BLIND as f64, won(1) / BIG_BLIND as f64]
    }

    fn is_over(&self) -> bool {
        self.status.iter().filter(|&&s| s != FOLDED).count() == 1 || self.round_counter >= ROUNDS as i64
    }

    fn fields_from(values: &[GameValue]) -> Result<Self, String> {
        let names: Vec<&str> = Self::FIELDS.iter().map(|f| f.name).collect();
        if values.len() != Self::FIELDS.len() {
            return Err(wrong_count(&names, values.len()));
        }
        let mut ints: Vec<&[i64]> = Vec::with_capacity(values.len());
        let mut folded = false;
        for (f, v) in Self::FIELDS.iter().zip(values) {
            match v {
                GameValue::Ints(x) if !f.is_bool && x.len() == f.len() => ints.push(x),
                GameValue::Bools(x) if f.is_bool && x.len() == 1 => folded = x[0],
                _ => return Err(format!("state field '{}' must be {} with shape {:?}", f.name, if f.is_bool { "bool" } else { "int" }, f.shape)),
            }
        }
        let check = |name: &str, xs: &[i64], low: i64, high: i64| -> Result<(), String> {
            match xs.iter().find(|x| !(low..=high).contains(*x)) {
                Some(x) => Err(format!("state field '{name}' must lie in {low}..={high}, got {x}")),
                None => Ok(()),
            }
        };
        check("deck", ints[0], -1, DECK as i64 - 1)?;
        check("deck_count", ints[1], 0, DECK as i64)?;
        check("hands", ints[2], 0, DECK as i64 - 1)?;
        check("public_cards", ints[3], -1, DECK as i64 - 1)?;
        check("public_count", ints[4], 0, PUBLIC as i64)?;
        check("history_raise_nums", ints[5], 0, ALLOWED_RAISES)?;
        check("game_pointer", ints[6], 0, 1)?;
        check("round_counter", ints[7], 0, ROUNDS as i64)?;
        check("status", ints[9], 0, 2)?;
        check("round_game_pointer", ints[10], 0, 1)?;
        let mut s = RlcardLimitHoldem::empty();
        s.deck.copy_from_slice(ints[0]);
        s.deck_count = ints[1][0];
        s.hands[0].copy_from_slice(&ints[2][..2]);
        s.hands[1].copy_from_slice(&ints[2][2..]);
        s.public_cards.copy_from_slice(ints[3]);
        s.public_count = ints[4][0];
        s.history_raise_nums.copy_from_slice(ints[5]);
        s.game_pointer = ints[6][0];
        s.round_counter = ints[7][0];
        s.in_chips.copy_from_slice(ints[8]);
        s.status.copy_from_slice(ints[9]);
        s.round_game_pointer = ints[10][0];
        s.round_raise_amount = ints[11][0];
        s.round_have_raised = ints[12][0];
        s.round_not_raise_num = ints[13][0];
        s.round_raised.copy_from_slice(ints[14]);
        s.round_player_folded = folded;
        Ok(s)
    }
}

impl Game for RlcardLimitHoldem {
    const NAME: &'static str = "rlcard-limit-holdem";
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::ints("deck", &[52]),
        GameField::int("deck_count"),
        GameField::ints("hands", &[2, 2]),
        GameField::ints("public_cards", &[5]),
        GameField::int("public_count"),
        GameField::ints("history_raise_nums", &[4]),
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
        DrawDecl { name: "deck", kind: DrawKind::Integers { low: 0, high: 52 }, len: 52 },
        DrawDecl { name: "small_blind", kind: DrawKind::Integers { low: 0, high: 2 }, len: 1 },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[];
    const NUM_PLAYERS: usize = 2;

    /// Seat `player`'s observation: its own cards and the public ones, then each round's raises one-hot.
    fn write_obs_of(&self, player: usize, out: &mut [f64]) {
        out.fill(0.0);
        let p = player;
        let public = &self.public_cards[..self.public_count.clamp(0, PUBLIC as i64) as usize];
        for &c in self.hands[p].iter().chain(public) {
            if (0..DECK as i64).contains(&c) {
                out[c as usize] = 1.0;
            }
        }
        for (i, &n) in self.history_raise_nums.iter().enumerate() {
            out[DECK + 5 * i + n as usize] = 1.0;
        }
    }

    /// Every player's payoff in big blinds once the game is over, zeros before (derived from the state).
    fn current_player(&self) -> usize {
        self.game_pointer as usize
    }

    fn rewards(&self) -> Vec<f64> {
        if self.is_over() { self.payoffs().to_vec() } else { vec![0.0; 2] }
    }

    /// LimitHoldemGame.init_game: two cards each from the end of the shuffled deck, then the blinds.
    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        let mut perm = [0usize; DECK];
        draws.permutation(0, &mut perm);
        let small = draws.integer(1, 0, 0, 2);
        let mut s = RlcardLimitHoldem::empty();
        for (d, &p) in s.deck.iter_mut().zip(perm.iter()) {
            *d = p as i64;
        }
        s.deck_count = DECK as i64;
        let mut dealt = [0i64; 4];
        for d in dealt.iter_mut() {
            s.deck_count -= 1;
            *d = s.deck[s.deck_count as usize];
            s.deck[s.deck_count as usize] = -1;
        }
        s.hands = [[dealt[0], dealt[2]], [dealt[1], dealt[3]]];
        s.in_chips = if small == 0 { [SMALL_BLIND, BIG_BLIND] } else { [BIG_BLIND, SMALL_BLIND] };
        s.round_raised = s.in_chips;
        s.game_pointer = small;
        s.round_game_pointer = small;
        *self = s;
    }

    /// LimitHoldemGame.step after Env._decode_action; no auto-reset.
    fn step_with(&mut self, action: u32, _draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let actor = self.game_pointer as usize;
        let legal = self.legal();
        let a = action as usize;
        let a = if a < N_ACTIONS && legal[a] { a } else if legal[CHECK] { CHECK } else { FOLD };
        let gp = self.round_game_pointer as usize;
        let most = self.round_raised[0].max(self.round_raised[1]);
        match a {
            CALL => {
                self.in_chips[gp] += most - self.round_raised[gp];
                self.round_raised[gp] = most;
                self.round_not_raise_num += 1;
            }
            RAISE => {
                let to = most + self.round_raise_amount;
                self.in_chips[gp] += to - self.round_raised[gp];
                self.round_raised[gp] = to;
                self.round_have_raised += 1;
                self.round_not_raise_num = 1;
            }
            FOLD => {
                self.status[gp] = FOLDED;
                self.round_player_folded = true;
            }
            _ => self.round_not_raise_num += 1,
        }
        let following = (gp + 1) % 2;
        let pointer = if self.status[following] == FOLDED { gp } else { following } as i64;
        self.round_game_pointer = pointer;
        self.game_pointer = pointer;
        if (0..ROUNDS as i64).contains(&self.round_counter) {
            self.history_raise_nums[self.round_counter as usize] = self.round_have_raised;
        }
        if self.round_not_raise_num >= 2 {
            let n = match self.round_counter {
                0 => 3,
                1 | 2 => 1,
                _ => 0,
            };
            for _ in 0..n {
                self.deal_public();
            }
            if self.round_counter == 1 {
                self.round_raise_amount = 2 * BIG_BLIND;
            }
            self.round_counter += 1;
            self.round_have_raised = 0;
            self.round_not_raise_num = 0;
            self.round_raised = [0; 2];
        }
        let over = self.is_over();
        let rewards = if over { self.payoffs() } else { [0.0; 2] };
        (rewards[actor], over, false)
    }
}

impl Env for RlcardLimitHoldem {
    type Obs = f64;
    const OBS_SHAPE: &'static [usize] = &[OBS_LEN];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(N_ACTIONS as u32)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        RlcardLimitHoldem::empty()
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    /// RLCard's state['obs'] of the player to act: its cards and the public ones, then each round's raises one-hot.
    fn write_obs(&self, out: &mut [f64]) {
        self.write_obs_of(self.game_pointer as usize, out)
    }
    fn write_mask(&self, out: &mut [bool]) {
        out.copy_from_slice(&self.legal());
    }
    fn get_state(&self) -> Vec<GameValue> {
        vec![
            GameValue::Ints(self.deck.to_vec()),
            GameValue::Ints(vec![self.deck_count]),
            GameValue::Ints(self.hands.iter().flatten().copied().collect()),
            GameValue::Ints(self.public_cards.to_vec()),
            GameValue::Ints(vec![self.public_count]),
            GameValue::Ints(self.history_raise_nums.to_vec()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::GivenDraws;

    fn card(text: &str) -> i64 {
        let b = text.as_bytes();
        13 * "SHDC".find(b[0] as char).unwrap() as i64 + "A23456789TJQK".find(b[1] as char).unwrap() as i64
    }

    fn score(text: &str) -> i64 {
        let cards: Vec<i64> = text.split(' ').map(card).collect();
        hand_score(&cards.try_into().unwrap())
    }

    #[test]
    fn hand_order_edges() {
        // the wheel beats a pair, loses to a 6-high straight; a straight flush to the five beats a straight
        assert!(score("SA H2 D3 C4 S5 H9 DJ") > score("SK HK D3 C4 S5 H9 DJ"));
        assert!(score("HA C2 D3 C4 S5 H9 DJ") < score("S6 H2 D3 C4 S5 H9 DJ"));
        assert!(score("SA S2 S3 S4 S5 D9 CJ") > score("HA D2 S3 S4 S5 D9 CJ"));
        // a full house beats a flush; kings full beat queens full
        assert!(score("S2 S7 S3 S9 SK DK CK") < score("HQ CQ S3 S9 SK DK CK"));
        // quads on the board: the kicker decides; the same five cards split
        assert!(score("S9 D2 HK CK DK SK H4") > score("S8 D3 HK CK DK SK H4"));
        assert_eq!(score("S7 H6 SK HQ DJ C9 S2"), score("D7 C6 SK HQ DJ C9 S2"));
        // three pairs: the third pair loses to a higher single as the kicker
        assert!(score("S5 D5 HK CK HQ CQ H4") < score("SA D3 HK CK HQ CQ H4"));
    }

    #[test]
    fn reset_deals_from_the_end_and_posts_the_blinds() {
        let perm: Vec<f64> = (0..52).map(|i| i as f64).collect();
        let values = vec![perm, vec![1.0]];
        let mut g = RlcardLimitHoldem::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardLimitHoldem::RESET_DRAWS, values: &values });
        assert_eq!(g.hands, [[51, 49], [50, 48]]);
        assert_eq!(g.deck_count, 48);
        assert_eq!(g.in_chips, [2, 1]);
        assert_eq!((g.game_pointer, g.round_game_pointer), (1, 1));
        let mut mask = [false; 4];
        g.write_mask(&mut mask);
        assert_eq!(mask, [true, true, true, false]);
    }

    #[test]
    fn raises_stop_at_the_cap_and_a_fold_pays_the_smaller_stake() {
        let mut g = RlcardLimitHoldem::empty();
        g.reset_with(&mut RngDraws(&mut Rng::new(3, 0)));
        let first = g.game_pointer as usize;
        for _ in 0..4 {
            g.step_with(RAISE as u32, &mut RngDraws(&mut Rng::new(0, 0)));
        }
        assert_eq!(g.round_have_raised, 4);
        assert!(!g.legal()[RAISE]);
        // a raise past the cap facing a bet is a fold (check is not legal)
        let (r, over, _) = g.step_with(RAISE as u32, &mut RngDraws(&mut Rng::new(0, 0)));
        assert!(over);
        assert_eq!(g.status[first], FOLDED);
        assert_eq!(r, -(g.in_chips[first].min(g.in_chips[1 - first]) as f64) / 2.0);
    }

    #[test]
    fn state_round_trips() {
        let mut g = RlcardLimitHoldem::empty();
        g.reset_with(&mut RngDraws(&mut Rng::new(7, 0)));
        g.step_with(CALL as u32, &mut RngDraws(&mut Rng::new(0, 0)));
        let state = g.get_state();
        let mut h = RlcardLimitHoldem::empty();
        h.set_state(&state).unwrap();
        assert_eq!(g, h);
        let mut bad = state.clone();
        bad[15] = GameValue::Ints(vec![0]);
        assert!(h.set_state(&bad).unwrap_err().contains("round_player_folded"));
    }
}
