"""Leduc Hold'em (RLCard's `leduc-holdem`, RLCard's defaults): the port `rlcard-leduc-holdem`.

The reference is RLCard's game behind the Gymnasium face `envs.rlcard.gym_face.TurnBasedGymEnv` (the seat to act's
observation, the mask, `current_player` and every player's `rewards` in info); the state is the adapter's
(`reference.get_state`) plus `rewards`. The translations, `jax_env.LeducHoldem` and the Rust games module
`rust_envs/src/games/leduc_holdem.rs`, were written through `envport translate --agent manual`
(docs/runs/rlcard-leduc-holdem/).
"""

from __future__ import annotations

import numpy as np

from envs.rlcard import gym_face
from envs.rlcard.leduc_holdem import reference
from envs.rlcard.rule_agent import rule_agent
from envs.spec import DrawSpec, Port, StateField, Tolerance

NUM_PLAYERS = 2
MAX_CHIPS = 14  # a player's chips at most: blind 2 + two raises of 2, then two raises of 4


def make_reference():
    """RLCard's Leduc Hold'em behind the turn-based Gymnasium face (deal with `reset`)."""
    return gym_face.TurnBasedGymEnv(reference.make_reference())


def _make_jax():
    from envs.rlcard.leduc_holdem.jax_env import LeducHoldem

    return LeducHoldem()


get_state, set_state = gym_face.port_state(reference)


def _running(state: dict) -> dict:
    """A generated state made a running game RLCard can step (identity on every state a game reaches before its end).

    - the cards: the hands, the public card (dealt in round 1 only) and the deck's first `deck_count` cards are the
      six cards once each: repeated or out-of-range ids are replaced by the missing cards in order, and
      `deck_count` is 4 in round 0, 3 in round 1 (a step may deal the public card from it);
    - the game runs: `round_counter` 0 or 1, nobody folded (a fold or round 2 ends the game, and a step after the end
      raises in the face);
    - the round's raise amount is the game's for that round (2, then 4);
    - a round's bets differ by at most one raise (`round_raised`), and chips leave room for the rest of the game (RLCard's observation indexes its one-hot with the chips, so a player
      past 14 chips makes the reference raise, and L2 holds one action for several steps): each player's `in_chips`
      at most 14 minus the most the game can still add for it: a call of what it owes, the round's remaining raises,
      and in round 0 the two raises of round 1 (2 x 4). A reached state always has that room (14 is the most a game
      can reach: 2 blinds and two raises of 2, then two raises of 4).
    """
    out = {k: np.array(v) for k, v in state.items()}
    rnd = int(np.clip(out["round_counter"], 0, 1))
    hands = [int(c) for c in out["hands"]]
    public = [int(out["public_card"])] if rnd == 1 else []
    count = reference.DECK_SIZE - NUM_PLAYERS - len(public)
    cards = hands + public + [int(c) for c in out["deck"][:count]]
    seen, missing = set(), [c for c in range(reference.DECK_SIZE) if c not in cards]
    for i, c in enumerate(cards):
        if not 0 <= c < reference.DECK_SIZE or c in seen:
            cards[i] = missing.pop(0)
        seen.add(cards[i])
    out["hands"] = np.asarray(cards[:NUM_PLAYERS], np.int64)
    out["public_card"] = np.asarray(cards[NUM_PLAYERS] if rnd == 1 else -1, np.int64)
    deck = np.full(reference.DECK_SIZE, -1, np.int64)
    deck[:count] = cards[NUM_PLAYERS + len(public):]
    out["deck"], out["deck_count"] = deck, np.asarray(count, np.int64)
    out["round_counter"] = np.asarray(rnd, np.int64)
    out["status"] = np.zeros(NUM_PLAYERS, np.int64)
    raise_amount = 2 if rnd == 0 else 4
    out["round_raise_amount"] = np.asarray(raise_amount, np.int64)
    # in a game, one player's round bet is at most one raise above the other's
    raised = np.asarray(out["round_raised"], np.int64)
    raised = np.maximum(raised, raised.max() - raise_amount)
    out["round_raised"] = raised
    raises_left = max(0, 2 - int(out["round_have_raised"]))
    later_rounds = 2 * 4 if rnd == 0 else 0
    room = MAX_CHIPS - (raised.max() - raised + raises_left * raise_amount + later_rounds)
    out["in_chips"] = np.clip(np.asarray(out["in_chips"], np.int64), 0, room)
    out["rewards"] = np.zeros(NUM_PLAYERS, np.float64)
    return out


def _seated():
    """What PPO trains on: seat 0 against a uniformly random legal opponent (`envs.seated.SeatedJaxEnv`)."""
    from envs.seated import SeatedJaxEnv

    return SeatedJaxEnv(_make_jax(), seat=0)


def _int(name, shape, low, high, ref):
    return StateField(name, "int64", ref, "exact", low=low, high=high, shape=shape)


