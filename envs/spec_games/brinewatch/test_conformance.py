"""Conformance tests of Brinewatch (specification v1), one or more per numbered rule, plus the worked example.

Every test takes its implementation from envport's `make_env` fixture (the reference, or a translation's face) and
uses only the spec's interface: reset, step, get_state, set_state. States are set up with set_state; the defaults
below are a consistent mid-game state on player 0's turn 5. Where a test needs given random outcomes (the worked
example's numbers, Gull Swarm targets) it gives the draws by name through envport's `forced_draws` fixture (the
port's declared draws: `deck0`/`deck1` permutations, `gull_hits` uniforms u answering `integers(0, k)` as
`floor(u * k)`), so it runs unchanged on the reference and on every translation.
"""

import numpy as np
import pytest

BASE_DECK = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
KELP, EEL, SHELL, LEVIATHAN, HARPOON, CHART, SURGE, GULLS = 1, 2, 3, 4, 5, 6, 7, 8
UNIT = {KELP: (1, 2), EEL: (3, 1), SHELL: (2, 4), LEVIATHAN: (5, 5)}  # attack, health


def play(slot):
    return 1 + slot


def attack(i, j):
    return 7 + 5 * i + j


def board(*units):
    """(card, atk, hp, ready) rows of one board from (card, hp, ready) triples, packed left."""
    card, atk, hp, ready = [0] * 4, [0] * 4, [0] * 4, [0] * 4
    for i, (c, h, r) in enumerate(units):
        card[i], atk[i], hp[i], ready[i] = c, UNIT[c][0], h, r
    return card, atk, hp, ready


def state(board0=(), board1=(), **fields):
    """Player 0's turn 5: decks in BASE_DECK order with 8 cards drawn each (next: Harpoon Volley), empty hands."""
    s = {"deck": [BASE_DECK, BASE_DECK], "deck_pos": [8, 8], "hand": [[0] * 6, [0] * 6], "keeper_hp": [20, 20],
         "tide": [3, 0], "max_tide": [3, 2], "fatigue": [0, 0], "turn": 5}
    b0, b1 = board(*board0), board(*board1)
    for k, name in enumerate(("board_card", "board_atk", "board_hp", "board_ready")):
        s[name] = [b0[k], b1[k]]
    for name, value in fields.items():
        s[name] = value
    return {k: np.asarray(v, dtype=np.int32) for k, v in s.items()}


def hand(*cards):
    return list(cards) + [0] * (6 - len(cards))


def setup(make_env, seed=0, **kw):
    env = make_env()
    env.reset(seed=seed)
    env.set_state(state(**kw))
    return env


def legal(info):
    return set(np.flatnonzero(info["action_mask"]).tolist())


def assert_state(env, **expected):
    got = env.get_state()
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], np.asarray(value, dtype=np.int32), err_msg=name)


# ----- actions, legality, illegal actions, mask --------------------------------------------------------

def test_R5_1_spaces_and_action_enumeration(make_env):
    """R-5.1 (and section 6): Discrete(27); the observation is an int8 Box of 50; PLAY(s) = 1+s, ATTACK(i,j) = 7+5i+j."""
    env = make_env()
    assert env.action_space.n == 27
    assert env.observation_space.shape == (50,) and env.observation_space.dtype == np.int8
    assert env.observation_space.low.min() == -128 and env.observation_space.high.max() == 127
    # PLAY(2) plays hand slot 2 (Harpoon Volley), not slot 0 or 1
    env = setup(make_env, hand=[hand(KELP, EEL, HARPOON), hand()])
    env.step(play(2))
    assert_state(env, keeper_hp=[19, 17], tide=[1, 0])
    # ATTACK(1, 0) = 12: own slot 1 attacks enemy slot 0
    env = setup(make_env, board0=[(KELP, 2, 0), (EEL, 1, 1)], board1=[(LEVIATHAN, 5, 0)])
    env.step(attack(1, 0))
    assert_state(env, board_card=[[KELP, 0, 0, 0], [LEVIATHAN, 0, 0, 0]], board_hp=[[2, 0, 0, 0], [2, 0, 0, 0]])


