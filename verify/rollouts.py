"""L3 rollouts: do whole episodes agree, from the same initial state with the same actions and draws?

The translation runs every episode of a policy at once (vmap over episodes,
lax.scan over steps, no auto-reset); the reference then replays each episode
from the same reset draws, actions and step draws, and every step is compared.
A failure names the policy, episode, step and field with both values and the
steps before it.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from verify.compare import StepOutcome, compare_outcomes
from verify.lockstep import Lockstep
from verify.policies import Policy, policies_for
from verify.report import LevelResult
from verify.tape import TapeError

CONTEXT_STEPS = 3


def translation_rollouts(env: Any, params: Any, policy: Policy, episodes: int, steps: int, key: jax.Array) -> dict:
    """Run `episodes` episodes of `steps` steps on the translation; numpy arrays [episode, step, ...]."""

    def one_episode(k):
        k_reset, k_run = jax.random.split(k)
        reset_draws = env.sample_reset_draws(k_reset, params)
        obs, state = env.reset_det(reset_draws, params)
        first_action = env.action_space(params).sample(k_reset)

        def body(carry, k_t):
            obs, state, prev_action = carry
            k_act, k_draw = jax.random.split(k_t)
            action = policy(k_act, obs, prev_action)
            draws = env.sample_draws(k_draw, state, params)
            obs2, state2, reward, terminated, truncated = env.step_env_det(state, action, draws, params)
            out = {
                "action": action,
                "step_draws": draws["step"],
                "obs": obs2,
                "state": state2,
                "reward": reward,
                "terminated": terminated,
                "truncated": truncated,
            }
            return (obs2, state2, action), out

        _, traj = jax.lax.scan(body, (obs, state, first_action), jax.random.split(k_run, steps))
        return {"reset_draws": reset_draws, "reset_obs": obs, "reset_state": state, "traj": traj}

    out = jax.jit(jax.vmap(one_episode))(jax.random.split(key, episodes))
    return jax.tree.map(np.asarray, out)


def _index(tree: Any, *idx: int) -> Any:
    return jax.tree.map(lambda x: x[idx], tree)


def _state_dict(lock: Lockstep, state_tree: Any, *idx: int) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(state_tree, f.name)[idx]) for f in lock.port.state_fields}


def harvest_states(lock: Lockstep, count: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """States visited by uniform and sticky rollouts of the translation, for L1 to start from."""
    states: list[dict[str, np.ndarray]] = []
    rng = np.random.default_rng(seed)
    for i, policy in enumerate(policies_for(lock.port, lock.env, lock.params).values()):
        run = translation_rollouts(lock.env, lock.params, policy, 8, lock.port.max_episode_steps, jax.random.PRNGKey(seed + i))
        alive = ~np.logical_or.accumulate(run["traj"]["terminated"] | run["traj"]["truncated"], axis=1)
        eps, ts = np.nonzero(alive)
        for j in rng.choice(len(eps), size=min(count, len(eps)), replace=False):
            states.append(_state_dict(lock, run["traj"]["state"], eps[j], ts[j]))
    rng.shuffle(states)
    return states[:count]


def check_rollouts(
    lock: Lockstep,
    episodes: int = 100,
    policies: tuple[str, ...] = ("uniform", "sticky", "goal"),
    seed: int = 0,
) -> LevelResult:
    """Run L3: `episodes` full episodes per policy in lockstep; stop at the first divergence."""
    result = LevelResult("L3")
    start = time.perf_counter()
    port, steps = lock.port, lock.port.max_episode_steps
    lengths: dict[str, list[int]] = {}
    for p_index, (name, policy) in enumerate(policies_for(port, lock.env, lock.params, policies).items()):
        run = translation_rollouts(lock.env, lock.params, policy, episodes, steps, jax.random.PRNGKey(seed * 1000 + p_index))
        lengths[name] = []
        for ep in range(episodes):
            failure, length = _replay_episode(lock, run, ep, result)
            if failure is not None:
                result.fail("rollout", failure.pop("message"), policy=name, episode=ep, **failure)
                break
            lengths[name].append(length)
        if result.failures:
            break
    for name, ls in lengths.items():
        if ls:
            result.notes.append(
                f"policy {name}: {len(ls)} episodes, length mean {np.mean(ls):.1f} (min {min(ls)}, max {max(ls)}), "
                f"{sum(l < steps for l in ls)} terminated before the time limit"
            )
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result


def _replay_episode(lock: Lockstep, run: dict, ep: int, result: LevelResult) -> tuple[dict | None, int]:
    """Replay episode `ep` on the reference, comparing every step: (failure or None, episode length).

    For a chaotic port the translation's step is recomputed from the reference's
    previous state (shadowing), and where the free-running translation first
    leaves the tolerance is recorded in `result.notes` as drift.
    """
    port = lock.port
    traj = run["traj"]
    history: list[dict] = []
    drift_noted = False
    try:
        expected = lock.reference_reset(_index(run["reset_draws"], ep))
    except TapeError as exc:
        return {"message": f"reset: {exc}", "step": 0, "field": "draws"}, 0
    actual = StepOutcome(run["reset_obs"][ep], _state_dict(lock, run["reset_state"], ep))
    result.checks += 1
    mismatches = compare_outcomes(port, expected, actual, with_step=False)
    if mismatches:
        return _divergence(ep, 0, mismatches, history, "after reset"), 0
    for t in range(port.max_episode_steps):
        action = traj["action"][ep, t]
        try:
            expected = lock.reference_step(None, action, _index(traj["step_draws"], ep, t))
        except TapeError as exc:
            return {"message": f"step {t + 1}: {exc}", "step": t + 1, "field": "draws"}, t + 1
        free_running = StepOutcome(
            traj["obs"][ep, t],
            _state_dict(lock, traj["state"], ep, t),
            float(traj["reward"][ep, t]),
            bool(traj["terminated"][ep, t]),
            bool(traj["truncated"][ep, t]),
        )
        actual = free_running
        if port.chaotic:
            previous = history[-1]["state"] if history else _state_dict(lock, run["reset_state"], ep)
            draws = {"step": _index(traj["step_draws"], ep, t), "reset": _index(run["reset_draws"], ep)}
            actual = lock.translation_step(previous, action, draws)
            if not drift_noted and compare_outcomes(port, expected, free_running):
                drift_noted = True
                result.notes.append(f"drift: free-running episode {ep} leaves the tolerance at step {t + 1}")
        result.checks += 1
        mismatches = compare_outcomes(port, expected, actual)
        if mismatches:
            return _divergence(ep, t + 1, mismatches, history, f"after action {np.asarray(action).tolist()}"), t + 1
        history.append({"step": t + 1, "action": np.asarray(action).tolist(), "state": expected.state})
        history = history[-CONTEXT_STEPS:]
        if expected.terminated or expected.truncated:
            return None, t + 1
    return None, port.max_episode_steps


def _divergence(ep: int, step: int, mismatches: list, history: list[dict], when: str) -> dict:
    first = mismatches[0]
    return {
        "message": f"episode {ep}, step {step} ({when}): " + "; ".join(m.describe() for m in mismatches),
        "step": step,
        "field": first.field,
        "expected": first.to_dict()["expected"],
        "actual": first.to_dict()["actual"],
        "mismatches": [m.to_dict() for m in mismatches],
        "preceding_steps": [
            {**h, "state": {k: np.asarray(v).tolist() for k, v in h["state"].items()}} for h in history
        ],
    }
