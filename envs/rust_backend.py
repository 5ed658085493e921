"""The Rust translations (`rust_envs/`, module `envport_rust`) as Gymnasium environments.

- `RustEnv`: one environment as a `gymnasium.Env` (no auto-reset; the time limit is
  the Rust env's own, as `gymnasium.make`'s TimeLimit applies it).
- `RustVectorEnv`: a batch as a `gymnasium.vector.VectorEnv`, auto-reset mode
  SAME_STEP, the final observations in `info["final_obs"]` / `info["_final_obs"]`
  as Gymnasium's own vector envs report them. Stepping writes into numpy buffers
  allocated once by Rust, with the GIL released and rayon over chunks of envs. The
  arrays returned are those buffers (views, overwritten by the next step): copy what you keep.

Both register under `envport/<gym id>` with `/` in the id turned into `-` (e.g.
`gymnasium.make_vec("envport/CartPole-v1", num_envs=512, vectorization_mode="vector_entry_point")`,
`envport/MinAtar-Breakout-v0`).

Which classes translate a port is the port's own metadata: `Port.rust_classes` (single, vector)
in `envport_rust`, set with "rust" in `Port.backends` (classic control: in each port's
`__init__.py`; MinAtar: `envs.minatar.port.minatar_port(rust=True)`), matching the port's line in
rust_envs/src/bindings/mod.rs. `rust_ports()` lists them.

Legal-action masks (ports declaring `Port.action_mask`): `RustEnv` returns `info["action_mask"]`, a bool
array `(n,)` from the Rust env's `action_mask()`, after `reset` and every `step`; `RustVectorEnv` returns
`info["action_mask"]`, the Rust vector env's own bool buffer `(num_envs, n)` that the core writes for the
returned (post-autoreset) states (a view, like the other buffers).

MinAtar games: observations are the reference's bool (10, 10, C) grids (classes `MinAtar<Title>`,
`MinAtar<Title>Vec`). Their vector env writes `final_obs` rows only for envs that finished (the
`_final_obs` mask).
Keyword options (`sticky_action_prob`, `difficulty_ramping`, `minimal_action_set`) pass
through to the Rust classes.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

NAMESPACE = "envport"


def has_rust(port) -> bool:
    """Whether `port` declares a Rust translation (classes in envport_rust)."""
    return "rust" in port.backends and port.rust_classes is not None


def rust_ports(ports=None) -> list:
    """The ports (all registered ones, or `ports`) that declare a Rust translation, in order."""
    if ports is None:
        from envs.registry import all_ports

        ports = all_ports()
    return [p for p in ports if has_rust(p)]


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
    if gym_id.startswith("MinAtar/"):
        from envs.minatar.reference import _register

        _register()
    env = gymnasium.make(gym_id, disable_env_checker=True)
    return env.observation_space, env.action_space


def _spaces(port, options: dict) -> tuple[gymnasium.Space, gymnasium.Space]:
    """The reference's observation and action spaces: from its Gymnasium registration, or (a user's port whose
    id Gymnasium does not know) from the port's own reference."""
    space_id = _space_id(port, options)
    try:
        return _reference_spaces(space_id)
    except gymnasium.error.Error:
        if space_id not in _PORT_SPACES:
            env = port.make_reference()
            _PORT_SPACES[space_id] = (env.observation_space, env.action_space)
        return _PORT_SPACES[space_id]


_PORT_SPACES: dict[str, tuple[gymnasium.Space, gymnasium.Space]] = {}


def _space_id(port, options: dict) -> str:
    """The reference id whose spaces apply: a MinAtar game's `-v1` (minimal action set) when asked for."""
    if options.get("minimal_action_set") and port.gym_id.startswith("MinAtar/"):
        return port.gym_id.replace("-v0", "-v1")
    return port.gym_id


def rust_gym_id(port) -> str:
    """The id the Rust translation registers under: `envport/<gym id>` with `/` in the id made `-`."""
    return f"{NAMESPACE}/{port.gym_id.replace('/', '-')}"


def _classes(port) -> tuple[Any, Any]:
    if not has_rust(port):
        raise LookupError(f"no Rust translation of {port.name}; Rust ports: {', '.join(p.name for p in rust_ports())}")
    module = _module()
    single, vector = port.rust_classes
    return getattr(module, single), getattr(module, vector)


def _seated_class(port) -> Any:
    """The vector class of `port`'s game seen from seat 0 (`<Vec class without Vec>SeatedVec`, rust_envs/src/games/seated.rs)."""
    vector = port.rust_classes[1]
    name = vector[: -len("Vec")] + "SeatedVec" if vector.endswith("Vec") else vector + "Seated"
    _classes(port)  # a port without a Rust translation: its LookupError, naming the Rust ports
    seated = getattr(_module(), name, None)
    if seated is None:
        raise LookupError(f"the Rust extension has no seated class {name} for {port.name}: add `{port.rust_classes[0]} => {name};` "
                          "to seated_games! in rust_envs/src/bindings/mod.rs and rebuild (bash setup.sh)")
    return seated