def test_R5_2_play_legality_cost_and_spells_without_targets(make_env):
    """R-5.2: PLAY needs a filled slot and enough tide; spells are legal whenever affordable, even with no enemy units."""
    env = setup(make_env, tide=[4, 0], hand=[hand(LEVIATHAN, KELP, SURGE, HARPOON), hand()])
    *_, info = env.step(play(1))  # Kelp Tender: tide 3 left
    assert legal(info) == {0, play(1), play(2)}  # Surge (3) and Harpoon (2) affordable, Leviathan (5) not; slot 3 empty


def test_R5_2_units_need_a_free_board_slot(make_env):
    """R-5.2: a unit card is not playable with 4 units on the board; a spell still is."""
    full = [(KELP, 2, 0)] * 4
    env = setup(make_env, board0=full, tide=[4, 0], hand=[hand(KELP, HARPOON, HARPOON), hand()])
    *_, info = env.step(play(1))
    assert legal(info) == {0, play(1)}


def test_R5_2_attack_targets_guard_first(make_env):
    """R-5.2: a ready unit attacks only Guard slots while the enemy has a Guard; else occupied slots and the keeper."""
    env = setup(make_env, board0=[(EEL, 1, 1), (KELP, 2, 0)], board1=[(KELP, 2, 0), (SHELL, 4, 0), (KELP, 2, 0)],
                tide=[1, 0], hand=[hand(KELP), hand()])
    *_, info = env.step(play(0))
    assert legal(info) == {0, attack(0, 1)}
    env = setup(make_env, board0=[(EEL, 1, 1)], board1=[(KELP, 2, 0), (KELP, 2, 0)], tide=[1, 0], hand=[hand(KELP), hand()])
    *_, info = env.step(play(0))
    assert legal(info) == {0, attack(0, 0), attack(0, 1), attack(0, 4)}


@pytest.mark.parametrize("illegal", [27, 100, -1, play(4), attack(0, 4), attack(1, 4), attack(0, 2)])
def test_R5_3_illegal_actions_are_end_turn(make_env, illegal):
    """R-5.3: an illegal action (out of range, empty hand slot, unready or missing unit, non-Guard target) acts as END_TURN."""
    kw = dict(board0=[(KELP, 2, 0)], board1=[(SHELL, 4, 1)], hand=[hand(KELP, EEL), hand(GULLS)], max_tide=[3, 3])
    a, b = setup(make_env, seed=7, **kw), setup(make_env, seed=7, **kw)
    ra, rb = a.step(illegal), b.step(0)
    np.testing.assert_array_equal(ra[0], rb[0])
    assert ra[1:4] == rb[1:4]
    np.testing.assert_array_equal(ra[4]["action_mask"], rb[4]["action_mask"])
    for name, value in b.get_state().items():
        np.testing.assert_array_equal(a.get_state()[name], value, err_msg=name)
    assert int(a.get_state()["turn"]) == 7


def test_R5_4_mask_is_end_turn_only_in_a_final_state(make_env):
    """R-5.4 (and section 10): a winning attack terminates with reward +1.0 and a mask True at index 0 only."""
    env = setup(make_env, board0=[(EEL, 1, 1)], keeper_hp=[20, 3], hand=[hand(KELP), hand()])
    obs, reward, terminated, truncated, info = env.step(attack(0, 4))
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
    assert info["action_mask"].dtype == bool and info["action_mask"].shape == (27,)
    assert legal(info) == {0}
    assert obs[1] == 0


# ----- rules of play -------------------------------------------------------------------------------------

def test_R7_1_fatigue_from_an_empty_deck(make_env):
    """R-7.1: the last card is drawn, then each draw from an empty deck adds 1 fatigue and deals the new fatigue."""
    env = setup(make_env, deck_pos=[15, 8], tide=[2, 0], hand=[hand(CHART), hand()])
    env.step(play(0))  # Tide Chart: three draws
    assert_state(env, hand=[hand(GULLS), hand()], deck_pos=[16, 8], fatigue=[2, 0], keeper_hp=[17, 20])


