"""UNO (`rlcard.make('uno')`, RLCard's defaults: 2 players, 108 cards): port metadata.

The reference is RLCard's UNO seen from the seat to act (`envs.rlcard.gym_face.TurnBasedGymEnv`); its complete state
and card ids are in `envs.rlcard.uno.reference`, the verification states in `envs.rlcard.uno.states`.
"""

import numpy as np

from envs.rlcard import gym_face
from envs.rlcard.rule_agent import rule_agent
from envs.rlcard.uno import reference, states
from envs.spec import DrawSpec, Port, StateField, Tolerance

get_state, set_state = gym_face.port_state(reference)
FLIP_RESHUFFLES = 4  # reset: wild_draw_4 flipped first and shuffled back, at most this many times (module PORT note)
RESHUFFLES = 2  # a step: the pile shuffled back into the deck at most twice (a draw on an empty deck, then a draw-2)


class UnoFace(gym_face.TurnBasedGymEnv):
    """RLCard's UNO behind its Gymnasium face; an action id that is not legal plays the (id mod c)-th of the c legal
    ids (`states.legal_action`). RLCard itself refuses such an id (ValueError from `Env._decode_action`, the game
    unchanged), which a translation under jit cannot do; the port states this rule (`invalid_action`) and the face and
    the translation both follow it, so every level may step with any id. Legal ids reach RLCard unchanged."""

    def step(self, action):
        """The player to act takes `action` (an illegal id: the legal one the rule names)."""
        return super().step(states.legal_action(self.facade, action))


def make_reference() -> UnoFace:
    """RLCard's UNO behind its Gymnasium face (not dealt yet: call reset)."""
    return UnoFace(reference.make_reference())


def _make_jax():
    from envs.rlcard.uno.jax_env import Uno

    return Uno()


def _seated():
    """What PPO trains on: seat 0 against a uniformly random legal opponent (`envs.seated.SeatedJaxEnv`)."""
    from envs.seated import SeatedJaxEnv

    return SeatedJaxEnv(_make_jax(), seat=0)


def _cards(name, shape, where, low=-1, high=59):
    return StateField(name, "int64", where, "exact", low=low, high=high, shape=shape)


def _count(name, where, high=108, shape=()):
    return StateField(name, "int64", where, "exact", low=0, high=high, shape=shape, edges=(0, 1, 2, 4))


