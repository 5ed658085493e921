"""The Pick game as a user's port with a legal-action mask and no Rust translation yet (tests)."""

from envs.spec import DrawSpec, Port, StateField

from pick.game import EPISODE, MaskedPick
from pick.reference import get_state, make_reference, set_state

PORT = Port(
    name="pick",
    gym_id="Pick-v0",
    description="Pick the target among two legal actions of four (a masked toy).",
    reference_entry_point="pick.game:MaskedPickGym",
    make_reference=make_reference,
    get_state=get_state,
    set_state=set_state,
    make_jax=MaskedPick,
    jax_module="pick.game",
    state_fields=(
        StateField("g", "int32", "unwrapped.g", "exact", low=0, high=3),
        StateField("b", "int32", "unwrapped.b", "exact", low=0, high=3),
        StateField("time", "int32", "unwrapped.t", "exact", low=0, high=EPISODE, edges=(EPISODE - 1,)),
    ),
    draws=(
        DrawSpec("reset_b", "integers", (), "reset", "np_random.integers(0, 4)"),
        DrawSpec("reset_c", "integers", (), "reset", "np_random.integers(0, 2)"),
        DrawSpec("step_b", "integers", (), "step", "np_random.integers(0, 4)"),
        DrawSpec("step_c", "integers", (), "step", "np_random.integers(0, 2)"),
    ),
    max_episode_steps=EPISODE,
    invalid_action="an illegal action pays -1000 and ends the episode",
    action_mask=True,
)
