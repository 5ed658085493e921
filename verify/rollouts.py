"""L3 rollouts: do whole episodes agree, from the same initial state with the same actions and draws?

The translation runs every episode of a policy at once (vmap over episodes,
lax.scan over steps, no auto-reset); the reference then replays each episode
from the same reset draws, actions and step draws, and every step is compared.
A failure names the policy, episode, step and field with both values and the
steps before it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from verify.compare import StepOutcome, compare_outcomes
from verify.policies import Policy, policies_for
from verify.reports.model import LevelResult
from verify.tape import TapeError

if TYPE_CHECKING:  # annotations only: verify.lockstep imports this module
    from verify.lockstep import Lockstep

CONTEXT_STEPS = 3


def translation_rollouts(env: Any, params: Any, policy: Policy, episodes: int, steps: int, key: jax.Array, masked: bool = False) -> dict:
    """Run `episodes` episodes of `steps` steps on the translation; numpy arrays [episode, step, ...].

    `masked` (a port with a legal-action mask): the policy is given each state's mask, and the
    masks of the reset state and of every state reached are returned too (`reset_action_mask`,
    traj `action_mask`)."""

    def mask_of(state):
        return env.action_mask(state, params) if masked else None

    def one_episode(k):
        k_reset, k_run = jax.random.split(k)
        reset_draws = env.sample_reset_draws(k_reset, params)
        obs, state = env.reset_det(reset_draws, params)
        first_action = env.action_space(params).sample(k_reset)

        def body(carry, k_t):
            obs, state, prev_action = carry
            k_act, k_draw = jax.random.split(k_t)
            action = policy(k_act, obs, prev_action, mask_of(state))
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
            if masked:
                out["action_mask"] = mask_of(state2)
            return (obs2, state2, action), out

        _, traj = jax.lax.scan(body, (obs, state, first_action), jax.random.split(k_run, steps))
        run = {"reset_draws": reset_draws, "reset_obs": obs, "reset_state": state, "traj": traj}
        if masked:
            run["reset_action_mask"] = mask_of(state)
        return run

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
        run = lock.rollouts(policy, 8, lock.port.max_episode_steps, jax.random.PRNGKey(seed + i))
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
        run = lock.rollouts(policy, episodes, steps, jax.random.PRNGKey(seed * 1000 + p_index))
        lengths[name] = []
        for ep in range(episodes):
            failure, length = _replay_episode(lock, run, ep, result)
            if failure is not None:
                result.fail("rollout", failure.pop("message"), policy=name, episode=ep, **failure)
                break
            lengths[name].append(length)
        if result.failures:
            break
    drift = result.data.get("free_running_divergence", [])
    if drift:
        result.notes.append(
            f"chaotic port, steps compared from the reference's states; the free-running translation left the "
            f"tolerance in {len(drift)} episodes, first at step {min(d['step'] for d in drift)} ({port.chaotic})"
        )
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

    The reference plays the whole episode first. For a chaotic port the
    translation's steps are then recomputed from the reference's states
    (shadowing, one vmapped call), and where the free-running translation first
    leaves the tolerance is recorded in `result.notes` as drift.
    """
    port = lock.port
    traj = run["traj"]
    reference: list[StepOutcome] = []  # after reset (index 0) and after each step
    try:
        reference.append(lock.reference_reset(_index(run["reset_draws"], ep)))
    except TapeError as exc:
        return {"message": f"reset: {exc}", "step": 0, "field": "draws"}, 0
    for t in range(port.max_episode_steps):
        try:
            outcome = lock.reference_step(None, traj["action"][ep, t], _index(traj["step_draws"], ep, t))
        except TapeError as exc:
            return {"message": f"step {t + 1}: {exc}", "step": t + 1, "field": "draws"}, t + 1
        reference.append(outcome)
        if outcome.terminated or outcome.truncated:
            break
    length = len(reference) - 1

    actual = _translation_outcome(lock, run, ep, 0)
    result.checks += 1
    mismatches = compare_outcomes(port, reference[0], actual, with_step=False)
    if mismatches:
        return _divergence(lock, run, ep, 0, mismatches, reference, "after reset"), 0
    shadow = None
    if port.chaotic:
        draws = {"step": _index(traj["step_draws"], ep), "reset": jax.tree.map(lambda x: np.repeat(x[None], length, 0), _index(run["reset_draws"], ep))}
        shadow = lock.translation_steps([r.state for r in reference[:-1]], traj["action"][ep], draws, port.max_episode_steps)
    drift_noted = False
    for t in range(length):
        free_running = _translation_outcome(lock, run, ep, t + 1)
        actual = free_running if shadow is None else shadow[t]
        if shadow is not None and not drift_noted and compare_outcomes(port, reference[t + 1], free_running):
            drift_noted = True
            result.data.setdefault("free_running_divergence", []).append({"episode": ep, "step": t + 1})
        result.checks += 1
        mismatches = compare_outcomes(port, reference[t + 1], actual)
        if mismatches:
            action = np.asarray(traj["action"][ep, t]).tolist()
            return _divergence(lock, run, ep, t + 1, mismatches, reference, f"after action {action}"), t + 1
    return None, length


