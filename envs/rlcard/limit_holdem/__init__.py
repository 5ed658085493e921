"""Limit Texas Hold'em (`rlcard.make('limit-holdem')`, RLCard 1.2.0's defaults): the port `rlcard-limit-holdem`.

The reference is RLCard's game behind the Gymnasium face (`envs.rlcard.gym_face.TurnBasedGymEnv`); the state is
`reference.get_state`'s fields in order plus `rewards`. Randomness: a reset shuffles the 52-card deck (one
`integers` draw holding the permutation) and then draws the small blind (`randint(0, 2)`). RLCard's third random
call, the judger's `choice` of who gets the odd chip of a split pot (games/limitholdem/judger.py:72), is unreachable
with RLCard's 2 players: a pot split between both is each player's own chips, and a pot won by one has no remainder,
so no draw is declared for it (`extra["unreachable_random_calls"]`).
"""

from __future__ import annotations

import numpy as np

from envs.rlcard import gym_face
from envs.rlcard.limit_holdem import reference
from envs.rlcard.rule_agent import rule_agent
from envs.spec import DrawSpec, Port, StateField, Tolerance

NAME = "rlcard-limit-holdem"
PUBLIC_BY_ROUND = (0, 3, 4, 5)  # public cards on the table while betting round 0..3 runs


def _make_reference():
    return gym_face.TurnBasedGymEnv(reference.make_reference())


def _make_jax():
    from envs.rlcard.limit_holdem.jax_env import LimitHoldem

    return LimitHoldem()


get_state, set_state = gym_face.port_state(reference)


def deal(hands, public, rest=(), round_counter: int | None = None) -> dict:
    """The card fields of a game with these cards dealt: `hands` (2 x 2 ids), `public` (its first `public_count`
    ids), the deck the other cards in the order `rest` names them first (then by id), dealt from its end."""
    cards = [int(c) for c in np.ravel(hands)] + [int(c) for c in public]
    order = [int(c) for c in rest if int(c) not in cards]
    deck = order + [c for c in range(reference.DECK_SIZE) if c not in cards and c not in order]
    n = len(public)
    return {"deck": reference.padded(deck, reference.DECK_SIZE), "deck_count": np.asarray(len(deck), np.int64),
            "hands": np.asarray(hands, np.int64).reshape(2, 2), "public_cards": reference.padded(list(public), 5),
            "public_count": np.asarray(n, np.int64),
            "round_counter": np.asarray(PUBLIC_BY_ROUND.index(n) if round_counter is None else round_counter, np.int64)}


def canonical_state(state: dict) -> dict:
    """A generated state made a running game RLCard can play on: betting round 0..3 with its public cards, all 52
    cards once each (hands, then public cards, then the deck, keeping the generated ids' order where they are new),
    nobody folded, the round's pointer the game's, the round's counters in their reachable ranges, no rewards yet.

    RLCard itself fails on the rest (a seventh card missing at the showdown, a deck too short, two folded players
    loop forever), and a step after the end is refused by the face."""
    rc = int(np.clip(state["round_counter"], 0, 3))
    seen: list[int] = []
    for c in (*np.ravel(state["hands"]), *np.ravel(state["public_cards"]), *np.ravel(state["deck"])):
        if 0 <= int(c) < reference.DECK_SIZE and int(c) not in seen:
            seen.append(int(c))
    seen += [c for c in range(reference.DECK_SIZE) if c not in seen]
    n = PUBLIC_BY_ROUND[rc]
    out = {**state, **deal(np.reshape(seen[:4], (2, 2)), seen[4:4 + n], seen[4 + n:], rc)}
    pointer = np.asarray(int(state["game_pointer"]) % 2, np.int64)
    out.update(game_pointer=pointer, round_game_pointer=pointer, status=np.zeros(2, np.int64),
               round_have_raised=np.clip(state["round_have_raised"], 0, 4).astype(np.int64),
               round_not_raise_num=np.clip(state["round_not_raise_num"], 0, 1).astype(np.int64),
               history_raise_nums=np.clip(state["history_raise_nums"], 0, 4).astype(np.int64),
               rewards=np.zeros(2, np.float64))
    return out