def test_R7_1_a_card_drawn_into_a_full_hand_is_burned(make_env):
    """R-7.1: with 6 cards in hand the drawn card is gone; deck_pos still advances."""
    env = setup(make_env, tide=[2, 0], hand=[hand(CHART, KELP, KELP, KELP, KELP, KELP), hand()])
    env.step(play(0))  # hand 5 after the Chart leaves: draws Harpoon into slot 5, then burns Harpoon and Tide Chart
    assert_state(env, hand=[hand(KELP, KELP, KELP, KELP, KELP, HARPOON), hand()], deck_pos=[11, 8], fatigue=[0, 0])


def test_R7_2_start_of_turn(make_env):
    """R-7.2 (and R-8.2 step 3): after END_TURN the opponent's turn starts and ends; player 0's next turn refills
    tide, readies every unit and draws."""
    env = setup(make_env, board0=[(KELP, 2, 0), (EEL, 1, 0)], tide=[0, 0], deck_pos=[8, 6])
    obs, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (0.0, False, False)
    # player 1: max_tide 3, drew Leviathan Calf (cost 5: nothing affordable), ended its turn with tide 3 unspent
    assert_state(env, turn=7, max_tide=[4, 3], tide=[4, 3], deck_pos=[9, 7], hand=[hand(HARPOON), hand(LEVIATHAN)],
                 board_ready=[[1, 1, 0, 0], [0, 0, 0, 0]])
    assert legal(info) == {0, play(0), attack(0, 4), attack(1, 4)}


def test_R7_3_playing_units(make_env):
    """R-7.3: tide paid, hand shifted left, unit placed in the next slot; Swift enters ready; Kelp Tender heals
    (capped at 20)."""
    env = setup(make_env, tide=[6, 0], keeper_hp=[15, 20], hand=[hand(EEL, SHELL, KELP, KELP), hand()])
    env.step(play(0))
    assert_state(env, tide=[4, 0], hand=[hand(SHELL, KELP, KELP), hand()], board_card=[[EEL, 0, 0, 0], [0] * 4],
                 board_atk=[[3, 0, 0, 0], [0] * 4], board_hp=[[1, 0, 0, 0], [0] * 4], board_ready=[[1, 0, 0, 0], [0] * 4])
    env.step(play(0))  # Shell Warden: no keyword, enters unready
    env.step(play(0))  # Kelp: 15 -> 17
    assert_state(env, tide=[0, 0], keeper_hp=[17, 20], hand=[hand(KELP), hand()], board_ready=[[1, 0, 0, 0], [0] * 4],
                 board_card=[[EEL, SHELL, KELP, 0], [0] * 4])
    env = setup(make_env, tide=[1, 0], keeper_hp=[19, 20], hand=[hand(KELP), hand()])
    env.step(play(0))
    assert_state(env, keeper_hp=[20, 20])


def test_R7_3_spells_harpoon_and_surge(make_env):
    """R-7.3 with section 2: Harpoon Volley (enemy -3, own -1); Brine Surge hits every enemy unit for 2."""
    env = setup(make_env, tide=[5, 0], hand=[hand(HARPOON, SURGE), hand()], board1=[(LEVIATHAN, 5, 0), (SHELL, 4, 1)])
    env.step(play(0))
    env.step(play(0))
    assert_state(env, keeper_hp=[19, 17], tide=[0, 0], board_hp=[[0] * 4, [3, 2, 0, 0]], hand=[hand(), hand()])


def test_R7_4_gull_swarm_without_enemy_units_hits_the_keeper_three_times(make_env, forced_draws):
    """R-7.4: with no enemy unit k = 1 for every hit: the keeper takes 3, and no draw is made (given none, the
    reference's tape refuses any call)."""
    env = setup(make_env, tide=[2, 0], hand=[hand(GULLS), hand()])
    forced_draws.step(env, play(0))
    assert_state(env, keeper_hp=[20, 17], tide=[0, 0])


