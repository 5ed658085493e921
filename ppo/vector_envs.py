"""Host vector environments that PPO can train on, all in Gymnasium's SAME_STEP auto-reset mode.

- `rust`: the port's Rust vector env (`envs.rust_backend.make_rust_vector`), stepping in Rust threads; for a port
  that trains from one seat (`Port.extra["train_env"]`, the turn-based card games) its seated form, the other seats
  uniformly random legal inside each step, as the JAX training face;
- `reference`: Gymnasium's own `SyncVectorEnv` over the real reference environment.

Same-step auto-reset is what the JAX translations do too, so the three backends hand PPO
the same kind of transitions (`done` = terminated or truncated; the observation after a
done is the next episode's first).
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode

HOST_BACKENDS = ("rust", "reference")


def make_host_vector(port, backend: str, num_envs: int, seed: int = 0, num_threads: int | None = None) -> gymnasium.vector.VectorEnv:
    """`num_envs` environments of `port` on the host, for `backend` in HOST_BACKENDS."""
    if backend == "rust":
        from envs.rust_backend import make_rust_vector

        seated = port.extra.get("train_env") is not None
        return make_rust_vector(port, num_envs, seed=seed, num_threads=num_threads, seated=seated)
    if backend == "reference":
        if port.extra.get("train_env") is not None:
            raise ValueError(f"{port.name} trains from one seat, and its reference has no seated vector env: "
                             "train with --backend jax or --backend rust")
        return gymnasium.vector.SyncVectorEnv([port.make_reference] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
    raise ValueError(f"unknown host backend {backend!r}; known: {', '.join(HOST_BACKENDS)}")


def host_mask(info: dict, *lead: int) -> np.ndarray | None:
    """A host vector env's `info["action_mask"]` (bool, (num_envs, n)) reshaped to `(*lead, n)`, or None
    where the env reports no mask (a port without one). Gymnasium's own vector envs gather each
    environment's `info["action_mask"]` into that array too (the reference side)."""
    mask = info.get("action_mask")
    return None if mask is None else np.asarray(mask, bool).reshape(*lead, -1)
