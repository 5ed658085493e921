"""The verification levels, in one table (`LEVELS`): each level's order, title, the backends it applies to,
whether it runs by default, its place in mutation analysis, and how it runs.

A level runs on a `LevelContext`: the port, the backend, the options, the translation object (if not
the registered one), L0's load check (`loader`), and a lockstep factory shared by the levels of one
run. `verify.runner` runs the selected levels of a port in table order and skips what does not
apply; the mutation worker (`verify.mutation.worker`) runs `MUTATION_LEVELS`, cheapest first, until
one kills the mutant. Adding a level is one entry here.

This module is cheap to import (the renderers read the titles): the checks are imported when a
level runs.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from verify.reports.model import LevelResult
from verify.watchdog import HangHandler, level_time_limit

BACKENDS = ("jax", "rust")


@dataclass
class VerifyOptions:
    """How hard each level looks."""

    examples: int = 200  # L1 Hypothesis examples
    programs: int = 30  # L2 Hypothesis rule programs
    episodes: int = 100  # L3 episodes per policy
    float32_samples: int = 300  # F32 one-step comparisons
    policies: tuple[str, ...] = ("uniform", "sticky", "goal")
    seed: int = 0
    # "float32": the translation computes in float32 by design, and the lockstep levels compare it within the F32
    # level's tolerance (verify.float32.float32_view); "float64": to round-off, as the reference computes.
    precision: str = "float64"
    coverage: bool = True  # measure the reference's branch coverage in L1-L3 (verify.branch_coverage)
    guided: bool = True  # with coverage: after L1's examples, search for states reaching its uncovered branches
    l4_seeds: int = 10  # L4: PPO seeds trained (one paired difference each)
    l4_episodes: int = 100  # L4: greedy evaluation episodes per seed, on each side
    l4_timesteps: int | None = None  # L4: steps per seed (None: the port's PPO configuration)
    # Seconds a level (L4 aside) may run before the verifier stops it as hung (verify.watchdog); None: no limit.
    # Kept only where the context has an `on_hang` handler: the process ends when the limit passes.
    level_timeout_s: float | None = None


def _quiet(message: str) -> None:
    pass


def _no_states() -> list | None:
    return None


@dataclass
class LevelContext:
    """What the levels of one run share.

    `env`: a translation object to verify instead of the port's registered one (JAX), `candidate`: the
    third-party candidate spec L0 loads in its subprocess. `loader`: L0's load check (None:
    `verify.contract.check_loads`, a fresh interpreter). `shrink` and `harvested` (L1's pool of
    rollout states, computed when L1 first asks) are mutation analysis's settings for L1.
    `lockstep_factory`: builds the lockstep the levels share (default: the backend's, on `env`).
    `on_hang`: what this process does when a level runs past `options.level_timeout_s` (verify.watchdog); None: no
    limit is kept.
    """

    port: Any
    backend: str = "jax"
    options: VerifyOptions = field(default_factory=VerifyOptions)
    env: Any | None = None
    candidate: str | None = None
    loader: Callable[..., Any] | None = None
    progress: Callable[[str], None] = _quiet
    shrink: bool = True
    harvested: Callable[[], list | None] = _no_states
    lockstep_factory: Callable[[], Any] | None = None
    reproduce: str | None = None  # the lines a reproduction script builds `lock` with (None: the lockstep's default)
    tracer: Any = None  # the level's verify.branch_coverage.BranchTracer while it runs measured
    on_hang: HangHandler | None = None
    _lock: Any = field(default=None, init=False, repr=False)

    def lockstep(self) -> Any:
        """The lockstep of translation and reference, built once, by the first level that needs it."""
        if self._lock is None:
            self._lock = (self.lockstep_factory or self._backend_lockstep)()
            if self.reproduce:
                self._lock.reproduce_setup = self.reproduce
        return self._lock

    def _backend_lockstep(self) -> Any:
        if self.backend == "rust":
            from verify.lockstep import RustLockstep

            return RustLockstep(self.port)
        from verify.lockstep import Lockstep

        return Lockstep(self.port, self.env)

    def say(self, jax: str, rust: str) -> None:
        """Report progress: the message for this backend, after the port's name."""
        self.progress(f"{self.port.name}: {rust if self.backend == 'rust' else jax}")


# ----- how each level runs ------------------------------------------------------


def _contract(ctx: LevelContext) -> LevelResult:
    ctx.say("L0 contract", "L0 contract (rust)")
    if ctx.backend == "rust":
        from verify.rust_levels import check_rust_contract

        return check_rust_contract(ctx.port, loader=ctx.loader)
    from verify.contract import check_contract

    return check_contract(ctx.port, ctx.env, candidate=ctx.candidate, loader=ctx.loader)


def _contract_blocks(result: LevelResult) -> bool:
    from verify.contract import contract_blocks

    return contract_blocks(result)


def _distribution(ctx: LevelContext) -> LevelResult:
    from verify.distribution import check_distribution, rust_reset_draws

    lock = ctx.lockstep()
    ctx.say("draw distribution", "D (rust)")
    if ctx.backend == "rust":
        return check_distribution(lock, seed=ctx.options.seed, sampler=rust_reset_draws)
    return check_distribution(lock, seed=ctx.options.seed)


def _properties(ctx: LevelContext) -> LevelResult:
    from verify.properties import check_properties

    lock, o = ctx.lockstep(), ctx.options
    ctx.say(f"L1 properties ({o.examples} examples)", "L1 (rust)")
    harvested = ctx.harvested()
    if harvested is None and ctx.tracer is not None and o.guided:  # the guided search starts from the same pool
        from verify.rollouts import harvest_states

        harvested = harvest_states(lock, 64, o.seed)
    result = check_properties(lock, o.examples, o.seed, shrink=ctx.shrink, harvested=harvested)
    if ctx.tracer is not None and o.guided and not result.failures:
        from verify.guided import steer

        ctx.say("L1 guided search for uncovered reference branches", "L1 guided search (rust)")
        steer(lock, result, ctx.tracer, harvested or [], o.seed)
    return result


def _interaction(ctx: LevelContext) -> LevelResult:
    lock, o = ctx.lockstep(), ctx.options
    ctx.say(f"L2 interaction ({o.programs} programs)", "L2 (rust)")
    if ctx.backend == "rust":
        from verify.rust_levels import check_rust_interaction

        return check_rust_interaction(lock, seed=o.seed)
    from verify.interaction import check_interaction

    return check_interaction(lock, o.programs, seed=o.seed)


def _rollouts(ctx: LevelContext) -> LevelResult:
    from verify.rollouts import check_rollouts

    lock, o = ctx.lockstep(), ctx.options
    ctx.say(f"L3 rollouts ({o.episodes} episodes x {len(o.policies)} policies)", "L3 (rust)")
    return check_rollouts(lock, o.episodes, o.policies, o.seed)


def _float32(ctx: LevelContext) -> LevelResult:
    from verify.float32 import run_float32_check

    message = f"float32 production check ({ctx.options.float32_samples} samples)"
    ctx.say(message, message)
    return run_float32_check(ctx.port.name, ctx.options.float32_samples, ctx.options.seed)


def _policy_transfer(ctx: LevelContext) -> LevelResult:
    from verify.policy_transfer import PolicyTransferOptions, check_policy_transfer

    o = ctx.options
    options = PolicyTransferOptions(seeds=o.l4_seeds, episodes=o.l4_episodes, total_timesteps=o.l4_timesteps, seed=o.seed)
    return check_policy_transfer(ctx.port, ctx.backend, ctx.env, options, ctx.progress)


# ----- the table ------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One verification level; its order is its place in `LEVELS` (the order a repair should follow)."""

    name: str
    title: str
    run: Callable[[LevelContext], LevelResult]
    backends: tuple[str, ...] = BACKENDS
    not_applicable: str = ""  # why it is skipped on the backends it does not apply to
    registered_only: str | None = None  # set: it runs registered translations only, and this is why
    default: bool = True  # run when no levels are named
    mutation_rank: int | None = None  # its place in mutation analysis's cheapest-first order (None: not run there)
    gates: Callable[[LevelResult], bool] | None = None  # True: this result stops the comparison at the later levels
    crash_check: str = "run"  # the check under which the level's crash (an exception) is recorded
    time_limited: bool = True  # VerifyOptions.level_timeout_s applies (not to L4: its time is the training asked)


LEVELS: tuple[Level, ...] = (
    Level("L0", "contract", _contract, mutation_rank=0, gates=_contract_blocks, crash_check="contract"),
    # D is last in mutation analysis: the one level that sees a translation's own sampling (a narrowed
    # draw range makes an episode the reference could also have played, so L1 and L3 cannot kill it).
    Level("D", "draw distribution", _distribution, mutation_rank=3),
    Level("L1", "properties", _properties, mutation_rank=1),
    Level("L2", "interaction", _interaction),
    Level("L3", "rollouts", _rollouts, mutation_rank=2),
    Level("F32", "float32 production", _float32, backends=("jax",),
          not_applicable="the Rust translation computes in float64 only: there is no float32 build to check",
          registered_only="the float32 check runs registered translations only (it needs a fresh float32 process)"),
    Level("L4", "policy transfer", _policy_transfer, default=False, time_limited=False),  # trains PPO (minutes): only when named
)

# Why the levels after a gating failure are skipped, by backend.
BLOCKED = {
    "jax": "L0 failed in a way that stops the comparison (it does not load, reset or step, or its state or draws differ from the metadata): fix the contract first",
    "rust": "L0 failed: fix the contract first",
}

LEVELS_BY_NAME = {level.name: level for level in LEVELS}
LEVEL_ORDER = tuple(level.name for level in LEVELS)
AVAILABLE_LEVELS = LEVEL_ORDER
LEVEL_TITLES = {level.name: level.title for level in LEVELS}
DEFAULT_LEVELS = tuple(level.name for level in LEVELS if level.default)
# The default levels for a translation that is not (yet) registered: an agent's workspace, a candidate.
UNREGISTERED_LEVELS = tuple(name for name in DEFAULT_LEVELS if LEVELS_BY_NAME[name].registered_only is None)
MUTATION_LEVELS = tuple(
    level.name for level in sorted((l for l in LEVELS if l.mutation_rank is not None), key=lambda l: l.mutation_rank)
)


def parse_levels(text: str) -> tuple[str, ...]:
    """'L0,L1,L3' -> ('L0', 'L1', 'L3'), rejecting unknown levels."""
    levels = tuple(dict.fromkeys(p.strip().upper() for p in text.split(",") if p.strip()))
    unknown = [l for l in levels if l not in AVAILABLE_LEVELS]
    if unknown or not levels:
        raise ValueError(f"unknown level(s) {unknown or text!r}; available: {', '.join(AVAILABLE_LEVELS)}")
    return levels


COVERAGE_LEVELS = ("L1", "L2", "L3")  # the levels that measure the reference's branch coverage


def run_level(level: Level, ctx: LevelContext) -> LevelResult:
    """The level's result on `ctx`; an exception (the translation is untrusted) is a failure of the level.

    L1-L3 also measure the reference's branch coverage, unless `ctx.options.coverage` is off. With
    `ctx.options.level_timeout_s` and `ctx.on_hang`, the level runs under that time limit (verify.watchdog)."""
    limit = ctx.options.level_timeout_s
    guard = level_time_limit(level.name, limit, ctx.on_hang) if limit and ctx.on_hang and level.time_limited else nullcontext()
    try:
        with guard:
            if ctx.options.coverage and level.name in COVERAGE_LEVELS:
                from verify.branch_coverage import attach, measured

                with measured(ctx.lockstep(), ctx.port) as ctx.tracer:
                    result = level.run(ctx)
                attach(result, ctx.tracer)
            else:
                result = level.run(ctx)
    except Exception as exc:  # untrusted translation: report, don't crash
        result = LevelResult(level.name, passed=False, checks=1)
        result.fail(level.crash_check, f"{type(exc).__name__}: {exc}")
    ctx.tracer = None
    result.title = level.title
    return result


def timed_out_result(level: str, limit_s: float, message: str) -> LevelResult:
    """The result of a level the watchdog stopped (verify.watchdog): failed on its `time limit` check."""
    from verify.watchdog import TIME_LIMIT_CHECK

    result = LevelResult(level, passed=False, checks=1, seconds=limit_s)
    result.fail(TIME_LIMIT_CHECK, message)
    result.title = LEVEL_TITLES.get(level, level)
    return result


def skip_reason(level: Level, ctx: LevelContext, blocked: bool) -> str | None:
    """Why `level` does not run in `ctx` (after a gating failure when `blocked`), or None."""
    if ctx.backend not in level.backends:
        return level.not_applicable
    if blocked:
        return BLOCKED.get(ctx.backend, BLOCKED["jax"])
    if level.registered_only and ctx.env is not None:
        return level.registered_only
    return None


def run_levels(ctx: LevelContext, selected: tuple[str, ...]) -> Iterator[tuple[str, LevelResult]]:
    """(name, result) for each level of the table in `selected`, in table order; a level that does not
    apply, or comes after a gating failure, gives a skipped result saying why."""
    blocked = False
    for level in LEVELS:
        if level.name not in selected:
            continue
        reason = skip_reason(level, ctx, blocked)
        if reason is not None:
            result = LevelResult(level.name, skipped_reason=reason)
            result.title = level.title
        else:
            result = run_level(level, ctx)
            blocked = blocked or bool(level.gates and level.gates(result))
        yield level.name, result