# Card ids: 13 * suit + rank, suits S H D C, ranks A 2 .. K (reference module docstring).
def _c(text: str) -> int:
    return 13 * "SHDC".index(text[0]) + "A23456789TJQK".index(text[1])


def _cards(text: str) -> list[int]:
    return [_c(t) for t in text.split()]


# Showdown boundaries of RLCard's compare_hands (limitholdem/utils.py): player 0's hand, player 1's, the board.
SHOWDOWNS = (
    ("SA H2", "SK HK", "D3 C4 S5 H9 DJ"),      # wheel (ace-low straight) against a pair of kings
    ("SA H2", "S6 H7", "D3 C4 S5 H9 DJ"),      # wheel against a 7-high straight
    ("HA C2", "S6 H2", "D3 C4 S5 H9 DJ"),      # wheel against a 6-high straight sharing its 2-3-4-5
    ("SA SK", "HA HK", "DT CJ SQ H2 D3"),      # both play the same broadway: a split pot
    ("S2 H3", "D2 C3", "SA HK DQ CJ ST"),      # the board's straight plays for both: a split pot
    ("S2 S7", "HQ CQ", "S3 S9 SK DK CK"),      # a flush against a full house (kings full)
    ("S2 S7", "HQ DQ", "S3 S9 SK DK CQ"),      # a flush against a full house on a paired board
    ("SA S2", "HA D2", "S3 S4 S5 D9 CJ"),      # a straight flush to the five (steel wheel) against a straight
    ("SK DK", "SQ DQ", "HK CK HQ CQ D2"),      # quads against quads: kings beat queens
    ("S9 D2", "S8 D3", "HK CK DK SK H4"),      # quads on the board: the kicker decides (9 over 8)
    ("SA D2", "ST D3", "HK CK HJ CJ H5"),      # two pairs on the board: the kicker decides
    ("S5 D5", "SA D3", "HK CK HQ CQ H4"),      # three pairs: the third pair loses to an ace kicker
    ("S9 H9", "SJ HJ", "D9 CJ S4 HA DA"),      # two full houses: jacks full beat nines full
    ("S7 H6", "D7 C6", "SK HQ DJ C9 S2"),      # equal high cards and kickers: a split pot
    ("S3 S8", "H4 H9", "SK SQ ST DK DQ"),      # a flush against two pairs with a kicker
    # Added after the mutation sample (docs/runs/rlcard-limit-holdem/README.md): a mutant adding a stray rank to the
    # flush's mask (a wheel straight flush from A-2-4-5), and two mutants misranking a straight, survived without them.
    ("SA S2", "CJ H4", "S4 S5 SJ DJ HK"),      # a flush holding A-2-4-5 (no 3) against a full house
    ("H2 S9", "HA DA", "D3 C4 S5 CA DJ"),      # the wheel against trips of aces
    # Added after the Rust mutation sample (envs/rlcard/README.md): quads of the lowest rank went unseen by a search
    # starting at rank 1, a flush read from the off-suit cards, a flush ranked as a straight, trips ranked
    # as two pairs, and scores written in base 12 (ace-king high then outscores a pair of deuces), without them.
    ("S2 H2", "SK HK", "D2 C2 DK S9 H4"),      # quad deuces (the lowest rank) against kings full
    ("S9 S8", "HK CK", "S7 S6 S5 DK SK"),      # a straight flush against quads
    ("SA H3", "SQ H4", "S2 S5 S9 ST DJ"),      # two flushes on a four-flush board: the ace decides
    ("S2 S7", "HK DQ", "S3 S9 ST SJ CA"),      # a jack-high flush against the ace-high straight
    ("S3 H3", "SK HQ", "D3 DK CQ S8 H7"),      # trips of threes against kings and queens
    ("SA SK", "H2 D4", "D2 C7 S8 H9 DJ"),      # ace-king high against a pair of deuces
    # Added after the JAX speed round's mutation sample (envs/rlcard/README.md): a mutant ignoring a high card's
    # fifth rank survived without it.
    ("H7 D5", "C7 D4", "SK HQ D9 C2 S3"),      # high cards equal in four ranks (K Q 9 7): the fifth decides (5 over 4)
    # Added when L1's coverage came to count RLCard's code: no level had compared two hands of three of a kind
    # (compare_hands' `hand.category == 4` tie-break, limitholdem/utils.py).
    ("S7 H7", "S9 H9", "D7 D9 C2 S4 HK"),      # trips against trips: nines beat sevens
    ("SK D9", "SQ DJ", "H7 C7 D7 C2 S4"),      # trips on the board: the first kicker decides (K over Q)
    ("SK D9", "CK DJ", "H7 C7 D7 C2 S4"),      # trips on the board, the same first kicker: the second decides (J over 9)
)


