"""Adapter over RLCard's UNO (`rlcard.make('uno')`, RLCard's defaults: 2 players, 7 cards each, 108 cards).

Actions: RLCard's 61 ids, 0..59 a card by colour and trait (`ACTION_SPACE`, a wild's id naming the colour chosen
for it), 60 draw. Observation: RLCard's (4, 4, 15) int64 planes: the own hand (none, one, two of each colour and
trait; wild cards in every colour's row) and the target.

Card ids: a card is two numbers. Its *printed* id is RLCard's action id of the name the card was made with
(`ACTION_SPACE[card.str]`: colour r, g, b, y = 0..3 times 15 plus the trait 0..9, skip, reverse, draw_2,
wild, wild_draw_4 = 0..14; 0..59); its *colour* is `card.color` now (0..3). They differ only for wild cards:
RLCard's deck has one wild and one wild_draw_4 printed in each colour, and a wild card's colour is set when it
is played (the action's colour) or drawn (`np_random.choice`); `card.str` is fixed when the card is made, and
RLCard's observation encodes the target from `target.str` (the printed colour) while the legal actions follow
`target.color` (the chosen one). A wild card keeps a chosen colour when the played pile returns to the deck.

State fields (`get_state`), all numpy int64 unless said, card arrays padded with -1:
`deck`, `deck_colors` (108,), the dealer's remaining cards in list order (RLCard deals from the end), and
`deck_count`; each hand as id counts, `hand_cards` (players, 60): `hand_cards[i, id]` the number of cards printed
`id` in player i's hand (0..2), with `hand_wilds` (players, 2, 4): `hand_wilds[i, k, j]` the printed colour of the
j-th card of wild trait k (0 wild, 1 wild_draw_4) in player i's hand, in hand order, -1 after the last, and
`hand_counts` (players,); `played`, `played_colors` (108,) and `played_count`, the played pile (the round's
`played_cards`) in order; `target`, `target_color`, the card to match; `current_player`; `direction` (1 or -1);
`is_over` (bool); `winner` (-1 while nobody has won).

Why a hand's order and a hand wild's current colour are not state (rlcard 1.2.0, games/uno/round.py, utils.py):
a non-wild card is played as the first card of the hand with the action's colour and trait, and every such card
has the same printed id, so which one leaves changes nothing; a wild is played as the first card of its trait in
hand order, and its printed colour (`card.str`, fixed) later decides the target's encoding in the observation, so
per trait the printed colours of the wilds in hand order are kept (`hand_wilds`, a queue: a drawn or dealt card
joins the hand's end). A wild's current colour while in hand is read by nothing (the legal actions test a wild by
type, the observation sets a wild trait's four rows whatever its colour, playing it overwrites it): `set_state`
gives it the printed colour. `set_state` writes a hand as its non-wild cards by ascending printed id, then the
wild cards of each trait in `hand_wilds` order (`hand_list`), so `get_state` gives the same fields back.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from rlcard.games.uno import Dealer, Player, Round
from rlcard.games.uno.card import UnoCard
from rlcard.games.uno.utils import ACTION_LIST, ACTION_SPACE, COLOR_MAP, TRAIT_MAP, init_deck

from envs.rlcard.reference import PAD, RLCardReference, field, new_dealer, padded, rlcard_env, unpadded

ENV_ID = "uno"
DECK_SIZE = 108
COLORS = tuple(UnoCard.info["color"])  # r, g, b, y
TRAITS = tuple(UnoCard.info["trait"])
NUM_TRAITS = len(TRAITS)  # 15
WILD_TRAITS = ("wild", "wild_draw_4")
N_IDS = len(COLORS) * NUM_TRAITS  # 60 printed ids
WILD_TRAIT_IDS = tuple(TRAIT_MAP[t] for t in WILD_TRAITS)  # 13, 14: hand_wilds' k = 0, 1


def make_reference(seed: int | None = None) -> RLCardReference:
    """UNO as `rlcard.make` builds it, behind the facade (not yet dealt: call `reset`)."""
    return RLCardReference(ENV_ID, seed)


def card_ids(card: UnoCard) -> tuple[int, int]:
    """(printed id, colour) of an RLCard UNO card (module docstring)."""
    return ACTION_SPACE[card.str], COLOR_MAP[card.color]


def make_card(printed: int, color: int) -> UnoCard:
    """The RLCard card printed as `printed` whose colour is now `color`."""
    if not 0 <= printed < len(COLORS) * NUM_TRAITS or not 0 <= color < len(COLORS):
        raise ValueError(f"UNO card (printed id {printed}, colour {color}) is outside 0..59 and 0..3")
    trait = TRAITS[printed % NUM_TRAITS]
    kind = "wild" if trait in WILD_TRAITS else "number" if TRAIT_MAP[trait] < 10 else "action"
    if kind != "wild" and color != printed // NUM_TRAITS:
        raise ValueError(f"UNO card {ACTION_LIST[printed]} is not wild, so its colour is its printed one, not {COLORS[color]}")
    card = UnoCard(kind, COLORS[printed // NUM_TRAITS], trait)
    card.color = COLORS[color]
    return card


def initial_deck() -> np.ndarray:
    """The printed ids of RLCard's unshuffled deck (`init_deck()`), in its order."""
    return np.asarray([card_ids(c)[0] for c in init_deck()], np.int64)