def test_R7_4_gull_swarm_deals_exactly_three_damage(make_env):
    """R-7.4: three hits of 1 between the enemy units and the keeper, whatever the draws."""
    for seed in range(6):
        env = setup(make_env, seed=seed, tide=[2, 0], hand=[hand(GULLS), hand()], board1=[(LEVIATHAN, 5, 0), (SHELL, 4, 0)])
        env.step(play(0))
        s = env.get_state()
        assert (5 - s["board_hp"][1][0]) + (4 - s["board_hp"][1][1]) + (20 - s["keeper_hp"][1]) == 3


def test_R7_4_gull_swarm_draws_integers_0_k_over_the_live_targets(make_env, forced_draws):
    """R-7.4: k = live targets + 1, one integers(0, k) per hit while k >= 2, targets in slot order then the keeper;
    a unit at 0 hp is no target any more. The uniforms tell k apart: k = 3, 2, 2 here give 1 (Eel), 0 (Kelp),
    1 (keeper); a wrong k (the keeper left out, the dead Eel still counted) sends a hit elsewhere."""
    env = setup(make_env, tide=[2, 0], hand=[hand(GULLS), hand()], board1=[(KELP, 2, 0), (EEL, 1, 0)])
    forced_draws.step(env, play(0), gull_hits=[0.4, 0.45, 0.55])
    assert_state(env, board_card=[[0] * 4, [KELP, 0, 0, 0]], board_hp=[[0] * 4, [1, 0, 0, 0]], keeper_hp=[20, 19])


def test_R7_5_attacking(make_env):
    """R-7.5: a keeper is hit for the attack; two units strike each other at once; the attacker is no longer ready."""
    env = setup(make_env, board0=[(LEVIATHAN, 5, 1), (EEL, 1, 1)], board1=[(SHELL, 4, 0)])
    env.step(attack(0, 0))  # Leviathan 5 vs Shell 2: Shell dies, Leviathan at 3, unready
    assert_state(env, board_card=[[LEVIATHAN, EEL, 0, 0], [0] * 4], board_hp=[[3, 1, 0, 0], [0] * 4],
                 board_ready=[[0, 1, 0, 0], [0] * 4])
    env.step(attack(1, 4))
    assert_state(env, keeper_hp=[20, 17], board_ready=[[0, 0, 0, 0], [0] * 4])


def test_R7_6_defeated_units_leave_and_survivors_pack_left(make_env):
    """R-7.6: both fighters can die; survivors keep their order and all four fields."""
    env = setup(make_env, board0=[(KELP, 2, 0), (EEL, 1, 1), (SHELL, 4, 0)], board1=[(KELP, 2, 1), (KELP, 1, 0), (LEVIATHAN, 5, 1)])
    env.step(attack(1, 0))  # Eel (3) kills Kelp (2 hp); Kelp strikes back for 1: Eel dies too
    assert_state(env, board_card=[[KELP, SHELL, 0, 0], [KELP, LEVIATHAN, 0, 0]], board_hp=[[2, 4, 0, 0], [1, 5, 0, 0]],
                 board_atk=[[1, 2, 0, 0], [1, 5, 0, 0]], board_ready=[[0, 0, 0, 0], [0, 1, 0, 0]])


def test_R7_7_draw_and_loss(make_env):
    """R-7.7: both keepers down at one check is a draw (0.0); only player 0's is a loss (-1.0)."""
    env = setup(make_env, keeper_hp=[1, 3], tide=[2, 0], hand=[hand(HARPOON), hand()])
    _, reward, terminated, truncated, info = env.step(play(0))
    assert (reward, terminated, truncated) == (0.0, True, False) and legal(info) == {0}
    env = setup(make_env, keeper_hp=[1, 10], tide=[2, 0], hand=[hand(HARPOON), hand()])
    _, reward, terminated, truncated, _ = env.step(play(0))
    assert (reward, terminated, truncated) == (-1.0, True, False)