def showdown_states(harvested: list[dict]) -> list[dict]:
    """Running games one check or call from RLCard's showdown (the last betting round, one player has checked, bets
    level) with the cards of `SHOWDOWNS`, each at equal and at unequal chips; and states at the raise cap's edge
    (three raises made, so the next is the last; four, so a raise is decoded as check or fold)."""
    out = []
    base = harvested[0] if harvested else None
    if base is None:
        return out
    for hand0, hand1, board in SHOWDOWNS:
        for chips in ((20, 20), (13, 21)):
            state = {**base, **deal([_cards(hand0), _cards(hand1)], _cards(board))}
            state.update(in_chips=np.asarray(chips, np.int64), round_raised=np.asarray([4, 4], np.int64),
                         round_not_raise_num=np.asarray(1, np.int64), round_have_raised=np.asarray(1, np.int64),
                         round_raise_amount=np.asarray(4, np.int64), status=np.zeros(2, np.int64),
                         history_raise_nums=np.asarray([1, 2, 0, 1], np.int64), rewards=np.zeros(2, np.float64))
            out.append(state)
    for rc in range(4):
        for raises in (3, 4):
            for raised in ((2, 4), (4, 4)):
                state = {**base, **deal([_cards("SA HK"), _cards("DQ CJ")], _cards("D3 C4 S5 H9 DJ")[:PUBLIC_BY_ROUND[rc]],
                                        round_counter=rc)}
                state.update(round_have_raised=np.asarray(raises, np.int64), round_raised=np.asarray(raised, np.int64),
                             round_not_raise_num=np.asarray(1, np.int64), status=np.zeros(2, np.int64),
                             round_raise_amount=np.asarray(2 if rc < 2 else 4, np.int64), rewards=np.zeros(2, np.float64))
                out.append(state)
    return out


def _int(name, shape, low, high, where, edges=()):
    return StateField(name, "int64", f"{where}", "exact", low=low, high=high, shape=shape, edges=edges)


def _seated():
    """What PPO trains on: seat 0 against a uniformly random legal opponent (`envs.seated.SeatedJaxEnv`)."""
    from envs.seated import SeatedJaxEnv

    return SeatedJaxEnv(_make_jax(), seat=0)