PORT = Port(
    name="rlcard-leduc-holdem",
    gym_id="RLCardLeducHoldem-v0",
    description="Leduc Hold'em from RLCard 1.2.0 (two players, six cards, two betting rounds): turn-based, "
                "a legal-action mask over RLCard's four action ids, RLCard's 36-entry observation of the seat to act.",
    reference_entry_point="rlcard.envs.leducholdem:LeducholdemEnv (behind envs.rlcard.gym_face.TurnBasedGymEnv)",
    make_reference=make_reference,
    get_state=get_state,
    set_state=set_state,
    make_jax=_make_jax,
    jax_module="envs.rlcard.leduc_holdem.jax_env",
    # envs.rlcard.leduc_holdem.reference.get_state's fields in order, then `rewards` (envs.rlcard.gym_face.port_state).
    state_fields=(
        _int("deck", (6,), -1, 5, "game.dealer.deck: card ids in list order (dealt from the end), -1 padded"),
        _int("deck_count", (), 0, 6, "len(game.dealer.deck)"),
        _int("hands", (2,), 0, 5, "game.players[i].hand"),
        _int("public_card", (), -1, 5, "game.public_card, -1 before round 1"),
        _int("game_pointer", (), 0, 1, "game.game_pointer: the player to act"),
        _int("round_counter", (), 0, 2, "game.round_counter: 2 once the second round is over"),
        _int("in_chips", (2,), 0, MAX_CHIPS, "game.players[i].in_chips"),
        _int("status", (2,), 0, 1, "game.players[i].status: 0 alive, 1 folded"),
        _int("round_game_pointer", (), 0, 1, "game.round.game_pointer"),
        _int("round_raise_amount", (), 2, 4, "game.round.raise_amount: 2, then 4 in the second round"),
        _int("round_have_raised", (), 0, 2, "game.round.have_raised: raises this round (at most 2)"),
        _int("round_not_raise_num", (), 0, 2, "game.round.not_raise_num: the round ends at 2"),
        _int("round_raised", (2,), 0, 8, "game.round.raised: each player's chips this round"),
        StateField("round_player_folded", "bool", "game.round.player_folded (None read as False)", "exact"),
        StateField("rewards", "float64", "game.get_payoffs() once the game is over, else zeros", "exact",
                   low=-7.0, high=7.0, shape=(2,)),
    ),
    # RLCard's order (envs.rlcard.RANDOM_CALLS): the dealer shuffles its 6 cards, then the small blind is drawn.
    draws=(
        DrawSpec("deck", "integers", (6,), "reset", "np_random.shuffle of the 6-card deck (dealer.py): a permutation; "
                 "the dealt deck is the initial deck in this order"),
        DrawSpec("small_blind", "integers", (), "reset", "np_random.randint(0, 2): the player posting the small blind"),
    ),
    max_episode_steps=1000,
    time_limit="no step limit: a game ends by itself within 8 actions; max_episode_steps=1000 is a bound no game reaches",
    autoreset="the reference does not auto-reset (a step after the end raises); translations auto-reset in the same step",
    invalid_action="RLCard's Env._decode_action: an id that is not legal becomes 'check' where check is legal, else "
                   "'fold'; -4..-1 index ['call', 'raise', 'fold', 'check'] the Python way (then decoded so); an id of "
                   "4 or more, or below -4, makes RLCard raise IndexError (the translations treat it as illegal)",
    obs_tolerance=Tolerance("exact"),
    reward_tolerance=Tolerance("exact"),
    swap_rng=gym_face.swap_rng,
    action_mask=True,
    canonical_state=_running,
    # The Rust translation: a module of the games family, written through `envport translate --to rust --agent manual`.
    backends=("jax", "rust"),
    rust_classes=("RlcardLeducHoldem", "RlcardLeducHoldemVec"),
    rust_source="src/games/leduc_holdem.rs",
    policy_transfer_margin=0.1,
    policy_transfer_reason=(
        "Return: the step rewards of the seat acting, summed over a game, i.e. the final payoff in big blinds of the "
        "player who makes a game's last action, between -7 and +7 (a player puts in at most 14 chips: the big blind, two "
        "raises of 2 in the first round and two of 4 in the second); the margin 0.1 is 0.7% of that 14-big-blind range "
        "and 6% of the 1.7 big blinds between random legal play and masked PPO against a random opponent "
        "(envs/rlcard/README.md). Not yet measured on this port (no L4 run)."
    ),
    # L3's third policy: RLCard's `leduc-holdem-rule-v1` raises whenever it may, else calls, else checks, so every game
    # goes to the showdown with the most chips the rules allow and the judge meets pairs, high cards and split pots.
    # (`leduc-holdem-rule-v2` would fold every hand at its first action in rlcard 1.2.0: its pre-flop rule reads the
    # card string's first letter, the suit, as the rank.)
    extra={"policies": {"rlcard-rule-v1": rule_agent("leduc-holdem-rule-v1", reference)}, "train_env": _seated,
           "unreachable_branches": gym_face.RLCARD_UNREACHABLE_BRANCHES + gym_face.HOLDEM_ROUND_UNREACHABLE_BRANCHES + (
               ("games/leducholdem/judger.py", "elif player.status == 'alive':", "false",
                "a Leduc player is 'alive' or 'folded', nothing else"),
           ) + tuple(("utils/utils.py", condition, outcome, "Leduc's cards are J, Q and K: rank2int never sees another rank")
                     for condition, outcome in (("if rank == '':", "true"), ("elif rank.isdigit():", "true"),
                                                ("if int(rank) >= 2 and int(rank) <= 10:", None), ("elif rank == 'A':", "true"),
                                                ("elif rank == 'T':", "true"), ("elif rank == 'K':", "false")))},
)
