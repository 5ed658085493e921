//! UNO: RLCard's `uno` (rlcard 1.2.0, its defaults: two players, seven cards
//! each, the 108-card deck, 61 actions), turn-based: the observation is the
//! seat to act's (RLCard's (4, 4, 15) planes), `write_obs_of` any seat's, and
//! `rewards` both seats' payoffs once the game is over (+1 the winner, -1 the
//! other).
//!
//! Cards are RLCard's printed ids (colour * 15 + trait: 0-9 numbers, 10 skip,
//! 11 reverse, 12 draw_2, 13 wild, 14 wild_draw_4) with a colour of their own,
//! which differs from the printed one only for a wild card (the colour chosen
//! when it was played or drawn). Every pile (the deck, dealt from its end; each
//! hand; the played pile, top last) is kept in RLCard's list order.
//!
//! A hand's state fields are not its list: `hand_cards` counts each printed id
//! and `hand_wilds` lists, per trait (wild, wild_draw_4), the printed colours
//! of the hand's wilds in hand order (-1 after the last). That is all RLCard's
//! future depends on: a card is played as the first of its printed id, a wild
//! as the first of its trait (its printed colour becomes the target's id), a
//! dealt card joins the end, and a hand wild's current colour is read by
//! nothing. Writing the fields builds each hand as the non-wild cards by
//! ascending printed id, then the wilds of each trait in queue order (colour
//! printed).
//!
//! Randomness, in RLCard's order: at reset the deck's shuffle (`deck`, a
//! permutation of the unshuffled deck), a reshuffle of the 94 undealt cards
//! each time the flipped first card is a wild_draw_4 (`flip_reshuffles`, one
//! permutation per row, at most four: the fourth's top card is kept, as the
//! port states), and the colour of a wild flipped first (`flip_color`). In a
//! step: up to two shuffles of the deck with the played pile added to its end
//! (`reshuffles`, ranked uniforms: the stable order of the first n uniforms of
//! a row) and the colour of a drawn wild (`draw_color`).
//!
//! An action id that is not legal plays the (id mod c)-th of the c legal ids
//! in index order (RLCard refuses such an id; the port states this rule).

use super::{DrawDecl, DrawKind, DrawSource, Game, GameField, GameValue, RngDraws};
use crate::rng::Rng;
use crate::vector::{wrong_count, ActionSpace, Env, OUT_OF_SPACE_ID};

const SLOTS: usize = 108;
const TRAITS: i8 = 15;
const IDS: usize = 60;
const DRAW: usize = 60;
const ACTIONS: usize = 61;
const HAND: usize = 7;
const FLIPS: usize = 4;
const QUEUE: usize = 4; // a hand's wilds of one trait: one per colour
const UNDEALT: usize = SLOTS - 2 * HAND;
const SKIP: i8 = 10;
const REVERSE: i8 = 11;
const DRAW_2: i8 = 12;
const WILD: i8 = 13;
const WILD_DRAW_4: i8 = 14;
const PLANE: usize = 4 * TRAITS as usize;
const OBS: usize = 4 * PLANE;
// draw indices
const R_DECK: usize = 0;
const R_FLIPS: usize = 1;
const R_FLIP_COLOR: usize = 2;
const S_RESHUFFLES: usize = 0;
const S_DRAW_COLOR: usize = 1;

/// RLCard's unshuffled deck (`init_deck`): per colour one 0, two of 1-9, two
/// skips, reverses and draw_2s, one wild and one wild_draw_4.
const fn initial_deck() -> [i8; SLOTS] {
    let mut deck = [0i8; SLOTS];
    let mut k = 0;
    let mut colour = 0;
    while colour < 4 {
        let base = colour * TRAITS;
        deck[k] = base;
        k += 1;
        let mut trait_ = 1;
        while trait_ <= DRAW_2 {
            deck[k] = base + trait_;
            deck[k + 1] = base + trait_;
            k += 2;
            trait_ += 1;
        }
        deck[k] = base + WILD;
        deck[k + 1] = base + WILD_DRAW_4;
        k += 2;
        colour += 1;
    }
    deck
}

const INITIAL: [i8; SLOTS] = initial_deck();

/// A pile of cards in list order: printed ids and colours, -1 past `n`.
#[derive(Clone, Debug, PartialEq)]
struct Pile {
    ids: [i8; SLOTS],
    colors: [i8; SLOTS],
    n: usize,
}

impl Pile {
    const EMPTY: Pile = Pile { ids: [-1; SLOTS], colors: [-1; SLOTS], n: 0 };

    fn push(&mut self, id: i8, color: i8) {
        self.ids[self.n] = id;
        self.colors[self.n] = color;
        self.n += 1;
    }

    fn pop(&mut self) -> (i8, i8) {
        self.n -= 1;
        let card = (self.ids[self.n], self.colors[self.n]);
        self.ids[self.n] = -1;
        self.colors[self.n] = -1;
        card
    }

