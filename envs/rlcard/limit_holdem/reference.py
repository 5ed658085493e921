"""Adapter over RLCard's Limit Texas Hold'em (`rlcard.make('limit-holdem')`, RLCard's defaults: 2 players, blinds
1 and 2, raise amount 2 in the first two rounds and 4 in the last two, at most 4 raises a round).

Actions: RLCard's ids 0 call, 1 raise, 2 fold, 3 check. Observation: RLCard's (72,) float64: the 52 cards seen
(own and public), then the raises of each of the 4 betting rounds, one-hot over 0..4.

Card ids: a card's position in RLCard's unshuffled deck (`rlcard.utils.utils.init_standard_deck`: suits S, H,
D, C, each with ranks A, 2, ..., 9, T, J, Q, K), so `id = 13 * suit + rank`, the same number as RLCard's own
`card2index` (the observation's one-hot index).

State fields (`get_state`), all numpy int64 unless said:
`deck` (52,), the dealer's remaining cards in list order (RLCard deals from the end), padded with -1, and
`deck_count`; `hands` (players, 2); `public_cards` (5,), padded, and `public_count`; `history_raise_nums` (4,),
the raises of each betting round so far (part of the observation); and the betting fields shared with Leduc
(`envs.rlcard.reference.get_round_state`): `game_pointer`, `round_counter`, `in_chips`, `status`,
`round_game_pointer`, `round_raise_amount`, `round_have_raised`, `round_not_raise_num`, `round_raised`,
`round_player_folded` (bool).

`status`: 0 alive (`PlayerStatus.ALIVE`), 1 folded, 2 all-in (`PlayerStatus.ALLIN`, which limit hold'em never
sets). A fold writes the string 'folded', not `PlayerStatus.FOLDED` (RLCard's round is shared with Leduc, whose
statuses are strings), and the round skips folded players by comparing with that string, so 1 is written back as
'folded'.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rlcard.games.base import Card
from rlcard.games.limitholdem import Dealer, Judger, Player, PlayerStatus, Round
from rlcard.utils.utils import init_standard_deck

from envs.rlcard.reference import (
    RLCardReference, field, get_round_state, new_dealer, padded, rlcard_env, set_round_state, unpadded,
)

ENV_ID = "limit-holdem"
SUITS = ("S", "H", "D", "C")
RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "T", "J", "Q", "K")
DECK_SIZE = 52
HAND_SIZE = 2
MAX_PUBLIC = 5
BETTING_ROUNDS = 4
STATUSES = (PlayerStatus.ALIVE, "folded", PlayerStatus.ALLIN)  # what RLCard's players hold in `status`, by index
ACTIONS = ("call", "raise", "fold", "check")  # RLCard's action ids (LimitholdemEnv.actions)


def make_reference(seed: int | None = None) -> RLCardReference:
    """Limit Hold'em as `rlcard.make` builds it, behind the facade (not yet dealt: call `reset`)."""
    return RLCardReference(ENV_ID, seed)


def card_id(card: Card) -> int:
    """The id of an RLCard card (module docstring)."""
    return 13 * SUITS.index(card.suit) + RANKS.index(card.rank)


def make_card(card: int) -> Card:
    """The RLCard card with id `card`."""
    if not 0 <= card < DECK_SIZE:
        raise ValueError(f"Limit Hold'em card id {card} is outside 0..{DECK_SIZE - 1}")
    return Card(SUITS[card // 13], RANKS[card % 13])


def initial_deck() -> np.ndarray:
    """The ids of RLCard's unshuffled deck, in its order (0..51 by the id scheme)."""
    return np.asarray([card_id(c) for c in init_standard_deck()], np.int64)


def action_id(raw_action: str) -> int:
    """RLCard's action id of a raw action ('call', 'raise', 'fold', 'check'), as a rule agent returns it."""
    return ACTIONS.index(raw_action)


def get_state(env: Any) -> dict[str, np.ndarray]:
    """The complete game state (module docstring) of a dealt game."""
    game = rlcard_env(env).game
    deck = [card_id(c) for c in game.dealer.deck]
    public = [card_id(c) for c in game.public_cards]
    return {
        "deck": padded(deck, DECK_SIZE),
        "deck_count": np.asarray(len(deck), np.int64),
        "hands": np.asarray([[card_id(c) for c in p.hand] for p in game.players], np.int64).reshape(-1, HAND_SIZE),
        "public_cards": padded(public, MAX_PUBLIC),
        "public_count": np.asarray(len(public), np.int64),
        "history_raise_nums": np.asarray(game.history_raise_nums, np.int64),
        **get_round_state(game, STATUSES),
    }


def set_state(env: Any, state: dict) -> None:
    """Write a state as `get_state` returns it; the game's objects are made anew around RLCard's own generator."""
    game = rlcard_env(env).game
    rng = game.np_random
    hands = field(state, "hands")
    if hands.shape != (game.num_players, HAND_SIZE):
        raise ValueError(f"hands has shape {hands.shape}, not ({game.num_players}, {HAND_SIZE})")
    game.dealer = new_dealer(Dealer, rng, [make_card(c) for c in unpadded(state, "deck", "deck_count")], pot=0)
    game.players = [Player(i, rng) for i in range(game.num_players)]
    for player, cards in zip(game.players, hands):
        player.hand = [make_card(int(c)) for c in cards]
    game.judger = Judger(rng)
    game.public_cards = [make_card(c) for c in unpadded(state, "public_cards", "public_count")]
    game.history_raise_nums = [int(v) for v in field(state, "history_raise_nums")]
    set_round_state(game, state, STATUSES, Round)
    game.history = []