def make_rust_single(port, seed: int | None = None, **options) -> Any:
    """The raw Rust environment of `port` (reset_det, step, get_state, set_state; MinAtar: step_det too)."""
    return _classes(port)[0](seed=seed, **options) if seed is not None else _classes(port)[0](**options)


class RustEnv(gymnasium.Env):
    """One Rust environment behind the Gymnasium API."""

    metadata = {"render_modes": []}

    def __init__(self, port, **options):
        self.port = port
        self.observation_space, self.action_space = _spaces(port, options)
        self.rust = make_rust_single(port, **options)
        self._obs_dtype = self.observation_space.dtype
        self._masked = bool(getattr(port, "action_mask", False))

    def _info(self) -> dict:
        return {"action_mask": np.asarray(self.rust.action_mask(), bool)} if self._masked else {}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs = self.rust.reset(seed) if seed is not None else self.rust.reset()
        return np.asarray(obs, self._obs_dtype), self._info()

    def step(self, action):
        obs, reward, terminated, truncated = self.rust.step(action)
        return np.asarray(obs, self._obs_dtype), float(reward), bool(terminated), bool(truncated), self._info()


class RustVectorEnv(gymnasium.vector.VectorEnv):
    """A batch of Rust environments stepping in Rust threads; SAME_STEP auto-reset."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, port, num_envs: int, seed: int | None = None, num_threads: int | None = None, seated: bool = False,
                 **options):
        self.port = port
        self.num_envs = int(num_envs)
        self.single_observation_space, self.single_action_space = _spaces(port, options)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        make = _seated_class(port) if seated else _classes(port)[1]
        self.rust = make(self.num_envs, 0 if seed is None else seed, num_threads=num_threads, **options)
        self._discrete = isinstance(self.single_action_space, gymnasium.spaces.Discrete)
        # the Rust mask buffer (the same array every step), or None for a port without a mask
        self._mask = self.rust.action_mask if getattr(port, "action_mask", False) else None
        if getattr(port, "action_mask", False) and self._mask is None:
            raise TypeError(f"{port.name} declares an action mask but {port.rust_classes[1]} has none")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs = self.rust.reset(seed=seed)
        return obs, ({} if self._mask is None else {"action_mask": self._mask})

    def step(self, actions):
        # The Rust class checks the dtype and shape itself; this method only converts what is not an array
        # yet and words a dtype error for the port. A numpy check per step (`actions.dtype.kind`) and a
        # method call for the info dict were half of this wrapper's 0.3 us a step (docs/benchmarks.md,
        # *Rust through Python*).
        if type(actions) is not np.ndarray:
            actions = np.asarray(actions)
        try:
            # `done` is Rust's terminated | truncated buffer, or None where no env finished (numpy's `|` and
            # a count took 1-2 us a step here)
            obs, reward, terminated, truncated, final_obs, done = self.rust.step(actions)
        except TypeError:
            if self._discrete and actions.dtype.kind not in "iu":
                raise TypeError(f"actions for {self.port.gym_id} must be integers, got dtype {actions.dtype}") from None
            raise
        # a new dict every step: Gymnasium's wrappers add keys to the info they are given
        if done is None:
            return obs, reward, terminated, truncated, ({} if self._mask is None else {"action_mask": self._mask})
        # Gymnasium's layout for array infos: a dense (num_envs, ...) array plus a `_key` mask.
        # final_obs is the Rust buffer itself: rows that did not end hold their obs (classic control)
        # or stale data (MinAtar); only the rows of the mask count.
        info = {"final_obs": final_obs, "_final_obs": done, "final_info": {}, "_final_info": done}
        if self._mask is not None:
            info["action_mask"] = self._mask
        return obs, reward, terminated, truncated, info


def make_rust_vector(port, num_envs: int, seed: int | None = 0, num_threads: int | None = None, seated: bool = False,
                     **options) -> RustVectorEnv:
    """`num_envs` Rust environments of `port` as a Gymnasium vector env (`options`: the Rust class's keywords).
    `seated`: a turn-based game seen from seat 0, the other seats uniformly random legal inside each step (the
    Rust counterpart of `envs.seated.SeatedJaxEnv`); a step's reward is seat 0's payoff when the game ends."""
    return RustVectorEnv(port, num_envs, seed=seed, num_threads=num_threads, seated=seated, **options)


OPTIONS = ("sticky_action_prob", "difficulty_ramping", "minimal_action_set")  # the MinAtar classes' keywords


def _options(kw: dict) -> dict:
    """The keywords of `gymnasium.make(...)` the Rust classes take (others, like render_mode, are not theirs)."""
    return {k: v for k, v in kw.items() if k in OPTIONS}


def register_gymnasium_ids(ports) -> None:
    """Register `envport/<gym id>` for every port with a Rust translation (single and vector entry points)."""
    for port in rust_ports(ports):
        env_id = rust_gym_id(port)
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=lambda port=port, **kw: RustEnv(port, **_options(kw)),
            vector_entry_point=lambda num_envs, port=port, seed=0, num_threads=None, **kw: RustVectorEnv(port, num_envs, seed, num_threads, **_options(kw)),
            disable_env_checker=True,
        )


def _register_all() -> None:
    from envs.registry import all_ports

    register_gymnasium_ids(all_ports())


_register_all()
