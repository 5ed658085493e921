"""Verification levels specific to the Rust backend: its contract (L0) and its vector env (L2).

L1 and L3 are the backend-independent levels, run through `verify.lockstep.RustLockstep`.
Grid games (MinAtar: bool (10, 10, C) observations, step draws) are checked with the same
checks; where a check needs the env's randomness, the single env is built on the vector env's
stream (`stream=i`) so the two draw the same numbers.
"""

from __future__ import annotations

import time
import warnings

import gymnasium
import numpy as np

from envs.rust_backend import RustEnv, make_rust_single, make_rust_vector, register_gymnasium_ids, rust_gym_id
from envs.spec import Port
from verify.compare import compare_outcomes
from verify.contract import Loader, check_loads
from verify.lockstep import RustLockstep
from verify.reports.model import LevelResult
from verify.roundtrip import adapter_incomplete

VECTOR_SIZE = 300  # above the Rust vector env's parallel threshold (256), so threads really split the batch


def _run_checks(result: LevelResult, checks) -> None:
    for name, fn in checks:
        result.checks += 1
        try:
            problem = fn()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            result.fail(name, problem)


def _random_actions(space: gymnasium.Space, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if isinstance(space, gymnasium.spaces.Discrete):
        return rng.integers(0, space.n, shape).astype(np.int64)
    return rng.uniform(space.low, space.high, (*shape, *space.shape)).astype(np.float32)


def _reference_accepts(port: Port, action: int) -> bool:
    """Whether a freshly reset reference steps with `action` without raising."""
    env = port.make_reference()
    env.reset(seed=0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env.step(action)
    except Exception:  # noqa: BLE001 - any refusal (AssertionError, IndexError, ValueError) counts
        return False
    return True


def check_rust_contract(port: Port, loader: Loader | None = None) -> LevelResult:
    """L0 for Rust: loads in a subprocess, metadata and spaces agree, check_env, vector shapes, errors raise.

    `loader`: the load check (default `verify.contract.check_loads`)."""
    result = LevelResult("L0")
    start = time.perf_counter()
    loader = loader or check_loads
    # The port's own classes: a new games module under verification is not declared by the registered port yet.
    load = lambda: loader(port.name, backend="rust", rust_classes=port.rust_classes, rust_source=port.rust_source)  # noqa: E731
    _run_checks(result, [("import", load)])
    if result.failures:
        result.passed, result.seconds = False, time.perf_counter() - start
        return result
    ref = port.make_reference()
    rust = make_rust_single(port)

    def metadata():
        problems = []
        declared = [f.name for f in port.state_fields]
        if list(rust.state_fields) != declared:
            problems.append(f"Rust state fields {list(rust.state_fields)} != port metadata {declared}")
        draws = sum(int(np.prod(d.shape)) for d in port.draws_for("reset"))
        if rust.num_reset_draws != draws:
            problems.append(f"Rust takes {rust.num_reset_draws} reset draws; the metadata names {draws}")
        if rust.max_episode_steps != port.max_episode_steps:
            problems.append(f"Rust episode limit {rust.max_episode_steps} != {port.max_episode_steps}")
        for phase in ("reset", "step") if hasattr(rust, "step_draws") else ():
            named = [d.name for d in port.draws_for(phase)]
            if list(getattr(rust, f"{phase}_draws")) != named:
                problems.append(f"Rust {phase} draws {list(getattr(rust, f'{phase}_draws'))} != port metadata {named}")
        return "; ".join(problems) or None

    def spaces():
        space = ref.action_space
        declared = tuple(rust.action_space)
        if isinstance(space, gymnasium.spaces.Discrete):
            ok = declared == ("discrete", int(space.n))
        else:
            ok = declared[0] == "box" and np.allclose(declared[1], space.low) and np.allclose(declared[2], space.high)
        if not ok:
            return f"Rust action space {declared} vs the reference's {space}"
        if rust.obs_dim != int(np.prod(ref.observation_space.shape)):
            return f"Rust observation size {rust.obs_dim} vs the reference's {ref.observation_space.shape}"
        if hasattr(rust, "obs_shape") and tuple(rust.obs_shape) != tuple(ref.observation_space.shape):
            return f"Rust observation shape {tuple(rust.obs_shape)} vs the reference's {ref.observation_space.shape}"
        return None

    def env_checker():
        from gymnasium.utils.env_checker import check_env

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(RustEnv(port), skip_render_check=True)
        return None

    def vector_shapes():
        vec = make_rust_vector(port, 8, seed=0)
        if vec.metadata.get("autoreset_mode") != gymnasium.vector.AutoresetMode.SAME_STEP:
            return "metadata['autoreset_mode'] is not SAME_STEP"
        obs, _ = vec.reset(seed=1)
        actions = _random_actions(vec.single_action_space, (8,), np.random.default_rng(0))
        obs2, reward, terminated, truncated, _ = vec.step(actions)
        want = (8, *ref.observation_space.shape)
        obs_dtype = np.dtype(ref.observation_space.dtype)
        problems = []
        for name, array, shape, kind in (("obs", obs2, want, obs_dtype.kind), ("reward", reward, (8,), "f"), ("terminated", terminated, (8,), "b"), ("truncated", truncated, (8,), "b")):
            if array.shape != shape or array.dtype.kind != kind:
                problems.append(f"{name} has shape {array.shape} dtype {array.dtype}; want {shape} kind {kind}")
        if obs.dtype != obs_dtype:
            problems.append(f"obs dtype {obs.dtype}, not the reference's {obs_dtype}")
        register_gymnasium_ids([port])  # a new games module's port (its classes given for this verification)
        made = gymnasium.make_vec(rust_gym_id(port), num_envs=2, vectorization_mode="vector_entry_point")
        if not isinstance(made, gymnasium.vector.VectorEnv):
            problems.append("gymnasium.make_vec did not build the Rust vector env")
        return "; ".join(problems) or None

    def errors_raise():
        """Bad action arrays raise; an integer past the space raises only where the reference refuses it too (where
        its rules give it a meaning, as Brinewatch's R-5.3 does, the Rust env must take it; what it does then is for
        the port's own conformance tests to check)."""
        vec = make_rust_vector(port, 4, seed=0)
        vec.reset()
        discrete = isinstance(vec.single_action_space, gymnasium.spaces.Discrete)
        bad = {"wrong shape": np.zeros(3, np.int64) if discrete else np.zeros((3, 1), np.float32)}
        problems = []
        if discrete:
            bad["wrong dtype"] = np.zeros(4, np.float32)
            past = np.full(4, vec.single_action_space.n, np.int64)
            if _reference_accepts(port, int(past[0])):
                try:
                    vec.step(past)
                except (ValueError, TypeError) as exc:
                    problems.append(f"action {int(past[0])}, outside the space but accepted by the reference, raised {exc}")
            else:
                bad["out of range"] = past
        else:
            bad["wrong dtype"] = np.zeros((4, 1), np.float64)
        silent = []
        for what, actions in bad.items():
            try:
                vec.step(actions)
            except (ValueError, TypeError):
                continue
            silent.append(what)
        if silent:
            problems.append(f"no Python exception for a {', '.join(silent)} action array")
        return "; ".join(problems) or None

    def action_mask():
        """Masked ports: RustEnv's info['action_mask'] (n,), the vector env's (num_envs, n), the raw env's action_mask()."""
        if not port.action_mask:
            return None
        n = ref.action_space.n
        problems = []

        def bad(what, mask, shape):
            if mask is None:
                return f"{what} has no action mask"
            mask = np.asarray(mask)
            return None if (mask.shape, mask.dtype) == (shape, np.dtype(bool)) else f"{what} has shape {mask.shape} dtype {mask.dtype}; want {shape} bool"

        single = RustEnv(port)
        _, info = single.reset(seed=0)
        problems.append(bad("RustEnv.reset's info['action_mask']", info.get("action_mask"), (n,)))
        problems.append(bad("RustEnv.step's info['action_mask']", single.step(0)[4].get("action_mask"), (n,)))
        vec = make_rust_vector(port, 8, seed=0)
        _, info = vec.reset(seed=0)
        problems.append(bad("the vector env's reset info['action_mask']", info.get("action_mask"), (8, n)))
        problems.append(bad("the vector env's step info['action_mask']", vec.step(np.zeros(8, np.int64))[4].get("action_mask"), (8, n)))
        problems.append(bad("the raw env's action_mask()", rust.action_mask() if hasattr(rust, "action_mask") else None, (n,)))
        return "; ".join(p for p in problems if p) or None

    _run_checks(
        result,
        [
            ("action_mask", action_mask),
            ("metadata", metadata),
            ("spaces", spaces),
            ("check_env", env_checker),
            ("vector.shapes", vector_shapes),
            ("errors", errors_raise),
            ("adapter.complete", lambda: adapter_incomplete(port)),
        ],
    )
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result


def check_rust_interaction(lock: RustLockstep, steps: int = 300, seed: int = 0) -> LevelResult:
    """L2 for Rust: thread-count determinism, batch independence, auto-reset against the single env, time limits."""
    result = LevelResult("L2")
    start = time.perf_counter()
    port = lock.port
    rng = np.random.default_rng(seed)
    space = make_rust_vector(port, 1).single_action_space
    actions = _random_actions(space, (steps, VECTOR_SIZE), rng)

    def trajectory(num_threads, acts):
        vec = make_rust_vector(port, VECTOR_SIZE, seed=seed, num_threads=num_threads)
        vec.reset(seed=seed)
        out = []
        for t in range(steps):
            obs, reward, terminated, truncated, _ = vec.step(acts[t])
            out.append((obs.copy(), reward.copy(), terminated.copy(), truncated.copy()))
        return out

    def threads_agree():
        base = trajectory(1, actions)
        for threads in (2, None):
            other = trajectory(threads, actions)
            for t, (a, b) in enumerate(zip(base, other)):
                for name, x, y in zip(("obs", "reward", "terminated", "truncated"), a, b):
                    if not np.array_equal(x, y, equal_nan=True):
                        rows = np.flatnonzero(np.any(np.atleast_2d((x != y).reshape(VECTOR_SIZE, -1)), axis=1))
                        return f"{name} differs at step {t + 1} between 1 and {threads or 'all'} threads (envs {rows[:5].tolist()})"
        return None

    def batch_independent():
        changed = actions.copy()
        changed[:, 1:] = _random_actions(space, (steps, VECTOR_SIZE - 1), np.random.default_rng(seed + 1))
        a, b = trajectory(2, actions), trajectory(2, changed)
        for t, (x, y) in enumerate(zip(a, b)):
            for name, u, v in zip(("obs", "reward", "terminated", "truncated"), x, y):
                if not np.array_equal(u[0], v[0], equal_nan=True):
                    return f"env 0's {name} changed at step {t + 1} when only the other envs' actions changed"
        return None

    def autoreset_matches_single_env():
        """Each vector step, env by env, equals the single env stepped from the same state; ends reset to time 0.

        Grid games draw from their generators every step: env i is compared with a single env on
        the vector env's stream i, stepped alongside and reset (unseeded, continuing the stream)
        when its episode ends, so the vector env's own-RNG path and auto-reset are checked
        draw for draw, state included.
        """
        n = 16
        vec = make_rust_vector(port, n, seed=seed)
        vec.reset(seed=seed)
        # envs that draw while stepping (MinAtar, a games module with step draws; a games vector class does not list
        # its draws, its single class does): compared on the same generator streams
        grid = hasattr(vec.rust, "step_draws") or bool(getattr(make_rust_single(port), "step_draws", ()))
        if grid:
            singles = [make_rust_single(port, seed=seed, stream=i) for i in range(n)]
            for s in singles:
                s.reset(seed=seed)
        else:
            single = make_rust_single(port)
        for t in range(min(steps, port.max_episode_steps + 5)):
            before = [vec.rust.get_state(i) for i in range(n)]
            acts = actions[t, :n]
            obs, reward, terminated, truncated, info = vec.step(acts)
            for i in range(n):
                if grid:
                    single = singles[i]
                else:
                    single.set_state(before[i])
                o, r, te, tr = single.step(lock._rust_action(acts[i]))
                last = info["final_obs"][i] if "_final_obs" in info and info["_final_obs"][i] else obs[i]
                o = np.asarray(o) if grid else np.asarray(o, np.float32)
                if not (np.array_equal(o, last) and r == reward[i] and te == terminated[i] and tr == truncated[i]):
                    return f"step {t + 1}, env {i}: vector env ({last.tolist()}, {reward[i]}, {terminated[i]}, {truncated[i]}) != single env ({o.tolist()}, {r}, {te}, {tr})"
                if port.action_mask and not (te or tr) and hasattr(single, "action_mask"):
                    row, own = np.asarray(info.get("action_mask", np.zeros(0))[i]), np.asarray(single.action_mask())
                    if not np.array_equal(row, own):
                        return f"step {t + 1}, env {i}: the vector env's info['action_mask'] {row.astype(int).tolist()} != the single env's {own.astype(int).tolist()}"
                if (te or tr) and "time" in before[i] and vec.rust.get_state(i)["time"] != 0:
                    return f"step {t + 1}, env {i}: the episode ended but the env was not reset (time {vec.rust.get_state(i)['time']})"
                if grid:
                    if te or tr:
                        single.reset()
                        if not np.array_equal(np.asarray(single.observation()), obs[i]):
                            return f"step {t + 1}, env {i}: the auto-reset observation differs from a reset on the same stream"
                        if port.action_mask and not np.array_equal(np.asarray(single.action_mask()), np.asarray(info["action_mask"][i])):
                            return f"step {t + 1}, env {i}: the auto-reset info['action_mask'] differs from the mask after a reset on the same stream"
                    mine, theirs = single.get_state(), vec.rust.get_state(i)
                    differ = [k for k in mine if not np.array_equal(mine[k], theirs[k])]
                    if differ:
                        return f"step {t + 1}, env {i}: state fields {differ} differ from the single env on the same stream"
        return None

    def time_limit_against_reference():
        """Hold one action through the time limit in lockstep with the reference: same truncation step."""
        import jax

        draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(seed), lock.params))
        expected = lock.reference_reset(draws)
        state = expected.state
        action = _random_actions(space, (), rng)
        sample = jax.jit(lambda key, s: lock.env.sample_draws(key, s, lock.params))
        for t in range(port.max_episode_steps + 1):
            if port.draws_for("step"):
                step_draws = jax.tree.map(np.asarray, sample(jax.random.PRNGKey(seed + t), lock.dict_to_state(state)))
            else:
                step_draws = {"step": {}}
            e = lock.reference_step(state, action, step_draws["step"])
            a = lock.translation_step(state, action, step_draws)
            mismatches = compare_outcomes(port, e, a)
            if mismatches:
                return f"step {t + 1} holding action {np.asarray(action).tolist()}: " + "; ".join(m.describe() for m in mismatches)
            if e.terminated or e.truncated:
                return None
            state = e.state
        return "the reference never ended the episode"

    _run_checks(
        result,
        [
            ("threads_agree", threads_agree),
            ("batch_independence", batch_independent),
            ("autoreset", autoreset_matches_single_env),
            ("time_limit", time_limit_against_reference),
        ],
    )
    result.notes.append(f"vector env of {VECTOR_SIZE} envs over {steps} steps with 1, 2 and all threads")
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
