"""The Rust translations (`rust_envs/`, module `envport_rust`) as Gymnasium environments.

- `RustEnv`: one environment as a `gymnasium.Env` (no auto-reset; the time limit is
  the Rust env's own, as `gymnasium.make`'s TimeLimit applies it).
- `RustVectorEnv`: a batch as a `gymnasium.vector.VectorEnv`, auto-reset mode
  SAME_STEP, the final observations in `info["final_obs"]` / `info["_final_obs"]`
  as Gymnasium's own vector envs report them. Stepping writes into numpy buffers
  allocated once by Rust, with the GIL released and rayon over chunks of envs. The
  arrays returned are those buffers (views, overwritten by the next step): copy what you keep.

Both register under `envport/<gym id>` (e.g. `gymnasium.make_vec("envport/CartPole-v1",
num_envs=512, vectorization_mode="vector_entry_point")`).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

# port name -> (single-env class, vector-env class) in envport_rust
RUST_CLASSES = {
    "cartpole": ("CartPole", "CartPoleVec"),
    "acrobot": ("Acrobot", "AcrobotVec"),
    "mountaincar": ("MountainCar", "MountainCarVec"),
    "mountaincar-continuous": ("MountainCarContinuous", "MountainCarContinuousVec"),
    "pendulum": ("Pendulum", "PendulumVec"),
}
NAMESPACE = "envport"


def rust_available() -> bool:
    """Whether the Rust extension is built and importable."""
    return importlib.util.find_spec("envport_rust") is not None


def _module():
    try:
        import envport_rust
    except ImportError as exc:
        raise ImportError(f"the Rust backend is not built ({exc}); run `bash setup.sh`, which builds rust_envs/ with maturin") from exc
    return envport_rust


@lru_cache(maxsize=None)
def _reference_spaces(gym_id: str) -> tuple[gymnasium.Space, gymnasium.Space]:
    env = gymnasium.make(gym_id, disable_env_checker=True)
    return env.observation_space, env.action_space


def _classes(port) -> tuple[Any, Any]:
    if port.name not in RUST_CLASSES:
        raise LookupError(f"no Rust translation of {port.name}; Rust ports: {', '.join(RUST_CLASSES)}")
    module = _module()
    single, vector = RUST_CLASSES[port.name]
    return getattr(module, single), getattr(module, vector)


def make_rust_single(port, seed: int | None = None) -> Any:
    """The raw Rust environment of `port` (reset_det, step, get_state, set_state)."""
    return _classes(port)[0](seed=seed) if seed is not None else _classes(port)[0]()


class RustEnv(gymnasium.Env):
    """One Rust environment behind the Gymnasium API."""

    metadata = {"render_modes": []}

    def __init__(self, port):
        self.port = port
        self.observation_space, self.action_space = _reference_spaces(port.gym_id)
        self.rust = make_rust_single(port)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs = self.rust.reset(seed) if seed is not None else self.rust.reset()
        return np.asarray(obs, np.float32), {}

    def step(self, action):
        obs, reward, terminated, truncated = self.rust.step(action)
        return np.asarray(obs, np.float32), float(reward), bool(terminated), bool(truncated), {}


class RustVectorEnv(gymnasium.vector.VectorEnv):
    """A batch of Rust environments stepping in Rust threads; SAME_STEP auto-reset."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, port, num_envs: int, seed: int | None = None, num_threads: int | None = None):
        self.port = port
        self.num_envs = int(num_envs)
        self.single_observation_space, self.single_action_space = _reference_spaces(port.gym_id)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.rust = _classes(port)[1](self.num_envs, 0 if seed is None else seed, num_threads=num_threads)
        self._discrete = isinstance(self.single_action_space, gymnasium.spaces.Discrete)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs = self.rust.reset(seed=seed)
        return obs, {}

    def step(self, actions):
        actions = np.asarray(actions)
        if self._discrete and actions.dtype.kind not in "iu":
            raise TypeError(f"actions for {self.port.gym_id} must be integers, got dtype {actions.dtype}")
        obs, reward, terminated, truncated, final_obs = self.rust.step(actions)
        done = terminated | truncated
        if not done.any():
            return obs, reward, terminated, truncated, {}
        # Gymnasium's layout for array infos: a dense (num_envs, ...) array plus a `_key` mask.
        # final_obs is the Rust buffer itself (rows that did not end hold their obs).
        return obs, reward, terminated, truncated, {"final_obs": final_obs, "_final_obs": done, "final_info": {}, "_final_info": done}


def make_rust_vector(port, num_envs: int, seed: int | None = 0, num_threads: int | None = None) -> RustVectorEnv:
    """`num_envs` Rust environments of `port` as a Gymnasium vector env."""
    return RustVectorEnv(port, num_envs, seed=seed, num_threads=num_threads)


def register_gymnasium_ids(ports) -> None:
    """Register `envport/<gym id>` for every port with a Rust translation (single and vector entry points)."""
    for port in ports:
        if port.name not in RUST_CLASSES:
            continue
        env_id = f"{NAMESPACE}/{port.gym_id}"
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=lambda port=port, **kw: RustEnv(port),
            vector_entry_point=lambda num_envs, port=port, seed=0, num_threads=None, **kw: RustVectorEnv(port, num_envs, seed, num_threads),
            disable_env_checker=True,
        )


def _register_all() -> None:
    from envs.registry import all_ports

    register_gymnasium_ids(all_ports())


_register_all()
