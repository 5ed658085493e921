"""Adapter over RLCard's Leduc Hold'em (`rlcard.make('leduc-holdem')`, RLCard's defaults: 2 players, blinds 1 and 2,
raise amount 2 in the first round and 4 in the second, at most 2 raises a round).

Actions: RLCard's ids 0 call, 1 raise, 2 fold, 3 check. Observation: RLCard's (36,) float64 one-hots (own card's
rank, public card's rank, own chips, the opponent's chips).

Card ids: a card's position in RLCard's unshuffled Leduc deck `[SJ, HJ, SQ, HQ, SK, HK]`, so
`id = 2 * rank + suit` with rank J, Q, K = 0, 1, 2 and suit S, H = 0, 1; `id // 2` is RLCard's own
`card2index` (the rank the observation one-hot encodes).

State fields (`get_state`), all numpy int64 unless said:
`deck` (6,), the dealer's remaining cards in list order (RLCard deals from the end), padded with -1,
and `deck_count`; `hands` (players,), each player's card; `public_card`, -1 before it is dealt; and the
betting fields shared with Limit Hold'em (`envs.rlcard.reference.get_round_state`): `game_pointer`,
`round_counter`, `in_chips`, `status` (0 alive, 1 folded: RLCard's strings 'alive' and 'folded'),
`round_game_pointer`, `round_raise_amount`, `round_have_raised`, `round_not_raise_num`, `round_raised`,
`round_player_folded` (bool).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rlcard.games.base import Card
from rlcard.games.leducholdem import Dealer, Judger, Player, Round

from envs.rlcard.reference import (
    RLCardReference, field, get_round_state, new_dealer, padded, rlcard_env, set_round_state, unpadded,
)

ENV_ID = "leduc-holdem"
RANKS = ("J", "Q", "K")
SUITS = ("S", "H")
DECK_SIZE = 6
STATUSES = ("alive", "folded")  # what RLCard's Leduc players hold in `status`, by index
ACTIONS = ("call", "raise", "fold", "check")  # RLCard's action ids (LeducholdemEnv.actions)


def make_reference(seed: int | None = None) -> RLCardReference:
    """Leduc Hold'em as `rlcard.make` builds it, behind the facade (not yet dealt: call `reset`)."""
    return RLCardReference(ENV_ID, seed)


def card_id(card: Card) -> int:
    """The id of an RLCard Leduc card (module docstring)."""
    return 2 * RANKS.index(card.rank) + SUITS.index(card.suit)


def make_card(card: int) -> Card:
    """The RLCard card with id `card`."""
    if not 0 <= card < DECK_SIZE:
        raise ValueError(f"Leduc card id {card} is outside 0..{DECK_SIZE - 1}")
    return Card(SUITS[card % 2], RANKS[card // 2])


def initial_deck() -> np.ndarray:
    """The ids of RLCard's unshuffled Leduc deck, in its order (0..5 by the id scheme): the deck a dealer builds
    before it shuffles, read with a generator whose shuffle keeps the order."""
    return np.asarray([card_id(c) for c in Dealer(_KeepOrder()).deck], np.int64)


class _KeepOrder:
    def shuffle(self, x):
        pass


def action_id(raw_action: str) -> int:
    """RLCard's action id of a raw action ('call', 'raise', 'fold', 'check'), as a rule agent returns it."""
    return ACTIONS.index(raw_action)


def get_state(env: Any) -> dict[str, np.ndarray]:
    """The complete game state (module docstring) of a dealt game."""
    game = rlcard_env(env).game
    deck = [card_id(c) for c in game.dealer.deck]
    return {
        "deck": padded(deck, DECK_SIZE),
        "deck_count": np.asarray(len(deck), np.int64),
        "hands": np.asarray([card_id(p.hand) for p in game.players], np.int64),
        "public_card": np.asarray(-1 if game.public_card is None else card_id(game.public_card), np.int64),
        **get_round_state(game, STATUSES),
    }


def set_state(env: Any, state: dict) -> None:
    """Write a state as `get_state` returns it; the game's objects are made anew around RLCard's own generator."""
    game = rlcard_env(env).game
    rng = game.np_random
    game.dealer = new_dealer(Dealer, rng, [make_card(c) for c in unpadded(state, "deck", "deck_count")], pot=0)
    game.players = [Player(i, rng) for i in range(game.num_players)]
    for player, card in zip(game.players, field(state, "hands")):
        player.hand = make_card(int(card))
    game.judger = Judger(rng)
    public = int(field(state, "public_card"))
    game.public_card = None if public < 0 else make_card(public)
    set_round_state(game, state, STATUSES, Round)
    game.history = []
