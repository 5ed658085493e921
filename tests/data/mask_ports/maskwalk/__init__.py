"""MaskWalk (tests/data/mask_ports): the test port for legal-action masks, permutation draws and
'index' draws whose number and range vary within a step (docs/design.md, section 4)."""

from envs.spec import DrawSpec, Port, StateField, Tolerance
from maskwalk import reference


def _make_jax():
    from maskwalk.jax_env import MaskWalk

    return MaskWalk()


PORT = Port(
    name="maskwalk",
    gym_id="MaskWalk-v0",
    description="A walker, four monsters and a shuffled deck: a masked test game with a variable number of ranged draws per step.",
    reference_entry_point="maskwalk.reference:MaskWalkEnv",
    make_reference=reference.make_reference,
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="maskwalk.jax_env",
    state_fields=(
        StateField("pos", "int64", "unwrapped.pos", low=0, high=7, edges=(0, 7)),
        StateField("hp", "int64", "unwrapped.hp", low=0, high=3, shape=(4,)),
        StateField("deck", "int64", "unwrapped.deck (a permutation of 0..5 after reset)", low=0, high=5, shape=(6,)),
        StateField("deck_pos", "int64", "unwrapped.deck_pos", low=0, high=6, edges=(6,)),
        StateField("score", "int64", "unwrapped.score", low=-20, high=6, edges=(2, 5)),
        StateField("time", "int64", "unwrapped.t", low=0, high=30, edges=(29,)),
    ),
    draws=(
        DrawSpec("order", "integers", (6,), "reset", "np_random.permutation(6)"),
        DrawSpec("picks", "index", (4,), "step", "np_random.integers(0, k): per volley hit with k >= 2 targets, then "
                 "the revived monster among m >= 2 dead (0 to 4 calls)", up_to=True),
        DrawSpec("bonus", "uniform", (), "step", "np_random.random() < 0.25"),
    ),
    max_episode_steps=reference.MAX_STEPS,
    time_limit="the reference counts steps itself (unwrapped.t) and truncates at 30; the translation's state.time is that count",
    invalid_action="an illegal action, or one outside Discrete(6), is a wait (action 0), in the reference and the translation",
    obs_tolerance=Tolerance("exact"),
    reward_tolerance=Tolerance("exact"),
    action_mask=True,
)
