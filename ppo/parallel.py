"""Data-parallel JAX PPO over devices with `jax.sharding`: the device layout, outside the algorithm.

Each device steps `num_envs / D` of the environments of every seed with its own random
stream; gradients are averaged over devices at every minibatch step (`lax.pmean` over the
mesh axis "data"), so the parameters stay identical everywhere and one run with D devices
is the same algorithm, with the same batch and minibatch sizes, as one run on one device
(`split="envs"`, which works for a single seed). With several seeds, `split="seeds"` gives
each device whole seeds instead: no communication, each seed's computation unchanged.
Inside each device the seeds run one after another (`lax.map`): with jax/jaxlib 0.10.2 on
the CPU, a `vmap` over seeds inside `shard_map` over two host devices compiled and then
stalled with the CPU idle (measured here, with and without the gradient `pmean`), while
`lax.map` runs.

Multi-host: call `jax.distributed.initialize()` in every process first (coordinator
address, process count and id, or the cluster's environment variables); `jax.devices()`
then lists the devices of all hosts, the mesh spans them, and every process runs the same
`train_sharded` call with the same seeds (docs/ppo.md).
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
from jax.sharding import Mesh, PartitionSpec as P

from ppo.config import ConfigError, PPOConfig
from ppo.jax_trainer import make_train

AXIS = "data"


def local_config(config: PPOConfig, num_devices: int) -> PPOConfig:
    """The configuration one device runs: its share of the environments and of the steps, same updates."""
    if config.num_envs % num_devices:
        raise ConfigError(f"num_envs ({config.num_envs}) must be divisible by the number of devices ({num_devices})")
    local = config.replace(num_envs=config.num_envs // num_devices, total_timesteps=config.total_timesteps // num_devices)
    if local.num_updates != config.num_updates:
        raise ConfigError(f"total_timesteps ({config.total_timesteps}) must be a multiple of num_envs * num_steps for {num_devices} devices")
    return local


def make_sharded_train(config: PPOConfig, env, devices=None, env_params=None, on_update=None, split: str = "envs"):
    """A jitted `train(keys)` over seeds (keys: (seeds, 2)), data-parallel over `devices` (default: all).

    `split="envs"`: every device steps its share of every seed's environments, gradients averaged
    over devices (works for one seed). `split="seeds"`: every device trains its share of the seeds
    with no communication at all (the number of seeds must be divisible by the device count).
    """
    devices = list(jax.devices() if devices is None else devices)
    mesh = Mesh(np.array(devices), (AXIS,))
    if split == "seeds":
        train = make_train(config, env, env_params, on_update=on_update)
        return jax.jit(jax.shard_map(lambda keys: jax.lax.map(train, keys), mesh=mesh, in_specs=P(AXIS), out_specs=P(AXIS), check_vma=False))
    if split != "envs":
        raise ValueError(f"split must be 'envs' or 'seeds', got {split!r}")
    train = make_train(local_config(config, len(devices)), env, env_params, axis_name=AXIS, on_update=on_update)
    # Keys in, parameters and metrics out are replicated: every device holds the same values.
    return jax.jit(jax.shard_map(lambda keys: jax.lax.map(train, keys), mesh=mesh, in_specs=P(), out_specs=P(), check_vma=False))


def train_sharded(config: PPOConfig, env, seeds, devices=None, env_params=None, split: str = "envs"):
    """Train one policy per seed, data-parallel over `devices`; (learners, metrics) with a leading seed axis."""
    count = len(jax.devices() if devices is None else devices)
    if split == "seeds" and len(seeds) % count:
        raise ConfigError(f"{len(seeds)} seeds do not split over {count} devices")
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    return make_sharded_train(config, env, devices, env_params, split=split)(keys)
