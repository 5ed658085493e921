"""Conformance tests of a written specification: the rules a spec numbers, and the pytest plugin that runs the
agent's conformance tests against any implementation (`envport create`, docs/recipe.md).

A spec numbers its rules `R-<n>.<m>` (`R-7.4`); a spec without such ids is covered by its numbered sections
(`## 3. State` is `S-3`). A test names the rules it checks in its name (`test_R7_4_...`) or its docstring
(a docstring starting `R-7.4: ...`).

The tests take their implementation from the fixture `make_env` this plugin provides
(`python -m pytest -p recipe.conformance PKG/test_conformance.py`): a factory of fresh environments with the
spec's interface (`reset`, `step`, `get_state`, `set_state`). Which implementation is chosen by two environment
variables: `ENVPORT_CONFORMANCE_PACKAGE` (the port's package, importable) and `ENVPORT_CONFORMANCE` (`reference`,
the default; `jax`: the port's JAX translation behind `JaxFace`; `rust`: its Rust translation's Gymnasium face,
`RustFace`). Tests marked `reference_stream` depend on numpy's generator stream (a seed's exact numbers, a replaced
`np_random`) and are skipped for a translation, whose random numbers come from JAX keys or the Rust generator; the
verifier's levels compare its randomness through the tape instead.

A test that needs given random outcomes on every implementation (a spec's worked example, which names the numbers
drawn) asks for the fixture `forced_draws` instead: `forced_draws.reset(env, deck0=..., deck1=...)` and
`forced_draws.step(env, action, gull_hits=[...])` reset or step with the draws the port's metadata declares, given by
name (`DrawSpec`: integers as drawn, `index` uniforms answering `integers(0, k)` as `floor(u * k)`). The reference
takes them through the verifier's tape (which also fails on a call they do not answer, or on draws left over), a
translation's face through its deterministic entry points (`reset_det`, `step_det`).
"""

from __future__ import annotations

import importlib
import os
import re
from typing import Any

import numpy as np

PACKAGE_ENV = "ENVPORT_CONFORMANCE_PACKAGE"
IMPLEMENTATION_ENV = "ENVPORT_CONFORMANCE"
RESULTS_ENV = "ENVPORT_CONFORMANCE_RESULTS"  # where the plugin writes each test's outcome (JSON), when set
IMPLEMENTATIONS = ("reference", "jax", "rust")

_RULE = re.compile(r"(?<![A-Za-z0-9])R[-_]?(\d+)[._](\d+)(?!\d)")  # R7_4 (also inside test_R7_4_x)
_SECTION_HEADING = re.compile(r"^#{1,3}\s*(\d+)\.?\s+\S", re.MULTILINE)
_SECTION = re.compile(r"(?<![A-Za-z0-9])S[-_]?(\d+)(?![\d._])")


def spec_rules(text: str) -> list[str]:
    """The ids a spec's tests must cover, in order: its rule ids (`R-7.4`), else its numbered sections (`S-3`)."""
    rules = sorted({(int(a), int(b)) for a, b in _RULE.findall(text)})
    if rules:
        return [f"R-{a}.{b}" for a, b in rules]
    return [f"S-{n}" for n in sorted({int(n) for n in _SECTION_HEADING.findall(text)})]


def named_rules(text: str) -> set[str]:
    """The rule and section ids a test's name or docstring names (`R-7.4`, `R7_4`, `S-3`, `S3`)."""
    return {f"R-{a}.{b}" for a, b in _RULE.findall(text)} | {f"S-{n}" for n in _SECTION.findall(text)}


# ----- the Gymnasium face of a JAX translation --------------------------------------------------