PORT = Port(
    name=NAME,
    gym_id="RLCard-LimitHoldem-v1",
    description="RLCard's Limit Texas Hold'em for 2 players (blinds 1/2, raises of 2 then 4, at most 4 a round), "
                "with a 4-action legal-action mask; observations are RLCard's (72,) state['obs'] of the player to act.",
    reference_entry_point="rlcard.envs.limitholdem:LimitholdemEnv",
    make_reference=_make_reference,
    get_state=get_state,
    set_state=set_state,
    make_jax=_make_jax,
    jax_module="envs.rlcard.limit_holdem.jax_env",
    state_fields=(
        _int("deck", (52,), -1, 51, "game.dealer.deck (ids, dealt from the end; -1 padding)"),
        _int("deck_count", (), 43, 48, "len(game.dealer.deck)"),
        _int("hands", (2, 2), 0, 51, "game.players[i].hand"),
        _int("public_cards", (5,), -1, 51, "game.public_cards (-1 padding)"),
        _int("public_count", (), 0, 5, "len(game.public_cards)"),
        _int("history_raise_nums", (4,), 0, 4, "game.history_raise_nums", edges=(4,)),
        _int("game_pointer", (), 0, 1, "game.game_pointer: the player to act"),
        _int("round_counter", (), 0, 3, "game.round_counter", edges=(1, 3)),
        _int("in_chips", (2,), 0, 50, "game.players[i].in_chips"),
        _int("status", (2,), 0, 1, "game.players[i].status: 0 alive, 1 'folded'"),
        _int("round_game_pointer", (), 0, 1, "game.round.game_pointer"),
        _int("round_raise_amount", (), 2, 4, "game.round.raise_amount", edges=(2, 4)),
        _int("round_have_raised", (), 0, 4, "game.round.have_raised", edges=(3, 4)),
        _int("round_not_raise_num", (), 0, 1, "game.round.not_raise_num", edges=(1,)),
        _int("round_raised", (2,), 0, 16, "game.round.raised"),
        StateField("round_player_folded", "bool", "game.round.player_folded (None is False)", "exact"),
        StateField("rewards", "float64", "game.get_payoffs() once over, zeros before (gym_face.port_state)", "exact",
                   low=-25.0, high=25.0, shape=(2,)),
    ),
    draws=(
        DrawSpec("deck", "integers", (52,), "reset", "np_random.shuffle of the 52-card deck (dealer.py:12): the "
                 "permutation; the deck becomes the unshuffled ids in that order"),
        DrawSpec("small_blind", "integers", (), "reset", "np_random.randint(0, 2) (game.py:75): who posts the small "
                 "blind; the other posts the big blind, and the small blind acts first"),
    ),
    max_episode_steps=1000,
    time_limit="no step limit: a game ends itself (a fold, or the fourth betting round over) within 4 x 5 actions; "
               "max_episode_steps=1000 is a bound no game reaches",
    autoreset="the reference does not auto-reset (a step after the end raises); translations auto-reset in the same step",
    invalid_action="RLCard's Env._decode_action: an id that is not legal (a raise past the cap, a call with nothing to "
                   "call, a check facing a bet) is 'check' when check is legal, else 'fold'; -4..-1 index the actions "
                   "the Python way (then decoded the same), and an id of 4 or more raises IndexError before anything "
                   "changes (the translations: any id outside 0..3 other than -4..-1 is decoded as an illegal one)",
    obs_tolerance=Tolerance("exact"),
    reward_tolerance=Tolerance("exact"),
    swap_rng=gym_face.swap_rng,
    canonical_state=canonical_state,
    action_mask=True,
    # The Rust translation: a module of the games family, written through `envport translate --to rust --agent manual`
    # (docs/runs/rlcard-limit-holdem/, the rust run).
    backends=("jax", "rust"),
    rust_classes=("RlcardLimitHoldem", "RlcardLimitHoldemVec"),
    rust_source="src/games/limit_holdem.rs",
    policy_transfer_margin=0.35,
    policy_transfer_reason=(
        "Return: seat 0's payoff per game, in big blinds, against uniformly random legal play (L4 trains and evaluates "
        "the seat of Port.extra['train_env'], on RLCard through envs.seated_gym and on the translation). Random legal "
        "play from seat 0 scores about -0.1 and a trained seat about +3.4 (envs/rlcard/README.md); the margin 0.35 is "
        "10% of that gap, about 2.5 standard errors of one seed's mean over 1,000 games (a payoff's spread is about 4.7)."
    ),
    extra={
        "unreachable_branches": gym_face.RLCARD_UNREACHABLE_BRANCHES + gym_face.HOLDEM_ROUND_UNREACHABLE_BRANCHES,
        "train_env": _seated,
        # L3's third policy: RLCard's `limit-holdem-rule-v1` folds weak starting hands and raises strong ones, and on
        # later streets raises pairs, checks, calls or folds by rank (its fallbacks play an illegal id RLCard decodes).
        "policies": {"rlcard-rule-v1": rule_agent("limit-holdem-rule-v1", reference)},
        "rare_states": showdown_states,
        "unreachable_random_calls": {
            "games/limitholdem/judger.py:72 choice": "who gets the odd chip of a split pot: with RLCard's 2 players "
            "a pot is won by one (no remainder) or returned to both, so it is never drawn",
        },
    },
)
