"""L2 interaction: are episode boundaries, seeding, batches and jit right?

A Hypothesis stateful machine runs the reference and the translation in lockstep
through random programs of rules: reset, seeded reset, step (with the
translation's same-step auto-reset against the reference's reset after an
episode ends, final observation included), set state, long runs of one action
(time limits), actions outside the space, jit against eager, and batch
independence under vmap. On failure, Hypothesis's shrunk program is kept in the
report's notes.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from verify.compare import StepOutcome, compare_outcomes
from verify.float32 import EPS32, K_ULPS
from verify.lockstep import Lockstep
from verify.properties import action_strategy, state_strategy
from verify.reports.model import LevelResult

SEEDS = st.integers(0, 2**31 - 1)


class InteractionFailure(AssertionError):
    """A lockstep disagreement found by the L2 machine; `check` names the rule."""

    def __init__(self, check: str, message: str, mismatches: list | None = None):
        super().__init__(f"{check}: {message}")
        self.check = check
        self.mismatches = mismatches or []


def _fail_on(check: str, mismatches: list, context: str) -> None:
    if mismatches:
        raise InteractionFailure(check, f"{context}: " + "; ".join(m.describe() for m in mismatches), mismatches)


def build_machine(lock: Lockstep, counter: list[int]) -> type[RuleBasedStateMachine]:
    """The L2 state machine class for one lockstep pair (`counter[0]` counts rules run)."""
    port, env, params = lock.port, lock.env, lock.params
    # How far two runs of the translation (jit and eager, vmapped and single) may differ: not at all beyond
    # round-off, or within the F32 tolerance for a float32-native translation (verify.float32.float32_view).
    same_tol = K_ULPS * EPS32 if port.extra.get("precision") == "float32" else 1e-12
    space = env.action_space(params)
    discrete = hasattr(space, "n")
    step_det = jax.jit(env.step_det)
    mask_of = jax.jit(env.action_mask) if port.action_mask else None
    batch_step = jax.jit(jax.vmap(env.step_det, in_axes=(0, 0, 0, None)))
    # The draws and the other batch's states, jitted: the same numbers as eager (verify.precision: no FMA), one
    # dispatch instead of one per operation. The step itself stays eager where a rule compares it with jit.
    sample_draws = jax.jit(env.sample_draws)
    sample_reset_draws = jax.jit(env.sample_reset_draws)
    batch_reset = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))
    batch_draws = jax.jit(jax.vmap(env.sample_draws, in_axes=(0, 0, None)))
    put_first = jax.jit(lambda one, many: jax.tree.map(lambda o, m: m.at[0].set(o), one, many))
    actions = action_strategy(space)

    class Interaction(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.state: dict[str, np.ndarray] = {}

        # ----- helpers --------------------------------------------------------
        def _compare_state(self, check: str, context: str) -> None:
            ref_state = port.get_state(lock.ref)
            expected = StepOutcome(np.zeros(0), ref_state)
            actual = StepOutcome(np.zeros(0), self.state)
            _fail_on(check, compare_outcomes(port, expected, actual, with_step=False), context)
            if port.chaotic:  # shadow the reference so ulps cannot grow (see Port.chaotic)
                self.state = ref_state

        def _info_mask(self, info: dict, new_state: Any, context: str) -> np.ndarray | None:
            """A masked port's info['action_mask'] from step_det, checked to be the mask of the state it returned
            (after an auto-reset: the new episode's first state); None for a port without a mask."""
            if not port.action_mask:
                return None
            if "action_mask" not in info:
                raise InteractionFailure("action_mask", f"{context}: step_det's info lacks 'action_mask' (the port declares a mask)")
            returned = np.asarray(info["action_mask"])
            own = np.asarray(mask_of(lock.dict_to_state(lock.state_to_dict(new_state)), params))
            if returned.shape != own.shape or not np.array_equal(returned, own):
                raise InteractionFailure("action_mask", f"{context}: step_det's info['action_mask'] {returned.astype(int).tolist()} is not "
                                         f"action_mask(state returned) {own.astype(int).tolist()}")
            return returned

        def _reset_both(self, seed: int) -> None:
            draws = jax.tree.map(np.asarray, sample_reset_draws(jax.random.PRNGKey(seed), params))
            expected = lock.reference_reset(draws)
            actual = lock.translation_reset(draws)
            _fail_on("reset", compare_outcomes(port, expected, actual, with_step=False), f"reset with key {seed}")
            self.state = actual.state

        def _step_both(self, action: Any, seed: int, check: str = "step") -> bool:
            counter[0] += 1
            state = lock.dict_to_state(self.state)
            draws = sample_draws(jax.random.PRNGKey(seed), state, params)
            obs, new_state, reward, terminated, truncated, info = jax.device_get(
                step_det(state, jnp.asarray(action), draws, params)
            )
            draws = jax.tree.map(np.asarray, draws)
            before = port.get_state(lock.ref)
            ended = lock.reference_step(None, action, draws["step"])
            context = f"step from {_short(before)} with action {np.asarray(action).tolist()}"
            info_mask = self._info_mask(info, new_state, context)
            if ended.terminated or ended.truncated:
                # The translation auto-resets in the same step; the reference is reset with the same draws.
                pre_reset = lock.translation_step(self.state, action, draws)
                last = StepOutcome(np.asarray(info["final_obs"]), pre_reset.state, float(reward), bool(terminated), bool(truncated),
                                   pre_reset.action_mask)
                _fail_on(check, compare_outcomes(port, ended, last), context + " (the step that ends the episode)")
                restarted = lock.reference_reset(draws["reset"])
                after = StepOutcome(np.asarray(obs), lock.state_to_dict(new_state), action_mask=info_mask)
                _fail_on(check, compare_outcomes(port, restarted, after, with_step=False), context + " (auto-reset: next episode's first obs and state)")
            else:
                if bool(terminated) or bool(truncated):
                    raise InteractionFailure(check, f"{context}: the translation ended the episode (terminated={bool(terminated)}, truncated={bool(truncated)}), the reference did not")
                returned = StepOutcome(np.asarray(obs), lock.state_to_dict(new_state), float(reward), False, False, info_mask)
                _fail_on(check, compare_outcomes(port, ended, returned), context)
                if not np.array_equal(np.asarray(info["final_obs"]), np.asarray(obs)):
                    raise InteractionFailure(check, f"{context}: info['final_obs'] differs from obs on a step that does not end the episode")
            self.state = lock.state_to_dict(new_state)
            if port.chaotic:
                self.state = port.get_state(lock.ref)
            return bool(ended.terminated or ended.truncated)

        # ----- rules ------------------------------------------------------------
        @initialize(seed=SEEDS)
        def start(self, seed):
            self._reset_both(seed)

        @rule(seed=SEEDS)
        def reset(self, seed):
            self._reset_both(seed)

        @rule(seed=st.integers(0, 2**16))
        def seeded_reset_is_deterministic(self, seed):
            a = env.reset(jax.random.PRNGKey(seed), params)
            b = env.reset(jax.random.PRNGKey(seed), params)
            for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
                if not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True):
                    raise InteractionFailure("seeded_reset", f"two resets with key {seed} differ")
            lock.ref.reset(seed=seed)
            first = port.get_state(lock.ref)
            lock.ref.reset(seed=seed)
            second = port.get_state(lock.ref)
            if any(not np.array_equal(first[k], second[k], equal_nan=True) for k in first):
                raise InteractionFailure("seeded_reset", f"the reference's two resets with seed {seed} differ")
            self.state = second  # continue in lockstep from the reference's seeded start

        @rule(action=actions, seed=SEEDS)
        def step(self, action, seed):
            self._step_both(action, seed)

        @rule(action=actions, steps=st.integers(5, 80), seed=SEEDS)
        def hold_action(self, action, steps, seed):
            for i in range(steps):
                if self._step_both(action, seed + i, "hold_action"):
                    break

        @rule(state=state_strategy(port, []))
        def set_state(self, state):
            port.set_state(lock.ref, state)
            self.state = port.get_state(lock.ref)
            self._compare_state("set_state", "after writing a generated state to both sides")

        @precondition(lambda self: discrete)
        @rule(action=st.sampled_from([-1, space.n if discrete else 0, 1_000]), seed=SEEDS)
        def invalid_action(self, action, seed):
            """Outside the space: where the reference accepts the action the translation must match it;
            where the reference rejects it, the translation (which cannot raise under jit) must stay finite."""
            counter[0] += 1
            state = lock.dict_to_state(self.state)
            draws = jax.tree.map(np.asarray, sample_draws(jax.random.PRNGKey(seed), state, params))
            try:
                ended = lock.reference_step(None, action, draws["step"])
            except (AssertionError, IndexError, ValueError):
                port.set_state(lock.ref, self.state)
                out = step_det(state, jnp.asarray(action, jnp.int32), draws, params)
                for leaf in jax.tree.leaves(out):
                    leaf = np.asarray(leaf)
                    if leaf.dtype.kind == "f" and not np.all(np.isfinite(leaf) | np.isnan(leaf)):
                        raise InteractionFailure("invalid_action", f"action {action} produced non-finite values")
                return
            actual = lock.translation_step(self.state, np.asarray(action, np.int32), draws)
            _fail_on("invalid_action", compare_outcomes(port, ended, actual), f"action {action}, outside the space, which the reference accepts")
            port.set_state(lock.ref, self.state)

        @rule(action=actions, seed=SEEDS)
        def jit_matches_eager(self, action, seed):
            counter[0] += 1
            state = lock.dict_to_state(self.state)
            draws = sample_draws(jax.random.PRNGKey(seed), state, params)
            jitted = jax.device_get(step_det(state, jnp.asarray(action), draws, params))
            with jax.disable_jit():
                eager = jax.device_get(env.step_det(state, jnp.asarray(action), draws, params))
            for name, x, y in zip(("obs", "state", "reward", "terminated", "truncated", "info"), jitted, eager):
                for a, b in zip(jax.tree.leaves(x), jax.tree.leaves(y)):
                    a, b = np.asarray(a), np.asarray(b)
                    ok = np.array_equal(a, b, equal_nan=a.dtype.kind == "f") if a.dtype.kind != "f" else np.allclose(a, b, rtol=same_tol, atol=same_tol, equal_nan=True)
                    if not ok:
                        raise InteractionFailure("jit_matches_eager", f"{name}: jit {a.tolist()} vs eager {b.tolist()}")

        @rule(actions=st.lists(actions, min_size=4, max_size=4), other=actions, seed=SEEDS)
        def batch_independence(self, actions, other, seed):
            """Environment 0 of a vmapped batch equals the single step, and ignores the others' actions."""
            counter[0] += 1
            state = lock.dict_to_state(self.state)
            keys = jax.random.split(jax.random.PRNGKey(seed), 4)
            _, others = batch_reset(keys, params)
            states = put_first(state, others)
            draws = batch_draws(keys, states, params)
            acts = jnp.stack([jnp.asarray(a) for a in actions])
            first = jax.device_get(batch_step(states, acts, draws, params))
            changed = jax.device_get(batch_step(states, acts.at[1:].set(jnp.asarray(other)), draws, params))
            single = jax.device_get(step_det(state, acts[0], jax.tree.map(lambda x: x[0], draws), params))
            for a, b, c in zip(jax.tree.leaves(first), jax.tree.leaves(changed), jax.tree.leaves(single)):
                a0, b0, c0 = np.asarray(a)[0], np.asarray(b)[0], np.asarray(c)
                if not np.array_equal(a0, b0, equal_nan=True):
                    raise InteractionFailure("batch_independence", "environment 0 changed when only the other environments' actions changed")
                if not np.allclose(a0, c0, rtol=same_tol, atol=same_tol, equal_nan=True) if a0.dtype.kind == "f" else not np.array_equal(a0, c0):
                    raise InteractionFailure("batch_independence", f"vmapped environment 0 {a0.tolist()} differs from the unbatched step {c0.tolist()}")

    return Interaction