    fn remove(&mut self, i: usize) -> (i8, i8) {
        let card = (self.ids[i], self.colors[i]);
        self.ids.copy_within(i + 1..self.n, i);
        self.colors.copy_within(i + 1..self.n, i);
        self.n -= 1;
        self.ids[self.n] = -1;
        self.colors[self.n] = -1;
        card
    }

    fn from_values(ids: &[i64], colors: &[i64], n: usize) -> Pile {
        let mut p = Pile::EMPTY;
        for i in 0..n {
            p.push(ids[i] as i8, colors[i] as i8);
        }
        p
    }
}

fn trait_of(id: i8) -> i8 {
    id % TRAITS
}

/// One hand's `hand_wilds` rows from its list: per trait (wild, wild_draw_4) the printed colours in hand order,
/// -1 after the last.
fn wild_queues(hand: &Pile) -> [[i8; QUEUE]; 2] {
    let mut queues = [[-1i8; QUEUE]; 2];
    let mut lens = [0usize; 2];
    for &id in &hand.ids[..hand.n] {
        let t = trait_of(id);
        if t >= WILD {
            let k = (t - WILD) as usize;
            // more than four only where a written deck or pile held a wild twice (no game does): the first four
            if let Some(slot) = queues[k].get_mut(lens[k]) {
                *slot = id / TRAITS;
                lens[k] += 1;
            }
        }
    }
    queues
}

/// Player `p`'s `hand_cards` row (`cards`, already within 0..=2), `hand_wilds` rows (`wilds`, trait-major, within
/// -1..=3) and `hand_counts` entry (`n`) describe one hand: `n` is the cards' sum, and each trait's queue lists,
/// once each and then only -1, exactly the colours whose wild of that trait the hand holds (once).
fn hand_consistent(p: usize, cards: &[i64], wilds: &[i64], n: usize) -> Result<(), String> {
    let sum: i64 = cards.iter().sum();
    if sum != n as i64 {
        return Err(format!("state field 'hand_counts' says player {p} holds {n} cards, 'hand_cards' counts {sum}"));
    }
    for k in 0..2 {
        let queue = &wilds[k * QUEUE..(k + 1) * QUEUE];
        let len = queue.iter().position(|&c| c < 0).unwrap_or(QUEUE);
        if queue[len..].iter().any(|&c| c >= 0) {
            return Err(format!("state field 'hand_wilds' of player {p}, trait {k}: a colour after -1: {queue:?}"));
        }
        for c in 0..4i64 {
            let held = cards[(c * TRAITS as i64 + (WILD as i64) + k as i64) as usize];
            let listed = queue[..len].iter().filter(|&&x| x == c).count() as i64;
            if held > 1 || listed != held {
                return Err(format!(
                    "state fields 'hand_cards' / 'hand_wilds' of player {p} disagree: trait {k} colour {c} held \
                     {held} times, listed {listed} times"
                ));
            }
        }
    }
    Ok(())
}

/// The hand a consistent (`hand_consistent`) pair of rows describes: the non-wild cards by ascending printed id
/// (each as many times as counted), then the wilds of each trait in queue order; every colour the printed one.
fn hand_from(cards: &[i64], wilds: &[i64]) -> Pile {
    let mut hand = Pile::EMPTY;
    for (id, &count) in cards.iter().enumerate() {
        let id = id as i8;
        if trait_of(id) < WILD {
            for _ in 0..count {
                hand.push(id, id / TRAITS);
            }
        }
    }
    for k in 0..2 {
        for &c in wilds[k * QUEUE..(k + 1) * QUEUE].iter().take_while(|&&c| c >= 0) {
            let c = c as i8;
            hand.push(c * TRAITS + WILD + k as i8, c);
        }
    }
    hand
}

#[derive(Clone, Debug, PartialEq)]
pub struct RlcardUno {
    deck: Pile,
    hands: [Pile; 2],
    played: Pile,
    target: i8,
    target_color: i8,
    current_player: usize,
    direction: i64,
    is_over: bool,
    winner: i64,
}

impl RlcardUno {
    fn empty() -> Self {
        RlcardUno {
            deck: Pile::EMPTY,
            hands: [Pile::EMPTY, Pile::EMPTY],
            played: Pile::EMPTY,
            target: 0,
            target_color: 0,
            current_player: 0,
            direction: 1,
            is_over: false,
            winner: -1,
        }
    }

    fn next(&self, player: usize, direction: i64) -> usize {
        (player as i64 + direction).rem_euclid(2) as usize
    }

    /// RLCard's `get_legal_actions` for `player`, as a mask over the 61 ids.
    fn legal(&self, player: usize, out: &mut [bool]) {
        out.fill(false);
        let hand = &self.hands[player];
        let target_trait = trait_of(self.target);
        let (mut wild, mut wild4, mut any) = (false, false, false);
        for &id in &hand.ids[..hand.n] {
            let t = trait_of(id);
            if t == WILD {
                wild = true;
            } else if t == WILD_DRAW_4 {
                wild4 = true;
            } else if id / TRAITS == self.target_color || (target_trait < WILD && t == target_trait) {
                out[id as usize] = true;
                any = true;
            }
        }
        if wild {
            for colour in 0..4 {
                out[(colour * TRAITS + WILD) as usize] = true;
            }
            any = true;
        }
        if !any && wild4 {
            for colour in 0..4 {
                out[(colour * TRAITS + WILD_DRAW_4) as usize] = true;
            }
            any = true;
        }
        if !any {
            out[DRAW] = true;
        }
    }