def test_R7_7_the_game_ends_at_once_inside_the_opponents_turn(make_env):
    """R-7.7 and section 9 (O1): the opponent's lethal Harpoon Volley ends the game; nothing further resolves."""
    env = setup(make_env, keeper_hp=[3, 20], deck_pos=[8, 6], hand=[hand(), hand(HARPOON)], board1=[(EEL, 1, 0)])
    _, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (-1.0, True, False) and legal(info) == {0}
    # the Eel (readied at the start of turn 6) never attacked: the game ended with the Volley
    assert_state(env, keeper_hp=[0, 19], turn=6, board_ready=[[0] * 4, [1, 0, 0, 0]], hand=[hand(), hand(LEVIATHAN)])


# ----- reset and step ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_R8_1_reset(make_env, seed):
    """R-8.1: shuffled decks, 3 cards each then player 0's turn 1 (tide 1, one more card), and the observation."""
    env = make_env()
    obs, info = env.reset(seed=seed)
    s = env.get_state()
    for p in (0, 1):
        assert sorted(s["deck"][p].tolist()) == BASE_DECK
    assert s["hand"][0][:4].tolist() == s["deck"][0][:4].tolist() and s["hand"][0][4:].tolist() == [0, 0]
    assert s["hand"][1][:3].tolist() == s["deck"][1][:3].tolist() and s["hand"][1][3:].tolist() == [0, 0, 0]
    assert_state(env, deck_pos=[4, 3], keeper_hp=[20, 20], tide=[1, 0], max_tide=[1, 0], fatigue=[0, 0], turn=1,
                 board_card=[[0] * 4] * 2, board_hp=[[0] * 4] * 2, board_atk=[[0] * 4] * 2, board_ready=[[0] * 4] * 2)
    assert obs.dtype == np.int8 and obs.tolist()[:12] == [20, 20, 1, 1, 0, 4, 3, 12, 13, 0, 0, 1]
    assert obs.tolist()[12:18] == s["hand"][0].tolist() and not obs[18:].any()
    assert legal(info) == {0} | {play(i) for i in range(4) if s["hand"][0][i] == KELP}
    again = make_env()
    again.reset(seed=seed)
    for name, value in s.items():
        np.testing.assert_array_equal(again.get_state()[name], value, err_msg=name)


def test_R8_2_playing_keeps_the_turn(make_env):
    """R-8.2 step 2: a PLAY or ATTACK never ends player 0's turn."""
    env = setup(make_env, tide=[3, 0], hand=[hand(KELP, KELP), hand()], board0=[(EEL, 1, 1)])
    for action in (play(0), play(0), attack(0, 4)):
        _, reward, terminated, truncated, _ = env.step(action)
        assert (reward, terminated, truncated) == (0.0, False, False)
        assert int(env.get_state()["turn"]) == 5


def test_R8_2_truncation_after_turn_18(make_env):
    """R-8.2 step 3.4: the end of player 1's turn 18 truncates with reward 0; turn 19 never starts."""
    env = setup(make_env, turn=17, max_tide=[6, 6], tide=[2, 0], deck_pos=[8, 16], keeper_hp=[5, 5])
    obs, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (0.0, False, True) and legal(info) == {0}
    assert_state(env, turn=18, deck_pos=[8, 16], fatigue=[0, 1], keeper_hp=[5, 4], tide=[2, 6], max_tide=[6, 6])
    assert obs[11] == 18


# ----- section 9: the scripted opponent -------------------------------------------------------------------

def test_S9_opponent_plays_its_most_expensive_affordable_unit(make_env):
    """Section 9, O3 (and O7/O8): the most expensive affordable unit, lowest slot on ties; then nothing ready: END."""
    env = setup(make_env, deck_pos=[8, 6], hand=[hand(), hand(KELP, EEL, SHELL)])
    env.step(0)
    assert_state(env, board_card=[[0] * 4, [SHELL, 0, 0, 0]], hand=[hand(HARPOON), hand(KELP, EEL, LEVIATHAN)], tide=[4, 0])