SERIES_BEFORE, SERIES_AFTER = 30, 10


def _value(outcome: StepOutcome, field: str) -> Any:
    if field.startswith("state."):
        return outcome.state[field[len("state."):]]
    return getattr(outcome, field)


def _translation_outcome(lock: Lockstep, run: dict, ep: int, step: int) -> StepOutcome:
    traj = run["traj"]
    if step == 0:
        mask = run.get("reset_action_mask")
        return StepOutcome(run["reset_obs"][ep], _state_dict(lock, run["reset_state"], ep), action_mask=None if mask is None else mask[ep])
    t = step - 1
    mask = traj.get("action_mask")
    return StepOutcome(
        traj["obs"][ep, t], _state_dict(lock, traj["state"], ep, t), float(traj["reward"][ep, t]),
        bool(traj["terminated"][ep, t]), bool(traj["truncated"][ep, t]), None if mask is None else mask[ep, t],
    )


def _divergence(lock: Lockstep, run: dict, ep: int, step: int, mismatches: list, reference: list, when: str) -> dict:
    """The failure record: message, the first differing field, the steps before, and both series around it."""
    first = mismatches[0]
    last = run["traj"]["action"].shape[1]
    steps = list(range(max(0, step - SERIES_BEFORE), min(step + SERIES_AFTER, last) + 1))
    component = None
    numeric = not isinstance(first.expected, str) and not isinstance(first.actual, str)  # "<missing>": nothing to plot
    if numeric and (first.field == "obs" or np.ndim(first.expected) > 0):  # arrays (grids too): the first differing element, flat index
        diff = np.abs(np.asarray(first.expected, np.float64) - np.asarray(first.actual, np.float64))
        component = int(np.argmax(diff.reshape(-1)))

    def pick(value):
        if value is None or not numeric:
            return None
        value = np.asarray(value, np.float64)
        return float(value.reshape(-1)[component] if component is not None else value)

    preceding = []
    for s in range(max(1, step - CONTEXT_STEPS), step):
        preceding.append({
            "step": s,
            "action": np.asarray(run["traj"]["action"][ep, s - 1]).tolist(),
            "state": {k: np.asarray(v).tolist() for k, v in reference[s].state.items()},
        })
    return {
        "message": f"episode {ep}, step {step} ({when}): " + "; ".join(m.describe() for m in mismatches),
        "step": step,
        "field": first.field,
        "expected": first.to_dict()["expected"],
        "actual": first.to_dict()["actual"],
        "mismatches": [m.to_dict() for m in mismatches],
        "preceding_steps": preceding,
        "series": {
            "field": first.field if component is None else f"{first.field}[{component}]",
            "steps": steps,
            "reference": [pick(_value(reference[s], first.field)) if s < len(reference) else None for s in steps],
            "translation": [pick(_value(_translation_outcome(lock, run, ep, s), first.field)) for s in steps],
        },
    }