    /// The played pile added to the deck's end and the whole deck shuffled by row `row` of the ranked uniforms
    /// (RLCard's `replace_deck`).
    fn reshuffle(&mut self, draws: &mut impl DrawSource, row: usize) {
        let mut both = self.deck.clone();
        for i in 0..self.played.n {
            both.push(self.played.ids[i], self.played.colors[i]);
        }
        let n = both.n;
        let mut keys = [(0.0f64, 0usize); SLOTS];
        for (i, k) in keys[..n].iter_mut().enumerate() {
            *k = (draws.uniform(S_RESHUFFLES, row * SLOTS + i), i);
        }
        keys[..n].sort_by(|a, b| a.0.total_cmp(&b.0)); // stable: ties keep their positions' order
        self.deck = Pile::EMPTY;
        for &(_, i) in &keys[..n] {
            self.deck.push(both.ids[i], both.colors[i]);
        }
        self.played = Pile::EMPTY;
    }

    /// `k` cards popped from the deck's end onto `player`'s hand (fewer where the deck runs out, a state RLCard
    /// itself cannot step).
    fn deal(&mut self, player: usize, k: usize) {
        for _ in 0..k.min(self.deck.n) {
            let (id, color) = self.deck.pop();
            self.hands[player].push(id, color);
        }
    }

    /// RLCard's `_preform_non_number_action` for a skip, reverse, draw_2 or wild card just put on the pile.
    fn action_card(&mut self, id: i8, color: i8, draws: &mut impl DrawSource, reshuffled: &mut usize) {
        let mut current = self.current_player;
        let d = self.direction;
        let t = trait_of(id);
        if t == REVERSE {
            self.direction = -d;
        } else if t == SKIP {
            current = self.next(current, d);
        } else if t == DRAW_2 || t == WILD_DRAW_4 {
            let k = if t == DRAW_2 { 2 } else { 4 };
            if self.deck.n < k {
                self.reshuffle(draws, *reshuffled);
                *reshuffled += 1;
            }
            let victim = self.next(current, d);
            self.deal(victim, k);
            current = victim;
        }
        self.current_player = self.next(current, self.direction);
        self.target = id;
        self.target_color = color;
    }

    fn observe(&self, player: usize, out: &mut [f64]) {
        debug_assert_eq!(out.len(), OBS);
        let mut counts = [0u8; IDS];
        let hand = &self.hands[player];
        for &id in &hand.ids[..hand.n] {
            counts[id as usize] += 1;
        }
        out[..PLANE].fill(1.0);
        out[PLANE..].fill(0.0);
        for t in [WILD, WILD_DRAW_4] {
            if (0..4).any(|c| counts[(c * TRAITS + t) as usize] > 0) {
                for c in 0..4 {
                    let i = (c * TRAITS + t) as usize;
                    out[i] = 0.0;
                    out[PLANE + i] = 1.0;
                }
            }
        }
        for (i, &c) in counts.iter().enumerate() {
            if c > 0 && trait_of(i as i8) < WILD {
                out[i] = 0.0;
                out[c.min(2) as usize * PLANE + i] = 1.0;
            }
        }
        out[3 * PLANE + self.target as usize] = 1.0;
    }

    fn payoffs(&self) -> Vec<f64> {
        if self.is_over {
            (0..2).map(|p| if p as i64 == self.winner { 1.0 } else { -1.0 }).collect()
        } else {
            vec![0.0; 2]
        }
    }