def _notes(exc: BaseException, reported: list[str]) -> list[str]:
    """What Hypothesis said about the failure: the shrunk program (exception notes) and anything it reported."""
    lines = [*reported, *getattr(exc, "__notes__", [])]
    return [line for line in lines if line.strip()][-60:]


def _short(state: dict) -> str:
    return "{" + ", ".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in state.items()) + "}"


def check_interaction(lock: Lockstep, programs: int = 25, steps_per_program: int = 20, seed: int = 0) -> LevelResult:
    """Run L2: `programs` random rule programs of up to `steps_per_program` rules each."""
    from hypothesis import seed as hyp_seed

    result = LevelResult("L2")
    start = time.perf_counter()
    counter = [0]
    # Hypothesis reads @seed from the state machine class itself (run_state_machine_as_test copies it from there);
    # on the function that calls it, the seed is ignored and every run draws other programs.
    machine = hyp_seed(seed)(build_machine(lock, counter))
    notes: list[str] = []
    machine_settings = settings(
        max_examples=programs,
        stateful_step_count=steps_per_program,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    try:
        with with_reporter(notes.append):
            run_state_machine_as_test(machine, settings=machine_settings)
    except InteractionFailure as exc:
        first = exc.mismatches[0].to_dict() if exc.mismatches else {"field": exc.check}
        result.fail(
            exc.check,
            str(exc),
            field=first["field"],
            expected=first.get("expected"),
            actual=first.get("actual"),
            mismatches=[m.to_dict() for m in exc.mismatches],
            hypothesis_notes=_notes(exc, notes),
        )
    except Exception as exc:  # the translation crashed inside a rule
        result.fail("run", f"{type(exc).__name__}: {exc}", hypothesis_notes=_notes(exc, notes))
    result.checks = counter[0]
    result.notes.append(f"{programs} programs of up to {steps_per_program} rules; {counter[0]} lockstep steps")
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
