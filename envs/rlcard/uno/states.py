"""UNO states for verification: generated states made running games, boundary states, and the illegal-id rule.

`canonical_state` turns any dict within the metadata's bounds into a game RLCard can play: the 108 cards dealt
once each between the deck, the two hands and the played pile, in an order set by the generated values; counts,
the player to act, the direction and a wild card's chosen colour taken from the generated values where they fit.
A state that is already a consistent running game (a visited one) is kept as it is.
`rare_states` gives L1 the boundaries the issue names; `event_state` makes the step's random events likely.
"""

from __future__ import annotations

import numpy as np

from envs.rlcard.reference import PAD
from envs.rlcard.uno.reference import DECK_SIZE, N_IDS, NUM_TRAITS, hand_fields, hand_list, initial_deck

WILD, WILD_DRAW_4, DRAW_2, SKIP, REVERSE = 13, 14, 12, 10, 11
DRAW = 60
PILES = (("deck", "deck_colors", "deck_count"), ("played", "played_colors", "played_count"))
_FULL = np.sort(initial_deck())


def _trait(printed) -> np.ndarray:
    return np.asarray(printed) % NUM_TRAITS


def legal_action(facade, action: int) -> int:
    """The action played for RLCard action id `action` in the facade's current state: itself when legal, else the
    (id mod c)-th of the c legal ids in index order (RLCard refuses an illegal id; the port plays this one)."""
    mask = facade.legal_action_mask()
    action = int(action)
    if 0 <= action < len(mask) and mask[action]:
        return action
    legal = np.flatnonzero(mask)
    return int(legal[action % len(legal)])


def _cards(state: dict, name: str, colors: str, count: str) -> list[tuple[int, int]]:
    n = int(state[count])
    return list(zip(np.asarray(state[name]).reshape(-1)[:n].tolist(), np.asarray(state[colors]).reshape(-1)[:n].tolist()))


