"""The RLCard reference adapters (envs/rlcard): the facade, the complete state round trip, randomness, illegal ids.

The round trip: from states reached by uniform legal play and by RLCard's rule agents, `set_state(fresh,
get_state(env))` with the generator state copied must give the same current player, mask, every player's
observation, rewards and state at every step to the end of the game, and `get_state` must return what was set.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rlcard", reason="rlcard is not installed: `bash setup.sh` installs it (pyproject pins rlcard==1.2.0)")

import rlcard  # noqa: E402
import rlcard.models  # noqa: E402

import envs.rlcard as family  # noqa: E402
from envs.reference_rng import swapped_randomness  # noqa: E402
from envs.rlcard.leduc_holdem import reference as leduc  # noqa: E402
from envs.rlcard.limit_holdem import reference as limit  # noqa: E402
from envs.rlcard.uno import reference as uno  # noqa: E402
from envs.spec import DrawSpec  # noqa: E402
from verify.draw_samples import RecordingGenerator  # noqa: E402
from verify.tape import TapeGenerator  # noqa: E402

GAMES = {"leduc-holdem": leduc, "limit-holdem": limit, "uno": uno}
RULE_MODELS = {"leduc-holdem": ("leduc-holdem-rule-v1", "leduc-holdem-rule-v2"), "limit-holdem": ("limit-holdem-rule-v1",),
               "uno": ("uno-rule-v1",)}
RLCARD_ROOT = Path(rlcard.__file__).resolve().parent
RAISE, FOLD, CHECK, CALL, DRAW = 1, 2, 3, 0, 60


# ----- helpers --------------------------------------------------------------------------------------------------

def assert_same_state(got: dict, expected: dict, where: str = "") -> None:
    assert got.keys() == expected.keys(), where
    for name in expected:
        a, b = np.asarray(got[name]), np.asarray(expected[name])
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), f"{where}: field {name}: {a} != {b}"


def outputs(env) -> dict:
    """Everything the facade shows: who acts, the mask, every player's observation, rewards, the end."""
    return {"current_player": env.current_player, "mask": env.legal_action_mask(), "is_over": env.is_over(),
            "obs": [env.observe(p) for p in range(env.num_players)], "rewards": env.rewards()}


def assert_same_outputs(got: dict, expected: dict, where: str) -> None:
    for name in ("current_player", "is_over"):
        assert got[name] == expected[name], f"{where}: {name}"
    for name in ("mask", "rewards"):
        assert np.array_equal(got[name], expected[name]), f"{where}: {name} {got[name]} != {expected[name]}"
    for p, (a, b) in enumerate(zip(got["obs"], expected["obs"])):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"{where}: observation of player {p}"


def uniform_policy(rng: np.random.Generator):
    return lambda game, env: int(rng.choice(np.flatnonzero(env.legal_action_mask())))


def rule_policy(model_id: str):
    agents = rlcard.models.load(model_id).agents

    def act(game, env):
        state = env.unwrapped.get_state(env.current_player)
        raw, _ = agents[env.current_player].eval_step(state)
        return game.action_id(str(raw))
    return act


def record_game(game, env, policy) -> list[dict]:
    """Play `env` (already dealt) to its end; per step: the state, generator state, outputs and action taken."""
    trace = []
    while True:
        entry = {"state": game.get_state(env), "rng": env.game.np_random.get_state(), "out": outputs(env)}
        trace.append(entry)
        if env.is_over():
            return trace
        entry["action"] = policy(game, env)
        env.step(entry["action"])


def check_replay(game, trace: list[dict], start: int) -> None:
    """Write trace[start]'s state into a fresh env, copy the generator, replay the actions: all must match."""
    fresh = game.make_reference()
    game.set_state(fresh, trace[start]["state"])
    assert_same_state(game.get_state(fresh), trace[start]["state"], f"get_state after set_state at step {start}")
    fresh.game.np_random.set_state(trace[start]["rng"])
    for t in range(start, len(trace)):
        assert_same_outputs(outputs(fresh), trace[t]["out"], f"step {t} (written at {start})")
        assert_same_state(game.get_state(fresh), trace[t]["state"], f"step {t} (written at {start})")
        if t + 1 < len(trace):
            fresh.step(trace[t]["action"])