class JaxFace:
    """A port's JAX translation with the spec's interface: reset(seed) / step(a) / get_state() / set_state(d).

    Its random numbers come from a JAX key seeded by `reset(seed=...)`, not from numpy's stream (so tests marked
    `reference_stream` do not apply). No auto-reset: like the reference, a step after the episode ended is outside the
    spec. `info["action_mask"]` is the translation's `action_mask` of the returned state, when the port has a mask.
    """

    _compiled: dict[str, tuple] = {}  # port name -> (env, jitted step, draws, reset, mask): each test's face reuses them

    def __init__(self, port: Any):
        import jax

        if port.name not in JaxFace._compiled:
            env = port.make_jax()
            JaxFace._compiled[port.name] = (env, jax.jit(env.step_env_det), jax.jit(env.sample_draws), jax.jit(env.reset),
                                            jax.jit(env.action_mask))
        self.port = port
        self.env, self._step, self._draws, self._reset, self._mask = JaxFace._compiled[port.name]
        self.params = self.env.default_params
        self.action_space = self.env.action_space(self.params).to_gymnasium()
        self.observation_space = self.env.observation_space(self.params).to_gymnasium()
        self._key = jax.random.PRNGKey(0)
        self._state = None

    def _split(self):
        import jax

        self._key, key = jax.random.split(self._key)
        return key

    def _info(self) -> dict[str, Any]:
        if not self.port.action_mask:
            return {}
        return {"action_mask": np.asarray(self._mask(self._state, self.params), dtype=bool)}

    def reset(self, seed: int | None = None, options: Any = None):
        """A new episode; `seed` seeds the JAX key."""
        import jax

        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        obs, self._state = self._reset(self._split(), self.params)
        return np.asarray(obs), self._info()

    def step(self, action):
        """One step without auto-reset: (obs, reward, terminated, truncated, info), Python scalars as Gymnasium has them."""
        draws = self._draws(self._split(), self._state, self.params)
        obs, self._state, reward, terminated, truncated = self._step(self._state, action, draws, self.params)
        return np.asarray(obs), float(reward), bool(terminated), bool(truncated), self._info()

    def reset_with_draws(self, draws: dict[str, np.ndarray]):
        """A new episode from the given reset draws (every reset draw of the port, by name)."""
        import jax.numpy as jnp

        obs, self._state = self.env.reset_det({k: jnp.asarray(v) for k, v in draws.items()}, self.params)
        return np.asarray(obs), self._info()

    def step_with_draws(self, action, draws: dict[str, np.ndarray]):
        """`step` with the given step draws in place of the key's (the auto-reset's draws, unused, from the key)."""
        import jax.numpy as jnp

        sampled = self._draws(self._split(), self._state, self.params)
        step = {**sampled["step"], **{k: jnp.asarray(v, sampled["step"][k].dtype) for k, v in draws.items()}}
        obs, self._state, reward, terminated, truncated = self._step(self._state, action, {**sampled, "step": step}, self.params)
        return np.asarray(obs), float(reward), bool(terminated), bool(truncated), self._info()

    def get_state(self) -> dict[str, np.ndarray]:
        """The port's state fields, as numpy arrays of the declared dtypes."""
        return {f.name: np.asarray(getattr(self._state, f.name)).astype(f.dtype) for f in self.port.state_fields}

    def set_state(self, state: dict[str, Any]) -> None:
        """Overwrite every state field (the translation's own extra fields, such as `time`, are kept)."""
        import jax.numpy as jnp

        if self._state is None:
            self.reset(seed=0)
        self._state = self._state.replace(**{
            f.name: jnp.asarray(state[f.name], jnp.asarray(getattr(self._state, f.name)).dtype) for f in self.port.state_fields})

    @property
    def unwrapped(self):
        return self


def rust_face(port: Any):
    """The port's Rust translation behind its Gymnasium face (`envs.rust_backend.RustEnv`: reset, step with
    info["action_mask"], no auto-reset), with `get_state` / `set_state` over the port's state fields in their declared
    dtypes, as the conformance tests use them."""
    from envs.rust_backend import RustEnv

    class RustFace(RustEnv):
        def get_state(self) -> dict[str, np.ndarray]:
            """The port's state fields, as numpy arrays of the declared dtypes."""
            state = self.rust.get_state()
            return {f.name: np.asarray(state[f.name]).astype(f.dtype) for f in self.port.state_fields}

        def set_state(self, state: dict[str, Any]) -> None:
            """Overwrite every state field (the Rust env takes them as int64 / bool arrays of the fields' shapes)."""
            self.rust.set_state({f.name: np.asarray(state[f.name]).astype(np.int64 if f.kind == "int" else f.dtype)
                                 .reshape(f.shape) for f in self.port.state_fields})

        def reset_with_draws(self, draws: dict[str, np.ndarray]):
            """A new episode from the given reset draws (the Rust class's `reset_det`)."""
            obs = self.rust.reset_det(draws)
            return np.asarray(obs, self._obs_dtype), self._info()

        def step_with_draws(self, action, draws: dict[str, np.ndarray]):
            """`step` with the given step draws (the Rust class's `step_det`, which takes finite numbers only: the
            NaN padding of an up_to draw, elements the test expects unused, becomes 0.5)."""
            obs, reward, terminated, truncated = self.rust.step_det(action, {k: np.nan_to_num(np.asarray(v, np.float64), nan=0.5)
                                                                             for k, v in draws.items()})
            return np.asarray(obs, self._obs_dtype), float(reward), bool(terminated), bool(truncated), self._info()

    return RustFace(port)


