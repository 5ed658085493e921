"""L0 contract: does the translation load and obey the interface?"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any, Callable

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

from envs.spec import Port
from verify.process import child_env, last_lines, run_command
from verify.reports.model import LevelResult
from verify.roundtrip import adapter_incomplete

IMPORT_TIMEOUT_S = 120.0
SMOKE_USAGE_EXIT = 2  # verify.smoke's exit status for a candidate spec that names nothing usable
# Checks without which the higher levels cannot run; other L0 failures (a space's bounds,
# say) are reported but the comparison of behaviour still goes ahead.
# ("contract": the L0 run itself raised, see verify.levels.)
# An incomplete adapter ("adapter.complete") writes states the reference never had, which would make every comparison
# above it vacuous for the fields it leaves out.
BLOCKING_CHECKS = frozenset({"import", "metadata.state_fields", "metadata.draws", "reset.jit", "step.jit", "contract", "adapter.complete"})


def contract_blocks(result: LevelResult) -> bool:
    """Whether L0's failures prevent running the higher levels."""
    return any(f["check"] in BLOCKING_CHECKS for f in result.failures)


class LoadProblem(str):
    """Why a translation did not load; `usage` marks a candidate spec that names nothing usable."""

    usage: bool = False


def check_loads(
    port_name: str, candidate: str | None = None, timeout: float = IMPORT_TIMEOUT_S, backend: str = "jax",
    rust_classes: tuple[str, str] | None = None, rust_source: str | None = None,
) -> LoadProblem | None:
    """Import the translation in a fresh interpreter and take one reset and step, with a time limit.

    `rust_classes` / `rust_source`: the Rust classes to load where the registered port does not declare them yet (a
    new games module under verification). Returns the problem (a string), or None when it loads and steps.
    """
    cmd = [sys.executable, "-m", "verify.smoke", port_name, "--backend", backend]
    cmd += ["--candidate", candidate] if candidate else []
    cmd += ["--rust-classes", ",".join(rust_classes)] if rust_classes else []
    cmd += ["--rust-source", rust_source] if rust_source else []
    what = candidate or f"the {backend} translation of {port_name}"
    proc = run_command(cmd, timeout=timeout, stderr="separate", env=child_env())
    if proc.timed_out:
        return LoadProblem(f"loading {what} and taking one step did not finish within {timeout:.0f} s (a hang at import or in reset/step?)")
    if proc.returncode == SMOKE_USAGE_EXIT:
        problem = LoadProblem(last_lines(proc.stderr, 1) or f"{what} is not usable")
        problem.usage = True
        return problem
    if proc.returncode != 0:
        return LoadProblem(f"loading {what} failed (exit {proc.returncode}):\n{last_lines(proc.stderr, 8)}")
    return None


def _spaces_equal(ours: Any, theirs: gymnasium.Space) -> str | None:
    ours = ours.to_gymnasium()
    if type(ours) is not type(theirs):
        return f"{type(ours).__name__} vs the reference's {type(theirs).__name__}"
    if isinstance(theirs, gymnasium.spaces.Discrete):
        return None if (ours.n, ours.start) == (theirs.n, theirs.start) else f"{ours} vs the reference's {theirs}"
    if isinstance(theirs, gymnasium.spaces.Box):
        same = (
            ours.shape == theirs.shape
            and ours.dtype == theirs.dtype
            and np.array_equal(ours.low, theirs.low)
            and np.array_equal(ours.high, theirs.high)
        )
        return None if same else f"{ours} (low {ours.low}, high {ours.high}) vs the reference's {theirs} (low {theirs.low}, high {theirs.high})"
    return None if ours == theirs else f"{ours} vs the reference's {theirs}"


def _shape_dtype(tree: Any) -> Any:
    return jax.tree.map(lambda x: (tuple(np.shape(x)), str(np.asarray(x).dtype)), tree)


Loader = Callable[..., "LoadProblem | str | None"]  # (port_name, candidate=None, timeout=..., backend="jax") -> problem