def action_id(raw_action: str) -> int:
    """RLCard's action id of a raw action ('r-5', 'g-wild_draw_4', 'draw'), as a rule agent returns it."""
    return ACTION_SPACE[raw_action]


def _pile(cards: Sequence[UnoCard]) -> tuple[np.ndarray, np.ndarray]:
    ids = [card_ids(c) for c in cards]
    return padded([i for i, _ in ids], DECK_SIZE), padded([c for _, c in ids], DECK_SIZE)


def hand_fields(printed: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(`hand_cards`, `hand_wilds`) rows of a hand given as printed ids in hand order (module docstring)."""
    printed = [int(p) for p in printed]
    cards = np.bincount(np.asarray(printed, np.int64), minlength=N_IDS).astype(np.int64)
    wilds = np.stack([padded([p // NUM_TRAITS for p in printed if p % NUM_TRAITS == t], len(COLORS))
                      for t in WILD_TRAIT_IDS])
    return cards, wilds


def hand_list(cards: np.ndarray, wilds: np.ndarray) -> list[int]:
    """The printed ids of a hand as `set_state` writes it from its `hand_cards` and `hand_wilds` rows: the non-wild
    cards by ascending id (each as often as counted), then each wild trait's cards in `hand_wilds` order. Raises
    ValueError where the two disagree (a wild counted but not queued, or queued twice, a count outside 0..2)."""
    cards, wilds = np.asarray(cards), np.asarray(wilds)
    if cards.min(initial=0) < 0 or cards.max(initial=0) > 2:
        raise ValueError(f"hand_cards counts {cards.tolist()} are not all in 0..2")
    out = [p for p in range(N_IDS) if p % NUM_TRAITS not in WILD_TRAIT_IDS for _ in range(int(cards[p]))]
    for k, trait in enumerate(WILD_TRAIT_IDS):
        queue = [int(c) for c in wilds[k]]
        n = sum(c >= 0 for c in queue)
        held = sorted(c for c in range(len(COLORS)) if cards[c * NUM_TRAITS + trait] > 0)
        if queue[n:] != [PAD] * (len(queue) - n) or sorted(queue[:n]) != held \
                or any(cards[c * NUM_TRAITS + trait] > 1 for c in held):
            raise ValueError(f"hand_wilds[{k}] = {queue} does not list once each the colours of the {WILD_TRAITS[k]} "
                             f"cards hand_cards holds ({held}), -1 after the last")
        out += [c * NUM_TRAITS + trait for c in queue[:n]]
    return out


def _cards(printed: Sequence[int], colors: Sequence[int]) -> list[UnoCard]:
    return [make_card(int(p), int(c)) for p, c in zip(printed, colors)]


def get_state(env: Any) -> dict[str, np.ndarray]:
    """The complete game state (module docstring) of a dealt game."""
    game = rlcard_env(env).game
    rnd = game.round
    deck, deck_colors = _pile(game.dealer.deck)
    played, played_colors = _pile(rnd.played_cards)
    hands = [hand_fields([card_ids(c)[0] for c in p.hand]) for p in game.players]
    target, target_color = card_ids(rnd.target)
    if rnd.winner is not None and len(rnd.winner) != 1:
        raise ValueError(f"UNO round has winners {rnd.winner}; RLCard's round only ever sets one")
    return {
        "deck": deck,
        "deck_colors": deck_colors,
        "deck_count": np.asarray(len(game.dealer.deck), np.int64),
        "hand_cards": np.stack([h for h, _ in hands]),
        "hand_wilds": np.stack([w for _, w in hands]),
        "hand_counts": np.asarray([len(p.hand) for p in game.players], np.int64),
        "played": played,
        "played_colors": played_colors,
        "played_count": np.asarray(len(rnd.played_cards), np.int64),
        "target": np.asarray(target, np.int64),
        "target_color": np.asarray(target_color, np.int64),
        "current_player": np.asarray(rnd.current_player, np.int64),
        "direction": np.asarray(rnd.direction, np.int64),
        "is_over": np.asarray(bool(rnd.is_over), bool),
        "winner": np.asarray(PAD if rnd.winner is None else rnd.winner[0], np.int64),
    }


def set_state(env: Any, state: dict) -> None:
    """Write a state as `get_state` returns it; the game's objects are made anew around RLCard's own generator.

    The target is the same card object as the top of the played pile when they match (as RLCard plays it)."""
    game = rlcard_env(env).game
    rng = game.np_random
    n = game.num_players
    deck = _cards(unpadded(state, "deck", "deck_count"), unpadded(state, "deck_colors", "deck_count"))
    game.dealer = new_dealer(Dealer, rng, deck)
    cards, wilds, counts = field(state, "hand_cards"), field(state, "hand_wilds"), field(state, "hand_counts")
    if cards.shape != (n, N_IDS) or wilds.shape != (n, 2, len(COLORS)) or counts.shape != (n,):
        raise ValueError(f"hand_cards, hand_wilds and hand_counts have shapes {cards.shape}, {wilds.shape}, "
                         f"{counts.shape}, not ({n}, {N_IDS}), ({n}, 2, {len(COLORS)}), ({n},)")
    game.players = [Player(i, rng) for i in range(n)]
    for i, player in enumerate(game.players):
        printed = hand_list(cards[i], wilds[i])
        if len(printed) != int(counts[i]):
            raise ValueError(f"hand_counts[{i}] = {int(counts[i])}, but hand_cards[{i}] holds {len(printed)} cards")
        player.hand = _cards(printed, [p // NUM_TRAITS for p in printed])
    rnd = Round(game.dealer, n, rng)
    rnd.played_cards = _cards(unpadded(state, "played", "played_count"), unpadded(state, "played_colors", "played_count"))
    target = (int(field(state, "target")), int(field(state, "target_color")))
    top = rnd.played_cards[-1] if rnd.played_cards else None
    rnd.target = top if top is not None and card_ids(top) == target else make_card(*target)
    rnd.current_player = int(field(state, "current_player"))
    rnd.direction = int(field(state, "direction"))
    rnd.is_over = bool(field(state, "is_over"))
    winner = int(field(state, "winner"))
    rnd.winner = None if winner < 0 else [winner]
    game.round = rnd
    game.payoffs = [0 for _ in range(n)]
    game.history = []