class ForcedDraws:
    """Reset or step any implementation of a port with given draws (the `forced_draws` fixture; module docstring)."""

    def __init__(self, port: Any):
        self.port = port

    def full(self, phase: str, given: dict[str, Any]) -> dict[str, np.ndarray]:
        """Every draw the port declares for `phase`, from `given`: an up_to draw given fewer elements (or none) is
        padded with NaN, so that an implementation taking more of it than the test expects does not get a number
        (the reference's tape refuses NaN); any other draw must be given whole."""
        specs = self.port.draws_for(phase)
        unknown = sorted(set(given) - {d.name for d in specs})
        if unknown:
            raise ValueError(f"{self.port.name} declares no {phase} draws {unknown}; its {phase} draws are "
                             f"{[d.name for d in specs]}")
        out = {}
        for spec in specs:
            floats = spec.kind in ("uniform", "index", "normal")
            value = np.asarray(given.get(spec.name, []), np.float64 if floats else np.int64)
            if spec.up_to and value.shape[:1] < tuple(spec.shape[:1]):
                pad = np.full((spec.shape[0] - (value.shape[0] if value.ndim else 0), *spec.shape[1:]), np.nan)
                value = np.concatenate([value.reshape(-1, *spec.shape[1:]).astype(np.float64), pad])
            if tuple(value.shape) != tuple(spec.shape):
                raise ValueError(f"{phase} draw {spec.name!r} needs shape {tuple(spec.shape)}, got {tuple(value.shape)}")
            out[spec.name] = value
        return out

    def _on_reference(self, env, phase: str, draws: dict, call):
        from verify.tape import tape_for

        tape = tape_for(self.port, phase, draws)
        with self.port.swap_randomness(env, tape):
            out = call()
        tape.finish()
        return out

    def reset(self, env, **draws):
        """`env.reset()` with the given reset draws: (obs, info)."""
        full = self.full("reset", draws)
        if hasattr(env, "reset_with_draws"):
            return env.reset_with_draws(full)
        return self._on_reference(env, "reset", full, env.reset)

    def step(self, env, action, **draws):
        """`env.step(action)` with the given step draws: (obs, reward, terminated, truncated, info)."""
        full = self.full("step", draws)
        if hasattr(env, "step_with_draws"):
            return env.step_with_draws(action, full)
        return self._on_reference(env, "step", full, lambda: env.step(action))


def load_port(package: str):
    """The PORT of an importable port package."""
    module = importlib.import_module(package)
    if not hasattr(module, "PORT"):
        raise AttributeError(f"{package}/__init__.py defines no PORT = Port(...)")
    return module.PORT


def make_implementation(package: str, implementation: str = "reference"):
    """A factory of fresh environments: the port's reference (`make_reference`), its JAX translation's face or its
    Rust translation's face."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"{IMPLEMENTATION_ENV}={implementation!r}: choose one of {', '.join(IMPLEMENTATIONS)}")
    port = load_port(package)
    if implementation == "jax":
        return lambda: JaxFace(port)
    if implementation == "rust":
        return lambda: rust_face(port)
    return lambda: port.make_reference()


# ----- the pytest plugin (`-p recipe.conformance`) ------------------------------------------------

def pytest_configure(config) -> None:
    """Declare the marker."""
    config.addinivalue_line("markers", "reference_stream: depends on numpy's generator stream (skipped for a translation)")


def pytest_collection_modifyitems(config, items) -> None:
    """Skip `reference_stream` tests for a translation, saying why."""
    import pytest

    implementation = os.environ.get(IMPLEMENTATION_ENV, "reference")
    if implementation == "reference":
        return
    skip = pytest.mark.skip(reason=f"depends on numpy's generator stream; the {implementation} translation draws from "
                                   "JAX keys (its randomness is verified through the tape by levels D and L1-L3)")
    for item in items:
        if item.get_closest_marker("reference_stream"):
            item.add_marker(skip)


def pytest_runtest_logreport(report) -> None:
    """Record each test's outcome (the call phase, or a failed/skipped setup) for `envport create`'s check."""
    if report.when != "call" and not (report.failed or report.skipped):
        return
    _RESULTS.append({"nodeid": report.nodeid, "outcome": report.outcome, "when": report.when,
                                    "message": str(report.longrepr)[-3000:] if report.failed else ""})


_RESULTS: list[dict[str, Any]] = []
_NAMES: dict[str, str] = {}  # node id -> its name and docstring


def pytest_itemcollected(item) -> None:
    """Remember what each test names (its node id and docstring)."""
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    _NAMES[item.nodeid] = f"{item.nodeid}\n{doc}"


def pytest_sessionfinish(session, exitstatus) -> None:
    """Write the outcomes and what each test names to $ENVPORT_CONFORMANCE_RESULTS."""
    import json

    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    with open(path, "w") as fh:
        json.dump({"tests": [{**r, "rules": sorted(named_rules(_NAMES.get(r["nodeid"], r["nodeid"])))} for r in _RESULTS],
                   "collected": {k: sorted(named_rules(v)) for k, v in _NAMES.items()}, "exitstatus": int(exitstatus)}, fh)


def _fixture():
    import pytest

    @pytest.fixture
    def make_env(request):
        """A factory of fresh environments of the implementation under test (see the module docstring); the port's
        package is $ENVPORT_CONFORMANCE_PACKAGE, else the package of the test module."""
        package = os.environ.get(PACKAGE_ENV) or request.module.__name__.rpartition(".")[0]
        if not package:
            pytest.fail(f"set {PACKAGE_ENV} to the port's package (envport create sets it), or keep the tests in the port's package")
        return make_implementation(package, os.environ.get(IMPLEMENTATION_ENV, "reference"))

    @pytest.fixture
    def forced_draws(request):
        """Reset or step the implementation under test with given draws (`ForcedDraws`, module docstring)."""
        package = os.environ.get(PACKAGE_ENV) or request.module.__name__.rpartition(".")[0]
        return ForcedDraws(load_port(package))

    return make_env, forced_draws


try:  # the fixture exists only where pytest does (this module is also imported by the recipe)
    make_env, forced_draws = _fixture()
except ImportError:  # pragma: no cover
    pass