PORT = Port(
    name="rlcard-uno",
    gym_id="RLCard-UNO-v1",
    aliases=("uno",),
    description="RLCard's UNO (rlcard 1.2.0, 2 players, 108 cards, 61 actions), turn-based with a legal-action mask; "
                "observation RLCard's (4, 4, 15) planes of the player to act",
    reference_entry_point="rlcard.envs.uno:UnoEnv",  # behind envs.rlcard.uno.UnoFace
    make_reference=make_reference,
    get_state=get_state,
    set_state=set_state,
    make_jax=_make_jax,
    jax_module="envs.rlcard.uno.jax_env",
    state_fields=(
        _cards("deck", (108,), "game.dealer.deck, printed ids in list order (dealt from the end), -1 padded"),
        _cards("deck_colors", (108,), "each deck card's colour now (a wild's last chosen one)", high=3),
        _count("deck_count", "len(game.dealer.deck)"),
        _cards("hand_cards", (2, 60), "game.players[i].hand as id counts: how many cards printed id", low=0, high=2),
        _cards("hand_wilds", (2, 2, 4), "the printed colours of game.players[i].hand's wild (k = 0) and wild_draw_4 "
               "(k = 1) cards in hand order, -1 after the last (a hand's order and a wild's colour in hand are not "
               "state: envs.rlcard.uno.reference)", high=3),
        _count("hand_counts", "len(game.players[i].hand)", shape=(2,)),
        _cards("played", (108,), "game.round.played_cards in order (the top last)"),
        _cards("played_colors", (108,), "each played card's colour (a wild's chosen one)", high=3),
        _count("played_count", "len(game.round.played_cards)"),
        _cards("target", (), "game.round.target, printed id", low=0),
        _cards("target_color", (), "game.round.target.color (a wild's chosen colour)", low=0, high=3),
        StateField("current_player", "int64", "game.round.current_player", "exact", low=0, high=1),
        StateField("direction", "int64", "game.round.direction (1 or -1)", "exact", low=-1, high=1, edges=(-1, 1)),
        StateField("is_over", "bool", "game.round.is_over", "exact"),
        StateField("winner", "int64", "game.round.winner[0], -1 while nobody has won", "exact", low=-1, high=1),
        StateField("rewards", "float64", "env.get_payoffs() once the game is over, zeros before", "exact", low=-1.0,
                   high=1.0, shape=(2,)),
    ),
    # The order RLCard asks (envs.rlcard.RANDOM_CALLS). Reset: the deck's shuffle (dealer.py:16 via :11); the whole deck
    # again each time a wild_draw_4 is flipped first (dealer.py:37; each time with probability 4/94, so a fifth happens
    # about once in 10**8 resets, where the translation keeps the fourth's top card and the tape reports the extra call);
    # a wild flipped first gets its colour (round.py:33). A step: the played pile shuffled back into the deck
    # (round.py:159) when a draw finds the deck empty and then when a draw-2 it drew finds fewer than 2 cards, or when a
    # played draw-2 / wild_draw_4 finds fewer than 2 / 4; a drawn wild gets its colour (round.py:174).
    draws=(
        DrawSpec("deck", "integers", (108,), "reset", "np_random.shuffle(deck): the 108 cards' order"),
        DrawSpec("flip_reshuffles", "integers", (FLIP_RESHUFFLES, 94), "reset",
                 "np_random.shuffle(deck) after a wild_draw_4 flipped first goes back (94 cards), per flip", up_to=True),
        DrawSpec("flip_color", "integers", (), "reset", "np_random.choice(colours): a wild flipped first", optional=True),
        DrawSpec("reshuffles", "uniform", (RESHUFFLES, 108), "step",
                 "np_random.shuffle(deck + played pile) of n <= 108 cards, as ranked uniforms", up_to=True),
        DrawSpec("draw_color", "integers", (), "step", "np_random.choice(colours): a drawn wild card", optional=True),
    ),
    max_episode_steps=1000,
    time_limit="no step limit: RLCard's UNO ends when a hand is empty; max_episode_steps=1000 bounds the verifier's "
               "rollouts (the longest of 100 uniform games took 165 steps) and neither side truncates",
    autoreset="the reference does not auto-reset (a step after the end raises); translations auto-reset in the same step",
    invalid_action="RLCard refuses an id that is not legal (61 and over and negatives included): Env._decode_action's "
                   "np.random.choice over an OrderedDict raises ValueError, the game unchanged. The port's face "
                   "(UnoFace) and the translation, which cannot raise, play the (id mod c)-th of the c legal ids in "
                   "index order instead",
    obs_tolerance=Tolerance("exact"),
    reward_tolerance=Tolerance("exact"),
    swap_rng=gym_face.swap_rng,
    canonical_state=states.canonical_state,
    action_mask=True,
    backends=("jax", "rust"),
    rust_classes=("RlcardUno", "RlcardUnoVec"),
    rust_source="src/games/uno.rs",
    policy_transfer_margin=0.1,
    policy_transfer_reason=(
        "Return: seat 0's payoff per game against uniformly random legal play (L4 trains and evaluates the seat of "
        "Port.extra['train_env'], on RLCard through envs.seated_gym and on the translation): +1 a win, -1 a loss, 0 a "
        "game cut at the step limit (none seen), so the mean is 2 x win rate - 1. Random legal play from seat 0 scores "
        "about 0 (50.0% wins over 5,000 games) and PPO +0.06 to +0.08 (envs/rlcard/README.md); the margin 0.1 is 5% of the -1..+1 "
        "range, 5 points of win rate, about 3 standard errors of one seed's mean over 1,000 games (a payoff's spread "
        "is about 1): a tighter one needs more games than this 2-core machine affords per run. It is as large as the "
        "trained seat's edge over random play, so L4 here catches a translation that moves a seat's win rate by 5 "
        "points or more, not a subtler one."
    ),
    # L3's third policy: RLCard's `uno-rule-v1` plays a random legal non-wild card (numpy's global generator:
    # envs.rlcard.rule_agent seeds it and restores it), a wild only when nothing else is legal (a wild_draw_4 in the
    # commonest colour of its other cards), and draws when it must: games keep wild cards in hand to the end.
    extra={"rare_states": states.rare_states, "event_state": states.event_state, "train_env": _seated,
           "unreachable_branches": gym_face.RLCARD_UNREACHABLE_BRANCHES + (
               ("rlcard/envs/uno.py", "if action_id in legal_ids:", "false",
                "an illegal id never reaches RLCard: the face plays the (id mod c)-th legal one instead (invalid_action)"),
               ("rlcard/games/uno/game.py", "if winner is not None and len(winner) == 1:", "false",
                "the face reads the payoffs only once the game is over, and an UNO game ends only when a player has won"),
               ("rlcard/games/uno/round.py", "for index, card in enumerate(player.hand):", "false",
                "a legal action names a card in the hand, so the search for it always stops there (break)")),
           "policies": {"rlcard-rule-v1": rule_agent("uno-rule-v1", reference)},
           "l3_skipped_policies": {"sticky": (
               "it reaches no branch of RLCard's UNO that uniform legal play and the rule agent miss (100 games each: "
               "uniform 106 of 114 branches, sticky the same 106, the rule agent 107, with the reshuffle under a "
               "draw_2; envs/rlcard/README.md), and a step-by-step rule-agent game costs what a sticky one saved")}},
)