def check_contract(
    port: Port, env: Any | None = None, reference: Any | None = None, candidate: str | None = None,
    timeout: float = IMPORT_TIMEOUT_S, loader: Loader | None = None,
) -> LevelResult:
    """Run the L0 checks: loads in a subprocess, metadata, jit, vmap, shapes, dtypes, spaces, the adapter's round trip
    and its completeness (`verify.roundtrip`).

    `candidate` names a third-party candidate spec to load in the subprocess instead of the port's translation.
    `loader` is the load check (default `check_loads`): a caller that has loaded the translation in a
    fresh process another way (a mutant's worker, a workspace's new port) answers it instead.
    """
    loader = loader or check_loads
    result = LevelResult("L0")
    start = time.perf_counter()

    def check(name: str, fn: Callable[[], str | None]) -> None:
        result.checks += 1
        try:
            problem = fn()
        except Exception as exc:  # the translation is untrusted: any error is a finding
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            result.fail(name, problem)

    check("import", lambda: loader(port.name, candidate, timeout))
    if result.failures:
        result.passed, result.seconds = False, time.perf_counter() - start
        return result

    env = port.make_jax() if env is None else env
    ref = port.make_reference() if reference is None else reference
    params = env.default_params
    key = jax.random.PRNGKey(0)
    ref_obs_space = ref.observation_space

    def metadata_fields():
        _, state = env.reset(key, params)
        names = [f.name for f in dataclasses.fields(state)]
        declared = [f.name for f in port.state_fields]
        if sorted(names) != sorted(declared):
            return f"translation state fields {names} != port metadata {declared}"
        return None

    def metadata_draws():
        _, state = env.reset(key, params)
        draws = env.sample_draws(key, state, params)
        for phase in ("reset", "step"):
            got = {k: tuple(np.shape(v)) for k, v in draws[phase].items()}
            want = {d.name: tuple(d.shape) for d in port.draws_for(phase)}
            if got != want:
                return f"{phase} draws {got} != port metadata {want}"
        return None

    def reset_jit():
        obs, state = jax.jit(env.reset)(key, params)
        space = ref_obs_space
        if tuple(obs.shape) != space.shape or np.dtype(obs.dtype) != space.dtype:
            return f"reset obs has shape {tuple(obs.shape)} dtype {obs.dtype}; the reference's space has {space.shape} {space.dtype}"
        return None

    def step_jit():
        _, state = env.reset(key, params)
        action = env.action_space(params).sample(key)
        out = jax.jit(env.step)(key, state, action, params)
        if len(out) != 6:
            return f"step returned {len(out)} values; the contract is (obs, state, reward, terminated, truncated, info)"
        obs, state2, reward, terminated, truncated, info = out
        problems = []
        if tuple(obs.shape) != ref_obs_space.shape or np.dtype(obs.dtype) != ref_obs_space.dtype:
            problems.append(f"obs shape {tuple(obs.shape)} dtype {obs.dtype}")
        if np.shape(reward) != () or np.asarray(reward).dtype.kind != "f":
            problems.append(f"reward shape {np.shape(reward)} dtype {np.asarray(reward).dtype} (want a float scalar)")
        for name, flag in (("terminated", terminated), ("truncated", truncated)):
            if np.shape(flag) != () or np.asarray(flag).dtype != np.bool_:
                problems.append(f"{name} shape {np.shape(flag)} dtype {np.asarray(flag).dtype} (want a bool scalar)")
        if _shape_dtype(state2) != _shape_dtype(state):
            problems.append("the state's shapes or dtypes change across a step (breaks lax.scan)")
        if "final_obs" not in info:
            problems.append("info lacks 'final_obs' (same-step auto-reset)")
        return "; ".join(problems) or None

    # float64 under jax_enable_x64, float32 otherwise, or for a float32-native translation (verify.float32.float32_view)
    compute = np.dtype(np.float32 if port.extra.get("precision") == "float32" else jnp.result_type(float))

    # Not blocking, these two: a value in another float dtype still compares, within its precision.
    def reward_dtype():
        _, state = env.reset(key, params)
        reward = jax.jit(env.step)(key, state, env.action_space(params).sample(key), params)[2]
        if np.asarray(reward).dtype != compute:
            return (f"reward dtype {np.asarray(reward).dtype}; translations are dtype-generic, so the reward "
                    f"should be in the compute float dtype ({compute} here)")
        return None

    def draws_dtype():
        _, state = env.reset(key, params)
        draws = env.sample_draws(key, state, params)
        other = [f"{phase}.{name} ({np.asarray(v).dtype})" for phase in ("reset", "step")
                 for name, v in draws[phase].items() if np.asarray(v).dtype.kind == "f" and np.asarray(v).dtype != compute]
        if other:
            return (f"float draws {', '.join(other)} are not in the compute float dtype ({compute} here): "
                    "their resolution, and with it the distribution, would differ from the reference's")
        return None

    def vmap_batch():
        batch = 8
        keys = jax.random.split(key, batch)
        obs, states = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))(keys, params)
        actions = jax.vmap(env.action_space(params).sample)(keys)
        obs2, _, reward, terminated, truncated, _ = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))(
            keys, states, actions, params
        )
        want = (batch, *ref_obs_space.shape)
        if tuple(obs.shape) != want or tuple(obs2.shape) != want:
            return f"vmapped obs shapes {tuple(obs.shape)}, {tuple(obs2.shape)}; want {want}"
        if tuple(reward.shape) != (batch,) or tuple(terminated.shape) != (batch,) or tuple(truncated.shape) != (batch,):
            return "vmapped reward/terminated/truncated are not one value per environment"
        return None

    def action_space():
        return _spaces_equal(env.action_space(params), ref.action_space)

    def observation_space():
        return _spaces_equal(env.observation_space(params), ref_obs_space)

    def reset_obs_in_space():
        obs, _ = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))(jax.random.split(key, 32), params)
        outside = [i for i, o in enumerate(np.asarray(obs)) if not ref_obs_space.contains(o)]
        return f"reset observations {outside} lie outside the reference's observation space" if outside else None

    def adapter_round_trip():
        ref.reset(seed=1)
        before = port.get_state(ref)
        port.set_state(ref, before)
        after = port.get_state(ref)
        changed = [k for k in before if not np.array_equal(before[k], after[k], equal_nan=True)]
        missing = sorted({f.name for f in port.state_fields} - set(before))
        if missing:
            return f"the reference adapter does not read state fields {missing}"
        return f"set_state(get_state()) changed {changed}" if changed else None

    def action_mask():
        """Masked ports: the mask's shape and dtype on both sides, and step_det's info entry (the mask contract)."""
        problems = []
        if bool(getattr(env, "has_action_mask", False)) != port.action_mask:
            problems.append(f"the translation's has_action_mask is {bool(getattr(env, 'has_action_mask', False))}, "
                            f"Port.action_mask is {port.action_mask}: the two must agree")
        if not port.action_mask:
            return "; ".join(problems) or None
        n = getattr(ref.action_space, "n", None)
        if n is None:
            return f"the port declares an action mask but the reference's action space {ref.action_space} is not Discrete"
        want = f"a bool array of shape ({n},)"
        shape_dtype = lambda m: (tuple(np.shape(m)), np.asarray(m).dtype)
        _, info = ref.reset(seed=0)
        for when, got in (("reset", info), ("step", ref.step(0)[4])):
            mask = got.get("action_mask") if isinstance(got, dict) else None
            if mask is None:
                problems.append(f"the reference's {when} info has no 'action_mask'")
            elif shape_dtype(mask) != ((n,), np.dtype(bool)):
                problems.append(f"the reference's {when} info['action_mask'] has shape {np.shape(mask)} dtype {np.asarray(mask).dtype}; want {want}")
        _, state = jax.jit(env.reset)(key, params)
        mask = jax.jit(env.action_mask)(state, params)
        if shape_dtype(mask) != ((n,), np.dtype(bool)):
            problems.append(f"the translation's action_mask(state) has shape {np.shape(mask)} dtype {mask.dtype}; want {want}")
        info = jax.jit(env.step)(key, state, env.action_space(params).sample(key), params)[5]
        if "action_mask" not in info:
            problems.append("the translation's step info lacks 'action_mask' (set has_action_mask = True)")
        elif shape_dtype(info["action_mask"]) != ((n,), np.dtype(bool)):
            problems.append(f"the translation's step info['action_mask'] has shape {np.shape(info['action_mask'])} dtype {info['action_mask'].dtype}; want {want}")
        return "; ".join(problems) or None

    check("metadata.state_fields", metadata_fields)
    check("metadata.draws", metadata_draws)
    check("reset.jit", reset_jit)
    check("step.jit", step_jit)
    check("step.reward_dtype", reward_dtype)
    check("draws.dtype", draws_dtype)
    check("vmap", vmap_batch)
    check("spaces.action", action_space)
    check("spaces.observation", observation_space)
    check("reset.obs_in_space", reset_obs_in_space)
    check("adapter.round_trip", adapter_round_trip)
    check("action_mask", action_mask)
    if candidate is None:  # a candidate is compared through the port's own adapter, checked when the port is verified
        check("adapter.complete", lambda: adapter_incomplete(port))
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
