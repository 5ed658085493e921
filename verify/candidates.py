"""Third-party candidates: verify an implementation envport did not write against the same reference.

A candidate SPEC is one of:

- `gymnax:ENV_ID` (e.g. `gymnax:CartPole-v1`): a gymnax environment, wrapped by a
  built-in adapter that maps its state layout onto the port's;
- `module:object`: anything following envport's JAX contract (`envs.jax_env.JaxEnv`):
  a class, a factory or an instance;
- `path/to/adapter.py`: the adapter hook, a small Python file defining
  `make_candidate(port)` that returns `(env, ignored_fields)` or just `env`, for
  implementations with another API or state layout (see `GymnaxCandidate` below
  for a complete example).

Fields the candidate does not model (`ignored_fields`, with defaults used when a
state is written to the reference) are left out of the comparison and named in
the report.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import spaces
from envs.jax_env import JaxEnv
from envs.spec import Port


class CandidateError(ValueError):
    """A candidate that cannot be loaded or does not fit the port; the message says what to fix."""


@dataclass
class Candidate:
    """A loaded candidate: the environment object and the port fields it does not model."""

    spec: str
    env: Any
    ignored: dict[str, Any] = field(default_factory=dict)  # field -> value written to the reference

    def port_view(self, port: Port) -> Port:
        """The port as this candidate can be compared: unmodelled fields dropped, defaults filled in."""
        if not self.ignored:
            return port
        defaults = dict(self.ignored)
        base_set, base_canon = port.set_state, port.canonical_state
        return port.replace(
            state_fields=tuple(f for f in port.state_fields if f.name not in defaults),
            set_state=lambda env, state: base_set(env, {**defaults, **state}),
            canonical_state=(lambda s: base_canon({**defaults, **s})) if base_canon else None,
        )


# ----- gymnax --------------------------------------------------------------------

# port -> ({port field: gymnax field}, {unmodelled port field: value for the reference}); gymnax's id is the port's `gymnax_id`
GYMNAX_LAYOUTS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "cartpole": ({"x": "x", "x_dot": "x_dot", "theta": "theta", "theta_dot": "theta_dot", "time": "time"}, {"steps_beyond_terminated": -1}),
    "acrobot": ({"theta1": "joint_angle1", "theta2": "joint_angle2", "dtheta1": "velocity_1", "dtheta2": "velocity_2", "time": "time"}, {}),
    "mountaincar": ({"position": "position", "velocity": "velocity", "time": "time"}, {}),
    "mountaincar-continuous": ({"position": "position", "velocity": "velocity", "time": "time"}, {"state_f32": True}),
    "pendulum": ({"theta": "theta", "theta_dot": "theta_dot", "last_u": "last_u", "time": "time"}, {}),
}


def _our_space(space: Any) -> Any:
    if hasattr(space, "n"):
        return spaces.Discrete(int(space.n))
    return spaces.Box(np.asarray(space.low), np.asarray(space.high), tuple(space.shape), space.dtype)


class GymnaxCandidate(JaxEnv):
    """A gymnax environment seen through envport's contract.

    - State: a flat dataclass with the port's modelled field names, converted to and
      from the gymnax state by the layout.
    - Reset: gymnax draws its initial state from the key with no separate draws, so
      `sample_reset_draws` runs gymnax's own `reset_env` and maps the state back to
      the reference's standard uniforms through the port translation's reset formula
      (`reset_inverse`); the D level then tests gymnax's initial distribution, and
      `reset_det` builds the initial state with the port translation's formula.
    - Step: gymnax's `step_env` (its own terminated flag; truncation by the shared time
      limit); observations from gymnax's `get_obs`.
    """

    def __init__(self, port: Port, gymnax_env: Any, gymnax_params: Any, layout: dict[str, str], reset_inverse):
        self.name = f"gymnax:{port.gymnax_id}"
        self._env, self._params, self._layout = gymnax_env, gymnax_params, layout
        self._ours = port.make_jax()
        self._inverse = reset_inverse
        names = tuple(layout)
        self.State = struct.dataclass(type("State", (), {"__annotations__": {n: jax.Array for n in names}}))

    @property
    def default_params(self):
        return self._params

    def _to_gymnax(self, state):
        template = self._env.reset_env(jax.random.PRNGKey(0), self._params)[1]
        values = {g: jnp.asarray(getattr(state, ours), dtype=jnp.asarray(getattr(template, g)).dtype) for ours, g in self._layout.items()}
        return template.replace(**values)

    def _from_gymnax(self, gstate):
        return self.State(**{ours: jnp.asarray(getattr(gstate, g)) for ours, g in self._layout.items()})

    def sample_reset_draws(self, key, params):
        _, gstate = self._env.reset_env(key, params)
        return self._inverse(self._from_gymnax(gstate))

    def reset_det(self, draws, params):
        _, ours = self._ours.reset_det(draws, self._ours.default_params)
        state = self.State(**{n: getattr(ours, n) for n in self._layout})
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        _, gstate, reward, terminated, _ = self._env.step_env(jax.random.PRNGKey(0), self._to_gymnax(state), action, params)
        next_state = self._from_gymnax(gstate)
        return next_state, jnp.asarray(reward), jnp.asarray(terminated)

    def get_obs(self, state, params=None):
        # gymnax computes observations in the compute dtype (float64 while verifying); users of
        # gymnax see float32, as the reference's space says, so compare in float32.
        params = self.default_params if params is None else params
        return self._env.get_obs(self._to_gymnax(state), params).astype(jnp.float32)

    def action_space(self, params=None):
        return _our_space(self._env.action_space(self._params if params is None else params))

    def observation_space(self, params=None):
        return _our_space(self._env.observation_space(self._params if params is None else params))


def _uniform_inverse(low: float, high: float, fields: tuple[str, ...]):
    """Map initial-state values back to the standard uniforms of `low + (high - low) * u`."""

    def inverse(state):
        values = jnp.stack([jnp.asarray(getattr(state, f)) for f in fields]) if len(fields) > 1 else jnp.asarray(getattr(state, fields[0]))
        return {"reset_uniform": (values - low) / (high - low)}

    return inverse


def _pendulum_inverse(state):
    u0 = (jnp.asarray(state.theta) + jnp.pi) / (2 * jnp.pi)
    u1 = (jnp.asarray(state.theta_dot) + 1.0) / 2.0
    return {"reset_uniform": jnp.stack([u0, u1])}


RESET_INVERSES = {
    "cartpole": _uniform_inverse(-0.05, 0.05, ("x", "x_dot", "theta", "theta_dot")),
    "acrobot": _uniform_inverse(-0.1, 0.1, ("theta1", "theta2", "dtheta1", "dtheta2")),
    "mountaincar": _uniform_inverse(-0.6, -0.4, ("position",)),
    "mountaincar-continuous": _uniform_inverse(-0.6, -0.4, ("position",)),
    "pendulum": _pendulum_inverse,
}


def _gymnax_candidate(port: Port, env_id: str) -> Candidate:
    try:
        import gymnax
    except ImportError as exc:
        raise CandidateError(f"gymnax is not installed ({exc}); install it with `bash setup.sh` (it adds gymnax for comparisons)") from exc
    if port.name.startswith("minatar-"):  # randomness read back from gymnax's keys: verify/gymnax_minatar.py
        from verify.gymnax_minatar import GAMES, gymnax_minatar_candidate

        if port.name in GAMES:
            try:
                env, ignored = gymnax_minatar_candidate(port, env_id)
            except ValueError as exc:
                raise CandidateError(str(exc)) from exc
            return Candidate(f"gymnax:{env_id}", env, ignored)
    if port.name not in GYMNAX_LAYOUTS:
        raise CandidateError(f"no gymnax adapter for port {port.name!r}; known: {', '.join(GYMNAX_LAYOUTS)}. Write an adapter file (see verify/candidates.py)")
    expected_id = port.gymnax_id
    layout, ignored = GYMNAX_LAYOUTS[port.name]
    if env_id != expected_id:
        raise CandidateError(f"gymnax:{env_id} is not a translation of {port.name}; use gymnax:{expected_id}")
    try:
        genv, gparams = gymnax.make(env_id)
    except Exception as exc:
        raise CandidateError(f"gymnax.make({env_id!r}) failed: {type(exc).__name__}: {exc}") from exc
    return Candidate(f"gymnax:{env_id}", GymnaxCandidate(port, genv, gparams, layout, RESET_INVERSES[port.name]), dict(ignored))


# ----- module:object and adapter files ------------------------------------------------------


def _instantiate(obj: Any, spec: str) -> Any:
    env = obj() if inspect.isclass(obj) or (callable(obj) and not hasattr(obj, "step")) else obj
    missing = [m for m in ("reset", "step", "reset_det", "step_env_det", "sample_draws", "sample_reset_draws", "action_space", "observation_space", "default_params") if not hasattr(env, m)]
    if missing:
        raise CandidateError(
            f"{spec} does not follow envport's JAX contract: it lacks {', '.join(missing)}. "
            "Subclass envs.jax_env.JaxEnv, or wrap it with an adapter file defining make_candidate(port) (see verify/candidates.py)"
        )
    return env


def _adapter_file(port: Port, path: Path) -> Candidate:
    if not path.is_file():
        raise CandidateError(f"adapter file {path} does not exist")
    name = f"_envport_adapter_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, as an import would: dataclasses (flax.struct's too) look their module up by name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise CandidateError(f"adapter file {path} failed to import: {type(exc).__name__}: {exc}") from exc
    if not hasattr(module, "make_candidate"):
        raise CandidateError(f"adapter file {path} must define make_candidate(port)")
    made = module.make_candidate(port)
    env, ignored = made if isinstance(made, tuple) else (made, {})
    return Candidate(str(path), _instantiate(env, str(path)), dict(ignored))


def load_candidate(port: Port, spec: str) -> Candidate:
    """Load the candidate named by `spec` for `port`; CandidateError says what is wrong and how to fix it."""
    spec = spec.strip()
    if spec.endswith(".py"):
        return _adapter_file(port, Path(spec))
    if ":" not in spec:
        raise CandidateError(f"candidate {spec!r}: expected gymnax:ENV_ID, module:object or an adapter file path ending in .py")
    prefix, _, rest = spec.partition(":")
    if prefix == "gymnax":
        return _gymnax_candidate(port, rest)
    try:
        module = importlib.import_module(prefix)
    except Exception as exc:
        raise CandidateError(f"candidate {spec!r}: cannot import module {prefix!r}: {type(exc).__name__}: {exc}") from exc
    obj = module
    for part in rest.split("."):
        if not hasattr(obj, part):
            raise CandidateError(f"candidate {spec!r}: module {prefix!r} has no attribute {rest!r}")
        obj = getattr(obj, part)
    try:
        return Candidate(spec, _instantiate(obj, spec))
    except CandidateError:
        raise
    except Exception as exc:
        raise CandidateError(f"candidate {spec!r}: constructing it failed: {type(exc).__name__}: {exc}") from exc