def test_S9_opponent_attack_targets(make_env):
    """Section 9, O7c: the enemy unit it kills without dying, highest attack; O7a: the weakest Guard."""
    env = setup(make_env, deck_pos=[8, 6], board0=[(KELP, 2, 0), (LEVIATHAN, 5, 0), (EEL, 1, 0)], board1=[(LEVIATHAN, 5, 0)])
    env.step(0)  # Leviathan (5/5) may kill Kelp (atk 1) or Eel (atk 3) and survive: Eel, the higher attack
    assert_state(env, board_card=[[KELP, LEVIATHAN, 0, 0], [LEVIATHAN, 0, 0, 0]], board_hp=[[2, 5, 0, 0], [2, 0, 0, 0]])
    env = setup(make_env, deck_pos=[8, 6], board0=[(SHELL, 4, 0), (KELP, 2, 0), (SHELL, 2, 0)], board1=[(EEL, 1, 0)])
    env.step(0)  # the Guard with the lowest hp is slot 2; Eel (3) kills it and dies to its 2 attack
    assert_state(env, board_card=[[SHELL, KELP, 0, 0], [0] * 4], board_hp=[[4, 2, 0, 0], [0] * 4])


# ----- section 11: the worked example ----------------------------------------------------------------------

# Section 11: "with numpy's generator, reset(seed=96) draws" these permutations (the reference's seed-96 stream is
# checked in tests/test_brinewatch.py); step 3's two integers(0, 2) -> 0 are given as uniforms 0.45 (0 of 2, but
# 1 of 3: a wrong k shows).
PERM0 = [3, 1, 14, 8, 13, 7, 2, 9, 11, 6, 12, 5, 10, 4, 0, 15]
PERM1 = [1, 0, 3, 12, 15, 8, 10, 7, 11, 6, 9, 13, 5, 4, 2, 14]


def test_worked_example_seed_96(make_env, forced_draws):
    """Section 11 (R-8.1, R-7.3, R-7.4, R-7.5, R-8.2, section 9): seed 96's draws (the two permutations, then
    integers(0, 2) -> 0 twice in step 3, and no other), actions 2, 0, 2, 11, 0."""
    env = make_env()
    obs, info = forced_draws.reset(env, deck0=PERM0, deck1=PERM1)
    assert_state(env, deck=[[2, 1, 8, 5, 7, 4, 2, 5, 6, 4, 7, 3, 6, 3, 1, 8], [1, 1, 2, 7, 8, 5, 6, 4, 6, 4, 5, 7, 3, 3, 2, 8]],
                 hand=[hand(2, 1, 8, 5), hand(1, 1, 2)], deck_pos=[4, 3])
    assert obs.tolist() == [20, 20, 1, 1, 0, 4, 3, 12, 13, 0, 0, 1, 2, 1, 8, 5, 0, 0] + [0] * 32
    assert legal(info) == {0, 2}
    *_, info = forced_draws.step(env, 2)
    assert_state(env, tide=[0, 0], hand=[hand(2, 8, 5), hand(1, 1, 2)], keeper_hp=[20, 20])
    assert legal(info) == {0}
    *_, info = forced_draws.step(env, 0)
    assert_state(env, turn=3, hand=[hand(2, 8, 5, 7), hand(1, 2, 7)], board_card=[[1, 0, 0, 0], [1, 0, 0, 0]],
                 board_ready=[[1, 0, 0, 0], [0, 0, 0, 0]], tide=[2, 0], max_tide=[2, 1])
    assert legal(info) == {0, 1, 2, 3, 7, 11}
    *_, info = forced_draws.step(env, 2, gull_hits=[0.45, 0.45])
    assert_state(env, keeper_hp=[20, 19], board_card=[[1, 0, 0, 0], [0] * 4], tide=[0, 0], hand=[hand(2, 5, 7), hand(1, 2, 7)])
    assert legal(info) == {0, 11}
    *_, info = forced_draws.step(env, 11)
    assert_state(env, keeper_hp=[20, 18], board_ready=[[0, 0, 0, 0], [0] * 4])
    assert legal(info) == {0}
    obs, reward, terminated, truncated, info = forced_draws.step(env, 0)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert obs.tolist() == ([17, 18, 3, 3, 2, 4, 3, 10, 11, 0, 0, 5, 2, 5, 7, 4, 0, 0, 1, 1, 2, 1] + [0] * 12
                            + [2, 3, 1, 0] + [0] * 12)
    assert legal(info) == {0, 1, 2, 3, 7, 11}
