"""Vault (tests/data/rare_ports): a port whose reference has a branch plain L1 misses."""

from envs.spec import DrawSpec, Port, StateField
from vault import reference


def _make_jax():
    from vault.jax_env import Vault

    return Vault()


PORT = Port(
    name="vault",
    gym_id="Vault-v0",
    description="A cart that opens a vault only at one exact charge beyond 0.9 (a rare branch).",
    reference_entry_point="vault.vault_env:VaultEnv",
    make_reference=reference.make_reference,
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="vault.jax_env",
    state_fields=(
        StateField("position", "float64", "unwrapped.position", "close", low=-1.2, high=1.2, edges=(-1.0, 1.0)),
        StateField("velocity", "float64", "unwrapped.velocity", "close", low=-0.2, high=0.2),
        StateField("charge", "int64", "unwrapped.charge", low=0, high=1000),
        StateField("armed", "bool", "unwrapped.armed"),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=200, edges=(199,)),
    ),
    draws=(DrawSpec("reset_position", "uniform", (), "reset", "np_random.uniform(-0.5, 0.5)"),),
    max_episode_steps=reference.MAX_EPISODE_STEPS,
    extra={"unreachable_branches": (
        ("vault_env.py", 'if self.render_mode == "human":', "true", "render: the port builds the reference without a render mode"),
    )},
)