def replay_from(game, env, policy) -> list[dict]:
    """Round-trip check from `env`'s current state (every step of the rest of the game, from the first)."""
    trace = record_game(game, env, policy)
    check_replay(game, trace, 0)
    return trace


@pytest.fixture()
def global_numpy_rng():
    """UNO's rule agent and illegal-id path use numpy's global generator: seed it, and restore it afterwards."""
    saved = np.random.get_state()
    np.random.seed(12345)
    yield
    np.random.set_state(saved)


# ----- the round trip -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GAMES)
def test_round_trip_under_uniform_legal_play(name):
    game, rng = GAMES[name], np.random.default_rng(1)
    games, points = (12, 6) if name == "uno" else (40, None)
    for g in range(games):
        env = game.make_reference()
        env.reset(seed=100 + g)
        trace = record_game(game, env, uniform_policy(rng))
        starts = range(len(trace)) if points is None else sorted({0, len(trace) - 1, *rng.integers(0, len(trace), points)})
        for start in starts:
            check_replay(game, trace, int(start))


@pytest.mark.parametrize("name, model_id", [(n, m) for n, ids in RULE_MODELS.items() for m in ids])
def test_round_trip_under_rlcard_rule_agents(name, model_id, global_numpy_rng):
    game, rng = GAMES[name], np.random.default_rng(2)
    for g in range(8 if name == "uno" else 25):
        env = game.make_reference()
        env.reset(seed=200 + g)
        trace = record_game(game, env, rule_policy(model_id))
        for start in sorted({0, len(trace) // 2, len(trace) - 1, int(rng.integers(0, len(trace)))}):
            check_replay(game, trace, start)


# Attributes that are not game state (see envs/rlcard/__init__.py), and UNO's payoffs, which `get_payoffs` writes
# from the winner each time it is read.
NOT_STATE = {"np_random", "history", "action_recorder", "timestep", "payoffs"}


def deep_snapshot(value, depth=0):
    """Every attribute of RLCard's objects (lists, dicts, cards, enums followed) as plain values, generators left out."""
    if isinstance(value, (bool, int, float, str, type(None), np.generic)):
        return value
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.tolist())
    if isinstance(value, (list, tuple)):
        return [deep_snapshot(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: deep_snapshot(v, depth + 1) for k, v in value.items()}
    if type(value).__module__.startswith("rlcard") and depth < 8:
        if not hasattr(value, "__dict__"):  # an enum member
            return repr(value)
        return (type(value).__name__, {k: deep_snapshot(v, depth + 1) for k, v in vars(value).items() if k not in NOT_STATE})
    return repr(type(value))


def uno_write_order(card) -> int:
    """Where UNO's set_state puts a hand card: non-wild cards by printed id, then wild, then wild_draw_4 cards."""
    printed = uno.ACTION_SPACE[card.str]
    return printed if printed % 15 < 13 else 60 + printed % 15


def comparable(game, env):
    """`deep_snapshot` of the env; for UNO with each hand as set_state writes it (a stable sort by
    `uno_write_order`, each wild's colour its printed one): neither is state (envs/rlcard/uno/reference.py), and
    `test_uno_hand_order_and_a_hand_wilds_colour_change_no_outcome` checks that."""
    if game is not uno:
        return deep_snapshot(env.unwrapped)
    saved = [p.hand for p in env.game.players]
    try:
        for player in env.game.players:
            player.hand = [copy.copy(c) for c in sorted(player.hand, key=uno_write_order)]
            for card in player.hand:
                card.color = card.str.split("-")[0]
        return deep_snapshot(env.unwrapped)
    finally:
        for player, hand in zip(env.game.players, saved):
            player.hand = hand


def test_uno_hand_order_and_a_hand_wilds_colour_change_no_outcome():
    """The premise of UNO's hand fields (envs/rlcard/uno/reference.py): from visited states, a copy whose hands are
    shuffled (each wild trait's cards kept in their order) and whose hand wilds get random current colours plays
    the rest of the game exactly as the original: the same outputs and the same fields at every step."""
    rng = np.random.default_rng(8)
    reordered = recoloured = 0
    for g in range(10):
        env = uno.make_reference()
        env.reset(seed=500 + g)
        trace = record_game(uno, env, uniform_policy(rng))
        for start in sorted({0, *rng.integers(0, len(trace), 3).tolist()}):
            fresh = uno.make_reference()
            uno.set_state(fresh, trace[start]["state"])
            for player in fresh.game.players:
                hand = player.hand
                new = [hand[i] for i in rng.permutation(len(hand))]
                for trait in uno.WILD_TRAITS:
                    slots = [j for j, c in enumerate(new) if c.trait == trait]
                    for j, card in zip(slots, [c for c in hand if c.trait == trait]):
                        new[j] = card
                reordered += [id(c) for c in new] != [id(c) for c in hand]
                for card in new:
                    if card.type == "wild":
                        card.color = str(rng.choice(uno.COLORS))
                        recoloured += card.color != card.str.split("-")[0]
                player.hand = new
            fresh.game.np_random.set_state(trace[start]["rng"])
            for t in range(start, len(trace)):
                assert_same_outputs(outputs(fresh), trace[t]["out"], f"game {g}, step {t} (from {start})")
                assert_same_state(uno.get_state(fresh), trace[t]["state"], f"game {g}, step {t} (from {start})")
                if t + 1 < len(trace):
                    fresh.step(trace[t]["action"])
    assert reordered > 50 and recoloured > 10


@pytest.mark.parametrize("name", GAMES)
def test_set_state_writes_every_attribute_rlcard_holds(name):
    """Independent of get_state's field list: after writing a state into an env that played another game (another
    seed, another number of steps), every attribute of RLCard's env, game, dealer, round, judger, players and
    cards equals the original's."""
    game, rng = GAMES[name], np.random.default_rng(6)
    for g in range(15):
        original, other = game.make_reference(), game.make_reference()
        original.reset(seed=300 + g)
        other.reset(seed=400 + g)
        for _ in range(int(rng.integers(0, 6))):
            if not other.is_over():
                other.step(uniform_policy(rng)(game, other))
        while True:
            game.set_state(other, game.get_state(original))
            assert comparable(game, other) == comparable(game, original)
            if original.is_over():
                break
            original.step(uniform_policy(rng)(game, original))


def test_generators_are_rlcards_own_after_set_state():
    for game in GAMES.values():
        env = game.make_reference()
        env.reset(seed=5)
        fresh = game.make_reference()
        game.set_state(fresh, game.get_state(env))
        rng = fresh.unwrapped.np_random
        parts = [fresh.game, fresh.game.dealer, fresh.game.round, *fresh.game.players]
        assert all(part.np_random is rng for part in parts)


def test_a_wrong_state_is_one_clear_error():
    env = leduc.make_reference()
    env.reset(seed=0)
    state = leduc.get_state(env)
    with pytest.raises(ValueError, match="no field 'hands'"):
        leduc.set_state(leduc.make_reference(), {k: v for k, v in state.items() if k != "hands"})
    with pytest.raises(ValueError, match="deck_count = 7"):
        leduc.set_state(leduc.make_reference(), {**state, "deck_count": np.asarray(7)})
    with pytest.raises(ValueError, match="not wild"):
        uno.make_card(0, 2)  # r-0 cannot be blue
    env = uno.make_reference()
    env.reset(seed=0)
    state = uno.get_state(env)
    wilds = state["hand_wilds"].copy()
    wilds[0, 0, :2] = [1, 1]  # the same printed wild twice
    with pytest.raises(ValueError, match="hand_wilds"):
        uno.set_state(uno.make_reference(), {**state, "hand_wilds": wilds})
    counts = state["hand_counts"].copy()
    counts[1] += 1
    with pytest.raises(ValueError, match="hand_counts"):
        uno.set_state(uno.make_reference(), {**state, "hand_counts": counts})


# ----- card ids ------------------------------------------------------------------------------------------------

def test_card_ids_are_positions_in_rlcards_unshuffled_decks():
    import json
    assert np.array_equal(leduc.initial_deck(), np.arange(6))
    assert np.array_equal(limit.initial_deck(), np.arange(52))
    leduc_index = json.loads((RLCARD_ROOT / "games/leducholdem/card2index.json").read_text())
    limit_index = json.loads((RLCARD_ROOT / "games/limitholdem/card2index.json").read_text())
    for card in range(6):
        assert leduc_index[leduc.make_card(card).get_index()] == card // 2 and leduc.card_id(leduc.make_card(card)) == card
    for card in range(52):
        assert limit_index[limit.make_card(card).get_index()] == card and limit.card_id(limit.make_card(card)) == card
    deck = uno.initial_deck()
    assert len(deck) == 108 and np.bincount(deck, minlength=60).tolist() == ([1] + [2] * 12 + [1, 1]) * 4
    for printed in range(60):
        for color in range(4) if printed % 15 >= 13 else [printed // 15]:
            assert uno.card_ids(uno.make_card(printed, color)) == (printed, color)


# ----- hold'em boundaries ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, allowed", [("leduc-holdem", 2), ("limit-holdem", 4)])
def test_the_last_allowed_raise_and_then_no_more(name, allowed):
    game, rng = GAMES[name], np.random.default_rng(3)
    for seed in range(5):
        env = game.make_reference()
        env.reset(seed=seed)
        raises = 0
        while env.legal_action_mask()[RAISE]:
            if raises == allowed - 1:  # the state before the last allowed raise, then the raise and the rest
                replay_from(game, game_copy(game, env), first_then(RAISE, uniform_policy(rng)))
            env.step(RAISE)
            raises += 1
        assert raises == allowed and int(game.get_state(env)["round_have_raised"]) == allowed
        mask = env.legal_action_mask()
        assert not mask[RAISE] and mask[CALL] and mask[FOLD] and not mask[CHECK]
        env.step(RAISE)  # an illegal raise at the cap: check is not legal, so RLCard folds
        assert env.is_over() and int(game.get_state(env)["status"][1 - env.current_player]) == 1


def game_copy(game, env):
    copy = game.make_reference()
    game.set_state(copy, game.get_state(env))
    copy.game.np_random.set_state(env.game.np_random.get_state())
    return copy


@pytest.mark.parametrize("name", ["leduc-holdem", "limit-holdem"])
def test_a_fold_ends_the_game_with_rlcards_payoffs(name):
    game = GAMES[name]
    env = game.make_reference()
    env.reset(seed=4)
    first = env.current_player
    assert np.array_equal(env.rewards(), [0.0, 0.0])
    trace = replay_from(game, env, lambda g, e: FOLD)
    assert len(trace) == 2 and env.is_over()
    chips = trace[0]["state"]["in_chips"]
    expected = np.zeros(2)
    expected[first], expected[1 - first] = -chips[first] / 2, chips[first] / 2  # payoffs in big blinds
    assert np.array_equal(env.rewards(), expected) and env.rewards().sum() == 0
    with pytest.raises(ValueError, match="game is over"):
        env.step(CALL)


# ----- illegal action ids -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["leduc-holdem", "limit-holdem"])
def test_holdem_turns_an_illegal_id_into_check_or_fold(name):
    game = GAMES[name]
    env = game.make_reference()
    env.reset(seed=7)
    assert not env.legal_action_mask()[CHECK]  # the first player faces the blind: call, raise, fold
    before = game.get_state(env)
    with pytest.raises(IndexError):
        env.step(4)  # past the 4 actions: RLCard's list lookup fails before anything changes
    assert_same_state(game.get_state(env), before)
    folded = game_copy(game, env)
    folded.step(CHECK)  # not legal, and check is not legal: fold
    assert folded.is_over() and folded.rewards()[env.current_player] < 0
    negative = game_copy(game, env)
    negative.step(-1)  # Python indexing: -1 is 'check', so also a fold
    assert_same_state(game.get_state(negative), game.get_state(folded))
    env.step(CALL)  # the small blind completes; the big blind may check
    mask = env.legal_action_mask()
    assert mask[CHECK] and not mask[CALL]
    checked, called = game_copy(game, env), game_copy(game, env)
    checked.step(CHECK)
    called.step(CALL)  # not legal while check is: RLCard checks
    assert_same_state(game.get_state(called), game.get_state(checked))


def test_uno_refuses_an_illegal_id_and_changes_nothing(global_numpy_rng):
    env = uno.make_reference()
    env.reset(seed=3)
    mask = env.legal_action_mask()
    before, global_before = uno.get_state(env), fingerprint(np.random.mtrand._rand)
    for action in (int(np.flatnonzero(~mask)[0]), 61, -1):
        with pytest.raises(ValueError, match="1-dimensional"):
            env.step(action)  # RLCard calls np.random.choice on a dict of legal ids, which numpy refuses
    assert_same_state(uno.get_state(env), before)
    assert fingerprint(np.random.mtrand._rand) == global_before
    recorder = RecordingGenerator(np.random.default_rng(0))
    with swapped_randomness(env, recorder), pytest.raises(IndexError):
        env.step(int(np.flatnonzero(~mask)[0]))  # the verifier's stand-ins index the dict: one draw, then an error
    assert [kind for kind, _ in recorder.record] == ["integers"]
    assert_same_state(uno.get_state(env), before)


# ----- UNO boundaries --------------------------------------------------------------------------------------------

def uno_state_where(predicate, seeds=range(200), steps=400):
    """An env at the first state, under uniform legal play from each seed's deal in turn, where predicate(env) holds."""
    rng = np.random.default_rng(0)
    for seed in seeds:
        env = uno.make_reference()
        env.reset(seed=seed)
        for _ in range(steps):
            if predicate(env):
                return env
            if env.is_over():
                break
            env.step(uniform_policy(rng)(uno, env))
    raise AssertionError("no such state reached")


PILES = {"deck": ("deck", "deck_colors", "deck_count"), "played": ("played", "played_colors", "played_count")}


def move_cards(state: dict, source: str, dest: str, select, source_row=None, dest_row=None) -> None:
    """Move the cards `select(cards)` marks (cards: a list of (printed, colour)) from pile `source` to pile `dest`:
    under the played pile's top, or onto the end of a hand or the deck. Edits `state` in place."""
    def read(name, row):
        if name == "hand":  # a hand as set_state writes it; a wild's colour in hand is not state: its printed one
            printed = uno.hand_list(state["hand_cards"][row], state["hand_wilds"][row])
            return [(p, p // 15) for p in printed], row
        ids, colors, count = PILES[name]
        index = () if row is None else (row,)
        n = int(state[count][index])
        return list(zip(state[ids][index][:n].tolist(), state[colors][index][:n].tolist())), index

    def write(name, index, cards):
        if name == "hand":
            state["hand_cards"][index], state["hand_wilds"][index] = uno.hand_fields([p for p, _ in cards])
            state["hand_counts"][index] = len(cards)
            return
        ids, colors, count = PILES[name]
        state[ids][index] = uno.padded([p for p, _ in cards], 108)
        state[colors][index] = uno.padded([c for _, c in cards], 108)
        state[count][index] = len(cards)

    cards, s_index = read(source, source_row)
    marks = select(cards)
    moved = [c for c, m in zip(cards, marks) if m]
    write(source, s_index, [c for c, m in zip(cards, marks) if not m])
    pile, d_index = read(dest, dest_row)
    write(dest, d_index, moved + pile if dest == "played" else pile + moved)


def every(cards):
    return [True] * len(cards)


def first_where(predicate):
    """Select the first card (printed, colour) for which predicate holds."""
    def select(cards):
        hits = [predicate(p, c) for p, c in cards]
        first = hits.index(True)
        return [i == first for i in range(len(cards))]
    return select


def where(predicate):
    return lambda cards: [predicate(p, c) for p, c in cards]


def first_then(action: int, policy):
    """A policy that plays `action` once, then follows `policy`."""
    pending = [action]
    return lambda game, env: pending.pop() if pending else policy(game, env)


def lowest_legal(game, env) -> int:
    return int(np.flatnonzero(env.legal_action_mask())[0])


def total_cards(state: dict) -> int:
    return int(state["deck_count"] + state["played_count"] + state["hand_counts"].sum())


def test_uno_reshuffles_the_played_pile_when_a_draw_finds_the_deck_empty():
    env = uno_state_where(lambda e: e.legal_action_mask().tolist() == [False] * 60 + [True] and len(e.game.round.played_cards) > 3)
    state = uno.get_state(env)
    move_cards(state, "deck", "played", every)  # the whole deck under the played pile: a reachable state
    assert int(state["deck_count"]) == 0 and total_cards(state) == 108
    crafted = uno.make_reference()
    uno.set_state(crafted, state)
    crafted.game.np_random.seed(0)
    pile = int(state["played_count"])
    recorder = CallSiteRecorder(np.random.RandomState(0))
    probe = game_copy(uno, crafted)
    with swapped_randomness(probe, recorder):
        probe.step(DRAW)
    assert [(m, chain[:2], n) for m, chain, n in recorder.calls] == [
        ("shuffle", ("games/uno/dealer.py:16", "games/uno/round.py:159"), pile)] + (  # the whole pile, then maybe a wild's colour
        [("choice", ("games/uno/round.py:174", "games/uno/round.py:62"), 4)] if len(recorder.calls) > 1 else [])
    after = uno.get_state(probe)
    # The whole played pile, its top (the target) included, went into the deck; the drawn card was played or kept.
    assert int(after["played_count"]) in (0, 1) and int(after["deck_count"]) == pile - 1 and total_cards(after) == 108
    replay_from(uno, crafted, lowest_legal)


@pytest.mark.parametrize("trait, dealt", [(12, 2), (14, 4)])
def test_uno_reshuffles_before_a_draw_2_or_wild_draw_4_when_the_deck_is_short(trait, dealt):
    env = uno_state_where(lambda e: not e.is_over() and len(e.game.round.played_cards) > 6)
    state = uno.get_state(env)
    player, color = int(state["current_player"]), int(state["target_color"])
    if trait == 14:  # wild_draw_4 is legal only with nothing else to play: the player's playable cards go under the pile
        target_trait = int(state["target"]) % 15 if int(state["target"]) % 15 < 13 else -1
        move_cards(state, "hand", "played", where(lambda p, c: p % 15 >= 13 or c == color or p % 15 == target_trait),
                   source_row=player)
        wanted = first_where(lambda p, c: p % 15 == 14)
    else:
        wanted = first_where(lambda p, c: p == color * 15 + 12)
    move_cards(state, "deck", "hand", wanted, dest_row=player)
    move_cards(state, "deck", "played", lambda cards: [True] * (len(cards) - 1) + [False])  # one card left
    assert int(state["deck_count"]) == 1 and total_cards(state) == 108
    crafted = uno.make_reference()
    uno.set_state(crafted, state)
    crafted.game.np_random.seed(1)
    action = color * 15 + trait
    legal = np.flatnonzero(crafted.legal_action_mask()).tolist()
    assert action in legal and (trait == 12 or legal == [c * 15 + 14 for c in range(4)])
    pile = int(state["played_count"]) + 1  # the draw card just played goes on the pile before the reshuffle
    victim_cards = int(state["hand_counts"][1 - player])
    probe = game_copy(uno, crafted)
    probe.step(action)
    after = uno.get_state(probe)
    assert int(after["played_count"]) == 0 and int(after["deck_count"]) == 1 + pile - dealt
    assert int(after["hand_counts"][1 - player]) == victim_cards + dealt and total_cards(after) == 108
    assert int(after["target"]) % 15 == trait and int(after["target_color"]) == color  # the target is no longer on the pile
    replay_from(uno, crafted, first_then(action, lowest_legal))


def test_uno_wild_card_on_top_at_the_start():
    """RLCard flips a wild onto the pile at the start and picks its colour with `choice`; the observation shows the
    colour the card was printed with (`target.str`), the legal actions follow the chosen one (`target.color`)."""
    found = 0
    for seed in range(400):
        env = uno.make_reference()
        env.reset(seed=seed)
        state = uno.get_state(env)
        if int(state["target"]) % 15 != 13:
            continue
        printed, chosen = int(state["target"]) // 15, int(state["target_color"])
        assert int(state["played_count"]) == 1 and int(state["current_player"]) == 0
        target_plane = env.observe(0)[3]
        assert target_plane[printed, 13] == 1 and target_plane.sum() == 1
        hand_colors = {p // 15 for p in np.flatnonzero(state["hand_cards"][0]) if p % 15 < 13}
        playable = {a // 15 for a in np.flatnonzero(env.legal_action_mask()) if a < 60 and a % 15 < 13}
        assert playable <= {chosen} and (chosen not in hand_colors or playable == {chosen})
        replay_from(uno, env, uniform_policy(np.random.default_rng(seed)))
        found += printed != chosen
    assert found >= 2  # seeds where the printed and chosen colours differ were checked


# ----- randomness -----------------------------------------------------------------------------------------------

class CallSiteRecorder:
    """A stand-in generator: answers from a real RandomState and records (method, rlcard call chain, size)."""

    def __init__(self, rng: np.random.RandomState):
        self._rng = rng
        self.calls: list[tuple[str, tuple[str, ...], int]] = []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        method = getattr(self._rng, name)

        def call(*args, **kwargs):
            chain, frame = [], sys._getframe(1)
            while frame is not None:
                path = Path(frame.f_code.co_filename).resolve()
                if RLCARD_ROOT in path.parents:
                    chain.append(f"{path.relative_to(RLCARD_ROOT).as_posix()}:{frame.f_lineno}")
                frame = frame.f_back
            size = len(args[0]) if args and hasattr(args[0], "__len__") else 0
            self.calls.append((name, tuple(chain), size))
            return method(*args, **kwargs)
        return call


def fingerprint(rng: np.random.RandomState) -> tuple:
    """A RandomState's whole state (key and position), comparable with ==."""
    _, key, position, has_gauss, gauss = rng.get_state()
    return key.tobytes(), position, has_gauss, gauss


def reached_sites(recorder: CallSiteRecorder) -> set[tuple[str, str, str]]:
    """(site, method, caller) for each recorded call: the innermost rlcard line, and the one that led to it."""
    return {(chain[0], name, chain[1] if len(chain) > 1 else "") for name, chain, _ in recorder.calls}


def uno_crafted_states() -> list[dict]:
    """States from which a step draws: an empty deck before a draw; a wild card on top of the deck before a draw."""
    env = uno_state_where(lambda e: e.legal_action_mask()[DRAW] and len(e.game.round.played_cards) > 3)
    empty = uno.get_state(env)
    move_cards(empty, "deck", "played", every)
    wild_next = uno.get_state(env)
    move_cards(wild_next, "deck", "played", where(lambda p, c: p % 15 != 13))  # only wild cards left: the draw is one
    return [empty, wild_next]


@pytest.mark.parametrize("name", GAMES)
def test_every_random_call_is_reached_through_the_generic_route(name, global_numpy_rng):
    """Every draw the game makes in resets and steps reaches a swapped-in stand-in, at exactly the documented
    sites, and RLCard's own generator and numpy's global one are left untouched."""
    game, rng = GAMES[name], np.random.default_rng(5)
    recorder = CallSiteRecorder(np.random.RandomState(0))
    env = game.make_reference(seed=0)
    real, global_before = fingerprint(env.unwrapped.np_random), fingerprint(np.random.mtrand._rand)
    starts = [None] * (300 if name == "uno" else 60) + (uno_crafted_states() if name == "uno" else [])
    for start in starts:
        with swapped_randomness(env, recorder):
            if start is None:
                env.reset()
            else:
                game.set_state(env, start)
        while not env.is_over():
            action = int(rng.choice(np.flatnonzero(env.legal_action_mask())))
            with swapped_randomness(env, recorder):
                env.step(action)
    if name == "uno":  # the illegal-id path asks numpy's global generator, which the route also reaches
        with swapped_randomness(env, recorder), pytest.raises(ValueError, match="1-dimensional"):
            env.reset()
            env.step(int(np.flatnonzero(~env.legal_action_mask())[0]))
    expected = {(site, method, caller) for site, method, caller in family.RANDOM_CALLS[name] if not
                site.startswith("games/limitholdem/judger")}
    assert reached_sites(recorder) == expected
    assert fingerprint(env.unwrapped.np_random) == real and fingerprint(np.random.mtrand._rand) == global_before


def test_random_calls_are_listed_in_the_family_docstring():
    for name, calls in family.RANDOM_CALLS.items():
        for site, method, caller in calls:
            assert f"{site} {method}" in family.__doc__ and (not caller or caller in family.__doc__), (name, site)


def test_limit_holdem_split_pot_choice_is_reached_but_never_with_two_players():
    """judger.py:72 picks who gets an odd chip of a split pot: with RLCard's 2 players a pot always splits evenly
    (both win: each gets their chips back; one wins: all of it), so only a 3-player table reaches it."""
    env = limit.make_reference()
    env.reset(seed=0)
    recorder = CallSiteRecorder(np.random.RandomState(0))
    with swapped_randomness(env, recorder):
        for a in range(1, 40):
            for b in range(1, 40):
                for winners in ([1, 0], [0, 1], [1, 1]):
                    env.game.judger.split_pots_among_players([a, b], winners)
        assert recorder.calls == []
        env.game.judger.split_pots_among_players([3, 3, 3], [1, 1, 0])
    assert [(name, chain[0]) for name, chain, _ in recorder.calls] == [("choice", "games/limitholdem/judger.py:72")]


def test_a_generator_swapped_in_for_a_reset_answers_nothing_after_it():
    drew = 0
    for seed in range(30):
        env = uno.make_reference()
        env.reset(seed=seed)
        recorder = CallSiteRecorder(np.random.RandomState(0))
        with swapped_randomness(env, recorder):
            env.reset()
        calls, real = len(recorder.calls), fingerprint(env.unwrapped.np_random)
        rng = np.random.default_rng(seed)
        while not env.is_over():
            env.step(int(rng.choice(np.flatnonzero(env.legal_action_mask()))))
        assert len(recorder.calls) == calls
        drew += fingerprint(env.unwrapped.np_random) != real
    assert drew > 0  # some games drew in their steps, from RLCard's own generator


def taped(recorder: RecordingGenerator, label: str) -> TapeGenerator:
    """A tape holding exactly the numbers `recorder` handed out, as the verifier builds one from a translation's draws."""
    return TapeGenerator([(DrawSpec(f"call{i}", kind, np.shape(v), "step"), v) for i, (kind, v) in enumerate(recorder.record)],
                         label=label)


@pytest.mark.parametrize("name", GAMES)
def test_the_verifiers_tape_answers_every_call(name):
    """Resets and steps of the original answered by a recording generator; the same resets and steps of a copy
    answered by a tape of those numbers: same states and outputs, every number used (as level D and L1 will run)."""
    game, rng = GAMES[name], np.random.default_rng(8)
    original, copy = game.make_reference(), game.make_reference()
    starts = [None] * (20 if name == "uno" else 30) + (uno_crafted_states() if name == "uno" else [])
    for g, start in enumerate(starts):
        recorder = RecordingGenerator(np.random.default_rng(g))
        with swapped_randomness(original, recorder):
            original.reset() if start is None else game.set_state(original, start)
        tape = taped(recorder, f"reset {g}")
        with swapped_randomness(copy, tape):
            copy.reset() if start is None else game.set_state(copy, start)
        tape.finish()
        while True:
            assert_same_state(game.get_state(copy), game.get_state(original), f"game {g}")
            assert_same_outputs(outputs(copy), outputs(original), f"game {g}")
            if original.is_over():
                break
            action = uniform_policy(rng)(game, original)
            recorder = RecordingGenerator(np.random.default_rng(rng.integers(1 << 30)))
            with swapped_randomness(original, recorder):
                original.step(action)
            tape = taped(recorder, f"game {g} step")
            with swapped_randomness(copy, tape):
                copy.step(action)
            tape.finish()


# ----- the facade ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GAMES)
def test_facade_matches_rlcard_and_reseeds(name):
    game = GAMES[name]
    env, raw = game.make_reference(), rlcard.make(name, config={"seed": 9})
    env.reset(seed=9)
    state, player = raw.reset()
    assert env.current_player == player and np.array_equal(env.observe(player), state["obs"])
    assert np.flatnonzero(env.legal_action_mask()).tolist() == sorted(state["legal_actions"])
    again = game.make_reference()
    again.reset(seed=9)
    assert_same_state(game.get_state(again), game.get_state(env))
    with pytest.raises(ValueError, match="non-negative"):
        env.reset(seed=-1)