    fn fields_from(values: &[GameValue]) -> Result<Self, String> {
        let names: Vec<&str> = Self::FIELDS.iter().map(|f| f.name).collect();
        if values.len() != Self::FIELDS.len() {
            return Err(wrong_count(&names, values.len()));
        }
        let mut ints: Vec<&[i64]> = Vec::with_capacity(values.len());
        let mut over = false;
        for (f, v) in Self::FIELDS.iter().zip(values) {
            match (v, f.is_bool) {
                (GameValue::Bools(x), true) if x.len() == 1 => over = x[0],
                (_, true) => return Err(format!("state field '{}' must be one bool", f.name)),
                (GameValue::Ints(x), false) if x.len() == f.len() => ints.push(x),
                (GameValue::Ints(x), false) => {
                    return Err(format!("state field '{}' must have {} elements, got {}", f.name, f.len(), x.len()))
                }
                (GameValue::Bools(_), false) => return Err(format!("state field '{}' must be int", f.name)),
            }
        }
        // ints: deck, deck_colors, deck_count, hand_cards, hand_wilds, hand_counts, played, played_colors,
        // played_count, target, target_color, current_player, direction, winner
        let check = |name: &str, xs: &[i64], low: i64, high: i64| -> Result<(), String> {
            match xs.iter().find(|x| !(low..=high).contains(*x)) {
                Some(x) => Err(format!("state field '{name}' must lie in {low}..={high}, got {x}")),
                None => Ok(()),
            }
        };
        check("deck_count", ints[2], 0, SLOTS as i64)?;
        check("hand_counts", ints[5], 0, SLOTS as i64)?;
        check("played_count", ints[8], 0, SLOTS as i64)?;
        let total = ints[2][0] + ints[5][0] + ints[5][1] + ints[8][0];
        if total > SLOTS as i64 {
            return Err(format!("state fields 'deck_count', 'hand_counts', 'played_count' hold {total} cards, more than {SLOTS}"));
        }
        let (dn, pn) = (ints[2][0] as usize, ints[8][0] as usize);
        let hn = [ints[5][0] as usize, ints[5][1] as usize];
        // what indexing needs: the cards within the counts are printed ids 0..59 with colours 0..3
        check("deck", &ints[0][..dn], 0, IDS as i64 - 1)?;
        check("deck_colors", &ints[1][..dn], 0, 3)?;
        check("played", &ints[6][..pn], 0, IDS as i64 - 1)?;
        check("played_colors", &ints[7][..pn], 0, 3)?;
        check("hand_cards", ints[3], 0, 2)?;
        check("hand_wilds", ints[4], -1, 3)?;
        for p in 0..2 {
            hand_consistent(p, &ints[3][p * IDS..(p + 1) * IDS], &ints[4][p * 2 * QUEUE..(p + 1) * 2 * QUEUE], hn[p])?;
        }
        check("target", ints[9], 0, IDS as i64 - 1)?;
        check("target_color", ints[10], 0, 3)?;
        check("current_player", ints[11], 0, 1)?;
        check("direction", ints[12], -1, 1)?;
        if ints[12][0] == 0 {
            return Err("state field 'direction' must be 1 or -1, got 0".to_string());
        }
        check("winner", ints[13], -1, 1)?;
        let mut s = RlcardUno::empty();
        s.deck = Pile::from_values(ints[0], ints[1], dn);
        for p in 0..2 {
            s.hands[p] = hand_from(&ints[3][p * IDS..(p + 1) * IDS], &ints[4][p * 2 * QUEUE..(p + 1) * 2 * QUEUE]);
        }
        s.played = Pile::from_values(ints[6], ints[7], pn);
        s.target = ints[9][0] as i8;
        s.target_color = ints[10][0] as i8;
        s.current_player = ints[11][0] as usize;
        s.direction = ints[12][0];
        s.is_over = over;
        s.winner = ints[13][0];
        Ok(s)
    }
}