def _consistent(state: dict) -> bool:
    """Whether `state` holds every card once, with counts that fit and colours a card can have, in a running game."""
    try:
        counts = [int(state["deck_count"]), int(state["played_count"]), *np.asarray(state["hand_counts"]).tolist()]
        if min(counts) < 0 or sum(counts) != DECK_SIZE or min(counts[2:]) < 1 or bool(state["is_over"]):
            return False
        cards = _cards(state, "deck", "deck_colors", "deck_count") + _cards(state, "played", "played_colors", "played_count")
        if np.shape(state["hand_cards"]) != (2, N_IDS) or np.shape(state["hand_wilds"]) != (2, 2, 4):
            return False
        for player in range(2):
            hand = _hand(state, player)  # ValueError where hand_cards and hand_wilds disagree
            if len(hand) != int(state["hand_counts"][player]):
                return False
            cards += [(p, p // NUM_TRAITS) for p in hand]  # a wild's colour in hand is not state
        printed = np.asarray([p for p, _ in cards])
        if not np.array_equal(np.sort(printed), _FULL):
            return False
        if any(_trait(p) < WILD and c != p // NUM_TRAITS for p, c in cards) or any(not 0 <= c < 4 for _, c in cards):
            return False
        target, color = int(state["target"]), int(state["target_color"])
        return 0 <= target < 60 and 0 <= color < 4 and (_trait(target) >= WILD or color == target // NUM_TRAITS) \
            and int(state["direction"]) in (-1, 1) and int(state["current_player"]) in (0, 1) and int(state["winner"]) == PAD
    except (KeyError, ValueError, IndexError):
        return False


def _padded(values, length=DECK_SIZE) -> np.ndarray:
    out = np.full(length, PAD, np.int64)
    out[: len(values)] = values
    return out


def _hand(state: dict, player: int) -> list[int]:
    """The printed ids of `player`'s hand in the order `set_state` writes it (`reference.hand_list`)."""
    return hand_list(np.asarray(state["hand_cards"])[player], np.asarray(state["hand_wilds"])[player])


def build(hands: list[list[int]], played: list[int], deck: list[int], target: int, target_color: int,
          current_player: int = 0, direction: int = 1, wild_colors: dict | None = None) -> dict:
    """A running game's state from its piles of printed ids (hands in hand order: it decides each wild trait's
    queue in `hand_wilds`); each pile card's colour its printed one, or for a wild the colour in
    `wild_colors[position]`, position = its index in hands[0] + hands[1] + played + deck (a hand's wild has none)."""
    wild_colors = wild_colors or {}
    order = hands[0] + hands[1] + played + deck
    colors = [wild_colors.get(i, p // NUM_TRAITS) if _trait(p) >= WILD else p // NUM_TRAITS for i, p in enumerate(order)]
    split = np.cumsum([len(hands[0]), len(hands[1]), len(played)])
    _, _, pc, dc = np.split(np.asarray(colors, np.int64), split)
    rows = [hand_fields(h) for h in hands]
    return {
        "deck": _padded(deck), "deck_colors": _padded(dc), "deck_count": np.asarray(len(deck), np.int64),
        "hand_cards": np.stack([c for c, _ in rows]), "hand_wilds": np.stack([w for _, w in rows]),
        "hand_counts": np.asarray([len(hands[0]), len(hands[1])], np.int64),
        "played": _padded(played), "played_colors": _padded(pc), "played_count": np.asarray(len(played), np.int64),
        "target": np.asarray(target, np.int64), "target_color": np.asarray(target_color, np.int64),
        "current_player": np.asarray(current_player, np.int64), "direction": np.asarray(direction, np.int64),
        "is_over": np.asarray(False), "winner": np.asarray(PAD, np.int64), "rewards": np.zeros(2, np.float64),
    }


def canonical_state(state: dict) -> dict:
    """A generated state made a running game (module docstring); a consistent running one is returned unchanged."""
    if _consistent(state):
        return {**state, "rewards": np.zeros(2, np.float64)}
    seed = np.frombuffer(b"".join(np.ascontiguousarray(np.asarray(state[k], np.int64)).tobytes()
                                  for k in ("deck", "hand_cards", "hand_wilds", "played", "target")), np.uint8)
    rng = np.random.default_rng(int.from_bytes(np.frombuffer(np.resize(seed, 8).tobytes(), np.uint8).tobytes(), "little"))
    cards = rng.permutation(initial_deck()).tolist()
    # Counts from the generated ones: both hands at least one card, deck + pile at least 4 (a draw-4 always finds
    # its cards after a reshuffle; fewer makes RLCard itself fail with IndexError).
    h = [int(np.clip(c, 1, 40)) for c in np.asarray(state["hand_counts"]).reshape(-1)[:2]]
    played = int(np.clip(int(state["played_count"]), 0, DECK_SIZE - sum(h) - 4))
    deck_n = DECK_SIZE - sum(h) - played
    hands = [cards[: h[0]], cards[h[0] : h[0] + h[1]]]
    pile = cards[sum(h) : sum(h) + played]
    deck = cards[sum(h) + played :]
    # The target: the top of the pile; after a reshuffle (empty pile) a card that went back into the deck.
    target = pile[-1] if pile else deck[int(rng.integers(deck_n))]
    chosen = int(np.asarray(state["target_color"])) % 4
    target_color = chosen if _trait(target) >= WILD else target // NUM_TRAITS
    order = hands[0] + hands[1] + pile + deck
    wild_colors = {i: int(rng.integers(4)) for i, p in enumerate(order) if _trait(p) >= WILD}
    if pile:
        wild_colors[len(hands[0]) + len(hands[1]) + len(pile) - 1] = target_color
    direction = -1 if int(state["direction"]) < 0 else 1
    return build(hands, pile, deck, target, target_color, int(state["current_player"]) % 2, direction, wild_colors)


def _move_to_pile(state: dict, keep: int) -> dict:
    """`state` with all but the top `keep` deck cards moved under the played pile (the deck nearly empty)."""
    deck = _cards(state, "deck", "deck_colors", "deck_count")
    pile = _cards(state, "played", "played_colors", "played_count")
    cut = max(len(deck) - keep, 0)
    deck, pile = deck[cut:], deck[:cut] + pile
    out = dict(state)
    for (name, colors, count), cards in zip(PILES, (deck, pile)):
        out[name] = _padded([p for p, _ in cards])
        out[colors] = _padded([c for _, c in cards])
        out[count] = np.asarray(len(cards), np.int64)
    return out


def _give(state: dict, player: int, printed: int) -> dict:
    """`state` with the card `printed` moved (from wherever it is) to the end of `player`'s hand."""
    hands = [_hand(state, i) for i in range(2)]
    deck = [p for p, _ in _cards(state, "deck", "deck_colors", "deck_count")]
    pile = [p for p, _ in _cards(state, "played", "played_colors", "played_count")]
    for group in (hands[0], hands[1], deck, pile):
        if printed in group:
            group.remove(printed)
            break
    hands[player].append(printed)
    if not pile and not hands[1 - player]:
        return state
    hands = [h if h else [deck.pop()] for h in hands]
    target = int(state["target"])
    return build(hands, pile, deck, target, int(state["target_color"]), int(state["current_player"]), int(state["direction"]))


def _only_draw_4(state: dict, player: int) -> dict:
    """`state` with every card of `player`'s hand that RLCard would let them play besides a wild_draw_4 (a wild, the
    target's colour, the target's trait) moved to the bottom of the deck, so that the wild_draw_4 is their only legal
    card (RLCard allows it only then)."""
    hands = [_hand(state, i) for i in range(2)]
    target, color = int(state["target"]), int(state["target_color"])

    def playable(p: int) -> bool:
        return _trait(p) >= WILD or p // NUM_TRAITS == color or (_trait(target) < WILD and _trait(p) == _trait(target))

    moved = [p for p in hands[player] if playable(p) and p != WILD_DRAW_4]
    hands[player] = [p for p in hands[player] if p not in moved]
    if WILD_DRAW_4 not in hands[player]:
        return state
    deck = moved + [p for p, _ in _cards(state, "deck", "deck_colors", "deck_count")]
    pile = [p for p, _ in _cards(state, "played", "played_colors", "played_count")]
    order = hands[0] + hands[1] + pile
    wild_colors = {len(order) - 1: color} if pile and _trait(pile[-1]) >= WILD else {}
    return build(hands, pile, deck, target, color, int(state["current_player"]), int(state["direction"]), wild_colors)


def rare_states(harvested: list[dict]) -> list[dict]:
    """The boundaries L1 steps with every action: the last card in hand, an empty deck (a draw reshuffles), a short
    deck under a draw-2 (1 card: a reshuffle; 2 cards: none, the boundary) and a draw-4 (3 cards; and, with the
    draw-4 the only legal card, 3 and 4 cards: the boundary), a skip and a reverse on a 3-card deck, and a wild on top
    as a game's first card."""
    out = []
    for base in harvested[:2]:
        base = canonical_state(base)
        player = int(base["current_player"])
        color = int(base["target_color"])
        # the last card: player to act holds one card of the target's colour
        last = [p for p in range(60) if _trait(p) < WILD and p // NUM_TRAITS == color][0]
        hands = [_hand(base, i) for i in range(2)]
        rest = [p for p, _ in _cards(base, "deck", "deck_colors", "deck_count")] + hands[player]
        pile = [p for p, _ in _cards(base, "played", "played_colors", "played_count")]
        for group in (rest, pile, hands[1 - player]):
            if last in group:
                group.remove(last)
                break
        mine = [last]
        two = [mine, hands[1 - player]] if player == 0 else [hands[1 - player], mine]
        out.append(build(two, pile, rest, int(base["target"]), color, player, int(base["direction"])))
        out.append(_move_to_pile(base, 0))  # empty deck: a draw reshuffles the pile first
        # RLCard reshuffles before a draw-2 (draw-4) when fewer than 2 (4) cards are left: 1 and 3 cards reshuffle,
        # exactly 2 and 4 do not (the boundary); the draw-4 states hold it as the only legal card, so it is played
        for card, keep in ((color * NUM_TRAITS + DRAW_2, 1), (color * NUM_TRAITS + DRAW_2, 2), (WILD_DRAW_4, 3)):
            out.append(_move_to_pile(_give(base, player, card), keep))
        for keep in (3, 4):
            out.append(_move_to_pile(_only_draw_4(_give(base, player, WILD_DRAW_4), player), keep))
        # a skip and a reverse on a short deck (3 cards: the JAX translation's whole step, `_play_reshuffling`)
        for trait in (SKIP, REVERSE):
            out.append(_move_to_pile(_give(base, player, color * NUM_TRAITS + trait), 3))
        # a wild on top as the game's first card: the pile is that card alone, its colour chosen
        wild = [p for p in range(60) if _trait(p) == WILD][player]
        first = _give(base, player, wild)
        hands = [_hand(first, i) for i in range(2)]
        hands[player].remove(wild)
        if not hands[player]:
            continue
        deck = [p for p, _ in _cards(first, "deck", "deck_colors", "deck_count")] + \
            [p for p, _ in _cards(first, "played", "played_colors", "played_count")]
        out.append(build(hands, [wild], deck, wild, (color + 1) % 4, 0, 1, {len(hands[0]) + len(hands[1]): (color + 1) % 4}))
    return [s for s in out if _consistent(s)]


def event_state(state: dict) -> dict:
    """A visited state with the deck down to one card, so a draw or a draw-2 reshuffles the pile (level D)."""
    return _move_to_pile(canonical_state(state), 1)
