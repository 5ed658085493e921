"""Brinewatch (written from its specification by `envport create`): port metadata."""

from brinewatch import reference
from envs.spec import DrawSpec, Port, StateField, Tolerance


def _make_jax():
    from brinewatch.jax_env import Brinewatch

    return Brinewatch()


def _field(name, shape, low, high, where):
    return StateField(name, "int32", f"unwrapped.{name} ({where})", "exact", low=low, high=high, shape=shape)


PORT = Port(
    name="brinewatch",
    gym_id="Brinewatch-v1",
    description="A two-player duel card game against a scripted opponent, with a 27-action legal-action mask "
                "(written from its specification, brinewatch.md v1).",
    reference_entry_point="brinewatch.reference:BrinewatchEnv",
    make_reference=reference.make_reference,
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="brinewatch.jax_env",
    # The spec's state table (section 3), in its order; bounds a little wider than the spec's ranges.
    state_fields=(
        _field("deck", (2, 16), 1, 8, "shuffled decks, fixed after reset"),
        _field("deck_pos", (2,), 0, 16, "cards drawn so far"),
        _field("hand", (2, 6), 0, 8, "hands, packed left"),
        _field("board_card", (2, 4), 0, 4, "unit card per slot"),
        _field("board_atk", (2, 4), 0, 5, "unit attack"),
        _field("board_hp", (2, 4), -5, 5, "unit health"),
        _field("board_ready", (2, 4), 0, 1, "may attack now"),
        _field("keeper_hp", (2,), -10, 20, "keeper health"),
        _field("tide", (2,), 0, 6, "tide available"),
        _field("max_tide", (2,), 0, 6, "tide refilled at turn start"),
        _field("fatigue", (2,), 0, 3, "draws from an empty deck"),
        _field("turn", (), 1, 18, "current turn; odd while running"),
    ),
    # Section 4: reset shuffles player 0's deck, then player 1's; a step makes one integers(0, k) call per Gull Swarm
    # hit with k >= 2 valid targets, up to 3 for the agent's own Swarm (PLAY) or 6 for the opponent's two (END_TURN).
    draws=(
        DrawSpec("deck0", "integers", (16,), "reset", "np_random.permutation(16): player 0's deck order"),
        DrawSpec("deck1", "integers", (16,), "reset", "np_random.permutation(16): player 1's deck order"),
        *(DrawSpec(f"gull_hit{i}", "integers", (), "step", "np_random.integers(0, k): a Gull Swarm hit's target "
                   "among k = valid targets + 1 (the keeper last), only when k >= 2", optional=True) for i in range(1, 7)),
    ),
    max_episode_steps=1000,
    time_limit="no step limit: the game truncates itself after player 1's turn 18 (R-8.2 step 3.4); "
               "max_episode_steps=1000 is a bound no episode reaches (at most 9 agent turns of at most 17 steps)",
    autoreset="the reference does not auto-reset (a step after the end raises); translations auto-reset in the same step",
    invalid_action="any action not legal for player 0 under R-5.2, out-of-range integers included, is END_TURN (R-5.3)",
    obs_tolerance=Tolerance("exact"),
    reward_tolerance=Tolerance("exact"),
    action_mask=True,
)
