"""Tally (envport create's test toy): port metadata."""

from envs.spec import DrawSpec, Port, StateField
from tally import reference


def _make_jax():
    from tally.jax_env import Tally

    return Tally()


PORT = Port(
    name="tally",
    gym_id="Tally-v0",
    description="A counter climbing to a random target (the toy spec of envport create's tests).",
    reference_entry_point="tally.reference:TallyEnv",
    make_reference=reference.make_reference,
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="tally.jax_env",
    state_fields=(
        StateField("count", "int32", "unwrapped.count", low=0, high=8),
        StateField("target", "int32", "unwrapped.target", low=3, high=5),
        StateField("time", "int32", "unwrapped.time", low=0, high=20, edges=(19,)),
    ),
    draws=(DrawSpec("target", "integers", (), "reset", "np_random.integers(3, 6)"),),
    max_episode_steps=20,
    invalid_action="actions outside {0, 1} are outside the spec",
)
