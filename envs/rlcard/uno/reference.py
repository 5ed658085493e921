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
`deck_count`; `hands`, `hand_colors` (players, 108) and `hand_counts` (players,), each hand in list order;
`played`, `played_colors` (108,) and `played_count`, the played pile (the round's `played_cards`) in order;
`target`, `target_color`, the card to match; `current_player`; `direction` (1 or -1); `is_over` (bool);
`winner` (-1 while nobody has won).
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


def _cards(printed: Sequence[int], colors: Sequence[int]) -> list[UnoCard]:
    return [make_card(int(p), int(c)) for p, c in zip(printed, colors)]


def get_state(env: Any) -> dict[str, np.ndarray]:
    """The complete game state (module docstring) of a dealt game."""
    game = rlcard_env(env).game
    rnd = game.round
    deck, deck_colors = _pile(game.dealer.deck)
    played, played_colors = _pile(rnd.played_cards)
    hands = [_pile(p.hand) for p in game.players]
    target, target_color = card_ids(rnd.target)
    if rnd.winner is not None and len(rnd.winner) != 1:
        raise ValueError(f"UNO round has winners {rnd.winner}; RLCard's round only ever sets one")
    return {
        "deck": deck,
        "deck_colors": deck_colors,
        "deck_count": np.asarray(len(game.dealer.deck), np.int64),
        "hands": np.stack([h for h, _ in hands]),
        "hand_colors": np.stack([c for _, c in hands]),
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
    hands, hand_colors, counts = field(state, "hands"), field(state, "hand_colors"), field(state, "hand_counts")
    if hands.shape != (n, DECK_SIZE) or hand_colors.shape != (n, DECK_SIZE) or counts.shape != (n,):
        raise ValueError(f"hands, hand_colors and hand_counts have shapes {hands.shape}, {hand_colors.shape}, "
                         f"{counts.shape}, not ({n}, {DECK_SIZE}), ({n}, {DECK_SIZE}), ({n},)")
    game.players = [Player(i, rng) for i in range(n)]
    for player, printed, colors, count in zip(game.players, hands, hand_colors, counts):
        player.hand = _cards(printed[: int(count)], colors[: int(count)])
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