impl Game for RlcardUno {
    const NAME: &'static str = "rlcard-uno";
    const MAX_EPISODE_STEPS: i64 = 1000;
    const FIELDS: &'static [GameField] = &[
        GameField::ints("deck", &[SLOTS]),
        GameField::ints("deck_colors", &[SLOTS]),
        GameField::int("deck_count"),
        GameField::ints("hand_cards", &[2, IDS]),
        GameField::ints("hand_wilds", &[2, 2, QUEUE]),
        GameField::ints("hand_counts", &[2]),
        GameField::ints("played", &[SLOTS]),
        GameField::ints("played_colors", &[SLOTS]),
        GameField::int("played_count"),
        GameField::int("target"),
        GameField::int("target_color"),
        GameField::int("current_player"),
        GameField::int("direction"),
        GameField::boolean("is_over"),
        GameField::int("winner"),
    ];
    const RESET_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "deck", kind: DrawKind::Integers { low: 0, high: SLOTS as i64 }, len: SLOTS },
        DrawDecl { name: "flip_reshuffles", kind: DrawKind::Integers { low: 0, high: UNDEALT as i64 }, len: FLIPS * UNDEALT },
        DrawDecl { name: "flip_color", kind: DrawKind::Integers { low: 0, high: 4 }, len: 1 },
    ];
    const STEP_DRAWS: &'static [DrawDecl] = &[
        DrawDecl { name: "reshuffles", kind: DrawKind::Uniform, len: 2 * SLOTS },
        DrawDecl { name: "draw_color", kind: DrawKind::Integers { low: 0, high: 4 }, len: 1 },
    ];
    const NUM_PLAYERS: usize = 2;

    fn write_obs_of(&self, player: usize, out: &mut [f64]) {
        self.observe(player, out);
    }

    fn current_player(&self) -> usize {
        self.current_player
    }

    fn rewards(&self) -> Vec<f64> {
        self.payoffs()
    }

    fn reset_with(&mut self, draws: &mut impl DrawSource) {
        let mut order = [0usize; SLOTS];
        draws.permutation(R_DECK, &mut order);
        let mut s = RlcardUno::empty();
        for &i in &order {
            s.deck.push(INITIAL[i], INITIAL[i] / TRAITS);
        }
        for p in 0..2 {
            s.deal(p, HAND);
        }
        // the first card: a wild_draw_4 goes back on top and the undealt cards are shuffled, at most FLIPS times
        let mut perm = [0usize; UNDEALT];
        for row in 0..FLIPS {
            if trait_of(s.deck.ids[UNDEALT - 1]) != WILD_DRAW_4 {
                break;
            }
            draws.permutation_row(R_FLIPS, row, &mut perm);
            let before = s.deck.clone();
            for (i, &j) in perm.iter().enumerate() {
                s.deck.ids[i] = before.ids[j];
                s.deck.colors[i] = before.colors[j];
            }
        }
        let (top, mut color) = s.deck.pop();
        if trait_of(top) == WILD {
            color = draws.integer(R_FLIP_COLOR, 0, 0, 4) as i8;
        }
        s.target = top;
        s.target_color = color;
        s.played.push(top, color);
        // the first card acts: skip passes the turn, reverse turns the direction, draw_2 makes player 0 draw two
        match trait_of(top) {
            SKIP => s.current_player = 1,
            REVERSE => {
                s.direction = -1;
                s.current_player = 1;
            }
            DRAW_2 => s.deal(0, 2),
            _ => {}
        }
        *self = s;
    }

    fn step_with(&mut self, action: u32, draws: &mut impl DrawSource) -> (f64, bool, bool) {
        let p = self.current_player;
        let mut mask = [false; ACTIONS];
        self.legal(p, &mut mask);
        // the id as the Python side gave it (an i32's bits: Env::OUT_OF_SPACE_ACTION)
        let id = action as i32 as i64;
        let a = if (0..ACTIONS as i64).contains(&id) && mask[id as usize] {
            id as usize
        } else {
            let c = mask.iter().filter(|&&m| m).count() as i64;
            let k = id.rem_euclid(c) as usize;
            (0..ACTIONS).filter(|&i| mask[i]).nth(k).unwrap_or(DRAW)
        };
        let mut reshuffled = 0usize;
        let d = self.direction;
        if a == DRAW {
            if self.deck.n == 0 {
                self.reshuffle(draws, 0);
                reshuffled = 1;
            }
            if self.deck.n == 0 {
                // nothing left to draw (RLCard raises IndexError): the turn passes
                self.current_player = self.next(p, d);
                return (0.0, false, false);
            }
            let (id, color) = self.deck.pop();
            let t = trait_of(id);
            if t >= WILD {
                let chosen = draws.integer(S_DRAW_COLOR, 0, 0, 4) as i8;
                self.target = id;
                self.target_color = chosen;
                self.played.push(id, chosen);
                self.current_player = self.next(p, d);
            } else if color == self.target_color {
                self.played.push(id, color);
                if t <= 9 {
                    self.target = id;
                    self.target_color = color;
                    self.current_player = self.next(p, d);
                } else {
                    self.action_card(id, color, draws, &mut reshuffled);
                }
            } else {
                self.hands[p].push(id, color);
                self.current_player = self.next(p, d);
            }
            return (0.0, false, false);
        }
        let id = a as i8;
        let t = trait_of(id);
        let hand = &self.hands[p];
        let index = if t >= WILD {
            (0..hand.n).find(|&i| trait_of(hand.ids[i]) == t)
        } else {
            (0..hand.n).find(|&i| hand.ids[i] == id)
        };
        let index = index.expect("a legal card is in the hand");
        let (card, mut color) = self.hands[p].remove(index);
        if t >= WILD {
            color = id / TRAITS;
        }
        if self.hands[p].n == 0 {
            self.is_over = true;
            self.winner = p as i64;
        }
        self.played.push(card, color);
        if t <= 9 {
            self.current_player = self.next(p, d);
            self.target = card;
            self.target_color = color;
        } else {
            self.action_card(card, color, draws, &mut reshuffled);
        }
        if self.is_over {
            (if self.winner == p as i64 { 1.0 } else { -1.0 }, true, false)
        } else {
            (0.0, false, false)
        }
    }
}

