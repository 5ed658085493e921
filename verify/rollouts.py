"""L3 rollouts: do whole episodes agree, from the same initial state with the same actions and draws?

The translation runs every episode of a policy at once (vmap over episodes,
lax.scan over steps, no auto-reset); the reference then replays each episode
from the same reset draws, actions and step draws, and every step is compared.
A failure names the policy, episode, step and field with both values and the
steps before it. A port may also declare agents that choose from the reference's
own state (`Port.extra["policies"]`, RLCard's rule agents): L3 plays those games
step by step (`agent_policies`). A port may leave out a named policy its agents
make redundant (`Port.extra["l3_skipped_policies"]`: name -> why; said in the notes). A turn-based translation's every-player
observations (`observe_all`) are compared at every step where the reference
reports them too.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from verify.compare import StepOutcome, compare_outcomes, episode_agrees
from verify.policies import Policy, policies_for
from verify.replay_split import Replayed, replay_episodes
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

    turn_based = hasattr(env, "observe_all")  # a turn-based game: every player's observation too

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
            if turn_based:
                out["observations"] = env.observe_all(state2, params)
            return (obs2, state2, action), out

        _, traj = jax.lax.scan(body, (obs, state, first_action), jax.random.split(k_run, steps))
        run = {"reset_draws": reset_draws, "reset_obs": obs, "reset_state": state, "traj": traj}
        if masked:
            run["reset_action_mask"] = mask_of(state)
        if turn_based:
            run["reset_observations"] = env.observe_all(state, params)
        return run

    out = jax.jit(jax.vmap(one_episode))(jax.random.split(key, episodes))
    return jax.tree.map(np.asarray, out)


def _index(tree: Any, *idx: int) -> Any:
    if isinstance(tree, dict):  # draws: no JAX call, so a forked replay (verify.replay_split) may index them
        return {k: _index(v, *idx) for k, v in tree.items()}
    return jax.tree.map(lambda x: x[idx], tree)


def _state_dict(lock: Lockstep, state_tree: Any, *idx: int | slice) -> dict[str, np.ndarray]:
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
    skipped = port.extra.get("l3_skipped_policies", {})  # name -> why the port's other policies cover it
    result.notes += [f"policy {name} not run: {skipped[name]}" for name in policies if name in skipped]
    policies = tuple(name for name in policies if name not in skipped)
    lengths: dict[str, list[int]] = {}
    for p_index, (name, policy) in enumerate(policies_for(port, lock.env, lock.params, policies).items()):
        run = lock.rollouts(policy, episodes, steps, jax.random.PRNGKey(seed * 1000 + p_index))
        lengths[name] = []
        for replayed in _replay_all(lock, run, episodes):
            result.checks += replayed.checks
            for key, values in replayed.data.items():
                result.data.setdefault(key, []).extend(values)
            if replayed.failure is not None:
                failure = replayed.failure
                result.fail("rollout", failure.pop("message"), policy=name, episode=replayed.episode, **failure)
                break
            lengths[name].append(replayed.length)
        if result.failures:
            break
    # The port's own agents (an RLCard rule agent): they choose from the reference's state, so each game is played
    # step by step, the translation stepping from its own state with the same actions and draws.
    for a_index, (name, make_agent) in enumerate(agent_policies(port).items()):
        if result.failures:
            break
        agent, lengths[name] = make_agent(), []
        key = jax.random.PRNGKey(seed * 1000 + 500 + a_index)
        for ep in range(episodes):
            failure, length = _agent_episode(lock, agent, jax.random.fold_in(key, ep), result)
            if failure is not None:
                result.fail("rollout", failure.pop("message"), policy=name, episode=ep, **failure)
                break
            lengths[name].append(length)
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


def _replay_all(lock: Lockstep, run: dict, episodes: int) -> list[Replayed]:
    """`_replay_episode` for each episode in order, up to the first failure, split over two processes where
    `verify.replay_split` can (the reference alone and numpy: not for a chaotic port, whose replay steps the
    translation; nor where something other than a branch tracer hooks the reference's calls)."""
    from verify.branch_coverage import BranchTracer

    tracer = getattr(lock.measure, "__self__", None)
    tracer = tracer if isinstance(tracer, BranchTracer) else None
    hooked = lock.measure is not contextlib.nullcontext and tracer is None

    def replay(ep: int) -> Replayed:
        scratch = LevelResult("L3")
        failure, length = _replay_episode(lock, run, ep, scratch)
        return Replayed(ep, failure, length, scratch.checks, scratch.data)

    return replay_episodes(episodes, replay, tracer, split=not lock.port.chaotic and not hooked)


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
    if not port.chaotic and _episode_agrees(lock, run, ep, reference[1:], length):
        result.checks += length  # every step agrees: the same count the step-by-step comparison below makes
        return None, length
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


def _episode_agrees(lock: Lockstep, run: dict, ep: int, reference: list[StepOutcome], length: int) -> bool:
    """Whether the translation's first `length` steps of episode `ep` agree with the reference's, all steps compared at
    once (`verify.compare.episode_agrees`); False sends `_replay_episode` to its step-by-step comparison."""
    if not length:
        return True
    traj = run["traj"]
    mask = traj.get("action_mask")
    return episode_agrees(
        lock.port, reference, traj["obs"][ep, :length], _state_dict(lock, traj["state"], ep, slice(0, length)),
        traj["reward"][ep, :length], traj["terminated"][ep, :length], traj["truncated"][ep, :length],
        None if mask is None else mask[ep, :length],
    )


def agent_policies(port) -> dict[str, Any]:
    """The port's agent policies for L3 (`Port.extra["policies"]`): name -> a factory of `act(reference) -> action`,
    an agent that reads the reference's own state (RLCard's rule agents), for the player to act."""
    return dict(port.extra.get("policies", {}))


def _agent_episode(lock: Lockstep, agent: Any, key: jax.Array, result: LevelResult) -> tuple[dict | None, int]:
    """One game under `agent`: both sides reset from the translation's reset draws, then each step the agent picks
    the action from the reference, the translation steps from its own last state with the translation's draws, and
    the reference replays them; every step is compared. (failure or None, episode length)."""
    port, env, params = lock.port, lock.env, lock.params
    k_reset, k_run = jax.random.split(key)
    reset_draws = jax.tree.map(np.asarray, env.sample_reset_draws(k_reset, params))
    try:
        expected = lock.reference_reset(reset_draws)
    except TapeError as exc:
        return {"message": f"reset: {exc}", "step": 0, "field": "draws"}, 0
    actual = lock.translation_reset(reset_draws)
    result.checks += 1
    mismatches = compare_outcomes(port, expected, actual, with_step=False)
    if mismatches:
        return {"message": "after reset: " + "; ".join(m.describe() for m in mismatches), "step": 0,
                "field": mismatches[0].field, "mismatches": [m.to_dict() for m in mismatches]}, 0
    state = actual.state
    for t in range(port.max_episode_steps):
        action = np.asarray(agent(lock.ref), np.asarray(env.action_space(params).sample(k_reset)).dtype)
        draws = lock.draws_for_state(jax.random.fold_in(k_run, t), state)
        actual = lock.translation_step(state, action, draws)
        try:
            expected = lock.reference_step(None, action, draws["step"])
        except TapeError as exc:
            return {"message": f"step {t + 1}: {exc}", "step": t + 1, "field": "draws"}, t + 1
        result.checks += 1
        mismatches = compare_outcomes(port, expected, actual)
        if mismatches:
            return {"message": f"step {t + 1} (after action {action.tolist()}): " + "; ".join(m.describe() for m in mismatches),
                    "step": t + 1, "field": mismatches[0].field, "mismatches": [m.to_dict() for m in mismatches],
                    "state": {k: np.asarray(v).tolist() for k, v in state.items()}, "action": action.tolist()}, t + 1
        if expected.terminated or expected.truncated:
            return None, t + 1
        state = actual.state
    return None, port.max_episode_steps


SERIES_BEFORE, SERIES_AFTER = 30, 10


def _value(outcome: StepOutcome, field: str) -> Any:
    if field.startswith("state."):
        return outcome.state[field[len("state."):]]
    return getattr(outcome, field)


def _translation_outcome(lock: Lockstep, run: dict, ep: int, step: int) -> StepOutcome:
    traj = run["traj"]
    if step == 0:
        mask, every = run.get("reset_action_mask"), run.get("reset_observations")
        return StepOutcome(run["reset_obs"][ep], _state_dict(lock, run["reset_state"], ep), action_mask=None if mask is None else mask[ep],
                           observations=None if every is None else every[ep])
    t = step - 1
    mask, every = traj.get("action_mask"), traj.get("observations")
    return StepOutcome(
        traj["obs"][ep, t], _state_dict(lock, traj["state"], ep, t), float(traj["reward"][ep, t]),
        bool(traj["terminated"][ep, t]), bool(traj["truncated"][ep, t]), None if mask is None else mask[ep, t],
        None if every is None else every[ep, t],
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