impl Env for RlcardUno {
    type Obs = f64;
    const OBS_SHAPE: &'static [usize] = &[4, 4, TRAITS as usize];
    type Action = u32;
    type Config = ();
    type State = Vec<GameValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;
    /// Any id reaches the game (as an `i32`): one that is not legal plays the (id mod c)-th legal id.
    const OUT_OF_SPACE_ACTION: Option<u32> = Some(OUT_OF_SPACE_ID);

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(ACTIONS as u32)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        RlcardUno::empty()
    }
    fn reset(&mut self, rng: &mut Rng) {
        self.reset_with(&mut RngDraws(rng));
    }
    fn step(&mut self, action: u32, rng: &mut Rng) -> (f64, bool, bool) {
        self.step_with(action, &mut RngDraws(rng))
    }
    /// The seat to act's observation.
    fn write_obs(&self, out: &mut [f64]) {
        self.observe(self.current_player, out);
    }
    fn write_mask(&self, out: &mut [bool]) {
        self.legal(self.current_player, out);
    }
    fn get_state(&self) -> Vec<GameValue> {
        let ints = |xs: &[i8]| GameValue::Ints(xs.iter().map(|&x| x as i64).collect());
        let mut cards = vec![0i64; 2 * IDS];
        for (p, hand) in self.hands.iter().enumerate() {
            for &id in &hand.ids[..hand.n] {
                cards[p * IDS + id as usize] += 1;
            }
        }
        let wilds = self.hands.iter().flat_map(|h| wild_queues(h).into_iter().flatten().map(|c| c as i64)).collect();
        vec![
            ints(&self.deck.ids),
            ints(&self.deck.colors),
            GameValue::Ints(vec![self.deck.n as i64]),
            GameValue::Ints(cards),
            GameValue::Ints(wilds),
            GameValue::Ints(vec![self.hands[0].n as i64, self.hands[1].n as i64]),
            ints(&self.played.ids),
            ints(&self.played.colors),
            GameValue::Ints(vec![self.played.n as i64]),
            GameValue::Ints(vec![self.target as i64]),
            GameValue::Ints(vec![self.target_color as i64]),
            GameValue::Ints(vec![self.current_player as i64]),
            GameValue::Ints(vec![self.direction]),
            GameValue::Bools(vec![self.is_over]),
            GameValue::Ints(vec![self.winner]),
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

    /// Reset draws: the deck's permutation, four flip rows (identity), a flip colour.
    fn reset_values(order: &[usize]) -> Vec<Vec<f64>> {
        let flips: Vec<f64> = (0..FLIPS).flat_map(|_| (0..UNDEALT).map(|i| i as f64)).collect();
        vec![order.iter().map(|&i| i as f64).collect(), flips, vec![2.0]]
    }

    fn step_values(u: f64, colour: f64) -> Vec<Vec<f64>> {
        vec![(0..2 * SLOTS).map(|i| u - i as f64 * 1e-6).collect(), vec![colour]]
    }

    fn stepped(g: &mut RlcardUno, action: u32) -> (f64, bool, bool) {
        let values = step_values(0.9, 1.0);
        g.step_with(action, &mut GivenDraws { decls: RlcardUno::STEP_DRAWS, values: &values })
    }

    /// The unshuffled deck dealt: player 0 takes the last seven (yellow cards), player 1 the seven before, and
    /// the first card is the next from the end.
    #[test]
    fn deal_first_card_and_its_draw_2() {
        let order: Vec<usize> = (0..SLOTS).collect();
        let values = reset_values(&order);
        let mut g = RlcardUno::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardUno::RESET_DRAWS, values: &values });
        // the deck's end: ... y-draw_2 y-draw_2 y-wild y-wild_draw_4; player 0 gets y-wd4, y-wild, y-dr2, y-dr2,
        // y-rev, y-rev, y-skip; player 1 y-skip, y-9, y-9, y-8, y-8, y-7, y-7; the top is y-6 (a number)
        assert_eq!(&g.hands[0].ids[..7], &[59, 58, 57, 57, 56, 56, 55]);
        assert_eq!(&g.hands[1].ids[..7], &[55, 54, 54, 53, 53, 52, 52]);
        assert_eq!((g.target, g.target_color, g.current_player, g.deck.n, g.played.n), (51, 3, 0, 93, 1));
        let mut mask = [false; ACTIONS];
        g.write_mask(&mut mask);
        let legal: Vec<usize> = (0..ACTIONS).filter(|&i| mask[i]).collect();
        assert_eq!(legal, vec![13, 28, 43, 55, 56, 57, 58]); // the wild in every colour and the yellows
        // y-draw_2: player 1 draws two from the deck's end and player 0 acts again
        assert_eq!(stepped(&mut g, 57), (0.0, false, false));
        assert_eq!((g.hands[1].n, g.current_player, g.target, g.deck.n), (9, 0, 57, 91));
        // an illegal id (0: r-0) plays the (0 mod 7)-th legal id, the red wild: the yellow wild, now red
        let mut h = g.clone();
        stepped(&mut g, 0);
        assert_eq!((g.target, g.target_color, g.current_player, g.hands[0].n), (58, 0, 1, 5));
        // id -1 (Python's -1 mod 7 = 6): the 6th legal id, y-wild; id 61 (61 mod 7 = 5): y-draw_2
        let mut k = h.clone();
        stepped(&mut h, -1i32 as u32);
        assert_eq!((h.target, h.target_color), (58, 3));
        stepped(&mut k, 61);
        assert_eq!(k.target, 57);
        let mut obs = [0.0; OBS];
        g.write_obs_of(0, &mut obs);
        // player 0 holds y-wd4, y-dr2, y-rev x2, y-skip: wild_draw_4 "one" in every row, y-rev "two", the
        // target printed y-wild (chosen red)
        assert_eq!(obs[PLANE + WILD_DRAW_4 as usize], 1.0);
        assert_eq!((obs[PLANE + 56], obs[2 * PLANE + 56]), (0.0, 1.0));
        assert_eq!(obs[3 * PLANE + 58], 1.0);
        // plane 0: 60 - 4 - 3 ones; plane 1: 4 + 2; plane 2: 1; plane 3: 1
        assert_eq!(obs.iter().sum::<f64>(), 61.0);
    }

    #[test]
    fn a_flipped_wild_draw_4_reshuffles_and_an_empty_deck_reshuffles_on_a_draw() {
        // put a wild_draw_4 (id 14) at deck position 93 (the first flip) and reverse the undealt cards once
        let mut order: Vec<usize> = (0..SLOTS).collect();
        order.swap(26, 93);
        let mut values = reset_values(&order);
        for i in 0..UNDEALT {
            values[1][i] = (UNDEALT - 1 - i) as f64;
        }
        let mut g = RlcardUno::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardUno::RESET_DRAWS, values: &values });
        // after the reversal the top is the card that was first: r-0
        assert_eq!((g.target, g.played.ids[0], g.deck.ids[92]), (0, 0, 1));
        // an empty deck: the pile goes back (the ranked uniforms decreasing: the order reversed), then the draw
        let mut s = g.clone();
        while s.deck.n > 0 {
            let (id, c) = s.deck.pop();
            s.played.push(id, c);
        }
        let pile = s.played.clone();
        s.hands[0] = Pile::EMPTY;
        s.hands[0].push(46, 3); // y-1 only: not legal on r-0 whose trait is 0: draw
        let mut mask = [false; ACTIONS];
        s.write_mask(&mut mask);
        assert!(mask[DRAW] && mask.iter().filter(|&&m| m).count() == 1);
        stepped(&mut s, DRAW as u32);
        // reversed pile: the first card of the old pile is now the deck's end, drawn: r-0, red on red: played
        assert_eq!(s.played.n, 1);
        assert_eq!(s.played.ids[0], pile.ids[0]);
        assert_eq!(s.deck.n, pile.n - 1);
    }

    #[test]
    fn last_card_wins_and_state_round_trip() {
        let order: Vec<usize> = (0..SLOTS).collect();
        let values = reset_values(&order);
        let mut g = RlcardUno::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardUno::RESET_DRAWS, values: &values });
        g.hands[0] = Pile::EMPTY;
        g.hands[0].push(50, 3); // y-5 on y-6
        let state = g.get_state();
        let mut h = RlcardUno::empty();
        h.set_state(&state).unwrap();
        assert_eq!(h.get_state(), state);
        // player 1's hand, dealt y-skip y-9 y-9 y-8 y-8 y-7 y-7, is written back by ascending printed id
        assert_eq!(&h.hands[1].ids[..7], &[52, 52, 53, 53, 54, 54, 55]);
        assert_eq!((&h.deck, &h.played, &h.hands[0]), (&g.deck, &g.played, &g.hands[0]));
        assert_eq!(stepped(&mut h, 50), (1.0, true, false));
        assert_eq!(h.rewards(), vec![1.0, -1.0]);
        let mut bad = state.clone();
        bad[12] = GameValue::Ints(vec![0]);
        assert!(h.set_state(&bad).unwrap_err().contains("direction"));
        bad = state.clone();
        bad[2] = GameValue::Ints(vec![108]);
        assert!(h.set_state(&bad).unwrap_err().contains("more than 108"));
        assert!(h.set_state(&state[..3].to_vec()).is_err());
    }

    fn ints(v: &GameValue) -> Vec<i64> {
        match v {
            GameValue::Ints(x) => x.clone(),
            GameValue::Bools(_) => panic!("an int field"),
        }
    }

    /// A hand's wilds as queues per trait in hand order, whatever their current colour; played as the first of
    /// their trait, the printed colour becoming the target's id.
    #[test]
    fn hand_fields_count_ids_and_queue_wilds_in_hand_order() {
        let order: Vec<usize> = (0..SLOTS).collect();
        let values = reset_values(&order);
        let mut g = RlcardUno::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardUno::RESET_DRAWS, values: &values });
        // player 0: g-wild (now red), y-1, r-wd4, b-wild, y-1, y-wild, b-wd4 (current colours other than printed)
        g.hands[0] = Pile::EMPTY;
        for (id, colour) in [(43, 0), (46, 3), (14, 2), (28, 1), (46, 3), (58, 0), (44, 3)] {
            g.hands[0].push(id, colour);
        }
        let state = g.get_state();
        let cards = ints(&state[3]);
        assert_eq!((cards[46], cards[43], cards[28], cards[58], cards[14], cards[44]), (2, 1, 1, 1, 1, 1));
        assert_eq!(cards[..IDS].iter().sum::<i64>(), 7);
        assert_eq!(&cards[IDS + 52..IDS + 56], &[2, 2, 2, 1]); // player 1: y-7 x2, y-8 x2, y-9 x2, y-skip
        let wilds = ints(&state[4]);
        assert_eq!(&wilds[..8], &[2, 1, 3, -1, 0, 2, -1, -1]); // wild: g b y; wild_draw_4: r b
        assert_eq!(&wilds[8..], &[-1; 8]);
        let mut h = RlcardUno::empty();
        h.set_state(&state).unwrap();
        assert_eq!(h.get_state(), state);
        assert_eq!(&h.hands[0].ids[..7], &[46, 46, 43, 28, 58, 14, 44]);
        assert_eq!(&h.hands[0].colors[..7], &[3, 3, 2, 1, 3, 0, 2]);
        // playing the red wild (id 13) plays the hand's first wild, printed green: target g-wild, colour red
        for s in [&mut g, &mut h] {
            s.current_player = 0;
            stepped(s, 13);
            assert_eq!((s.target, s.target_color), (43, 0));
            assert_eq!(&ints(&s.get_state()[4])[..8], &[1, 3, -1, -1, 0, 2, -1, -1]);
        }
        assert_eq!(g.get_state(), h.get_state());
    }

    /// Hand order beyond the fields is not state: after every step of random games, the state written into a
    /// fresh game (hands rebuilt by ascending id, then the wild queues) reads back the same, and the two games
    /// step identically with the same random numbers (masks, both seats' observations, rewards, next fields).
    #[test]
    fn written_hands_step_as_the_dealt_ones() {
        let mut rng = Rng::new(7, 0);
        let (mut steps, mut queued) = (0, 0);
        for _ in 0..200 {
            let mut g = RlcardUno::empty();
            g.reset(&mut rng);
            loop {
                let state = g.get_state();
                let mut h = RlcardUno::empty();
                h.set_state(&state).unwrap();
                assert_eq!(h.get_state(), state);
                queued += ints(&state[4]).chunks(QUEUE).filter(|q| q[1] >= 0).count();
                let (mut mg, mut mh) = ([false; ACTIONS], [false; ACTIONS]);
                g.write_mask(&mut mg);
                h.write_mask(&mut mh);
                assert_eq!(mg, mh);
                let legal: Vec<u32> = (0..ACTIONS as u32).filter(|&i| mg[i as usize]).collect();
                let action = legal[rng.integer(0, legal.len() as i64) as usize];
                let mut same = rng.clone();
                let out = g.step(action, &mut rng);
                assert_eq!(h.step(action, &mut same), out);
                assert_eq!(h.get_state(), g.get_state());
                for p in 0..2 {
                    let (mut og, mut oh) = ([0.0; OBS], [0.0; OBS]);
                    g.write_obs_of(p, &mut og);
                    h.write_obs_of(p, &mut oh);
                    assert_eq!(og, oh);
                }
                steps += 1;
                if out.1 {
                    break;
                }
            }
        }
        assert!(steps > 5000 && queued > 20, "{steps} steps, {queued} queues of two or more wilds");
    }

    #[test]
    fn inconsistent_hand_fields_are_refused() {
        let order: Vec<usize> = (0..SLOTS).collect();
        let values = reset_values(&order);
        let mut g = RlcardUno::empty();
        g.reset_with(&mut GivenDraws { decls: RlcardUno::RESET_DRAWS, values: &values });
        let state = g.get_state(); // player 0: y-wd4 y-wild y-dr2 x2 y-rev x2 y-skip
        let refused = |cards: Vec<i64>, wilds: Vec<i64>, counts: Vec<i64>| {
            let mut bad = state.clone();
            bad[3] = GameValue::Ints(cards);
            bad[4] = GameValue::Ints(wilds);
            bad[5] = GameValue::Ints(counts);
            RlcardUno::empty().set_state(&bad).unwrap_err()
        };
        let (cards, wilds, counts) = (ints(&state[3]), ints(&state[4]), ints(&state[5]));
        assert_eq!(&wilds[..8], &[3, -1, -1, -1, 3, -1, -1, -1]);
        // a count of 3, a colour 4
        let mut c = cards.clone();
        c[0] = 3;
        assert!(refused(c, wilds.clone(), counts.clone()).contains("'hand_cards' must lie in 0..=2"));
        let mut w = wilds.clone();
        w[1] = 4;
        assert!(refused(cards.clone(), w, counts.clone()).contains("'hand_wilds' must lie in -1..=3"));
        // hand_counts not the sum
        let mut n = counts.clone();
        n[0] -= 1;
        assert!(refused(cards.clone(), wilds.clone(), n).contains("holds 6 cards, 'hand_cards' counts 7"));
        // a held wild missing from its queue, a listed one not held, one listed twice, one after -1, one held twice
        let mut w = wilds.clone();
        w[0] = -1;
        assert!(refused(cards.clone(), w, counts.clone()).contains("trait 0 colour 3 held 1 times, listed 0"));
        let mut w = wilds.clone();
        w[1] = 0;
        assert!(refused(cards.clone(), w, counts.clone()).contains("trait 0 colour 0 held 0 times, listed 1"));
        let mut w = wilds.clone();
        w[1] = 3;
        assert!(refused(cards.clone(), w, counts.clone()).contains("colour 3 held 1 times, listed 2"));
        let mut w = wilds.clone();
        w[2] = 0;
        assert!(refused(cards.clone(), w, counts.clone()).contains("a colour after -1"));
        let mut c = cards.clone();
        c[58] = 2;
        c[57] = 1; // y-draw_2 once: the sum stays 7
        assert!(refused(c, wilds.clone(), counts.clone()).contains("trait 0 colour 3 held 2 times"));
    }
}
