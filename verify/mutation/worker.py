"""Verify mutants of a translation in a process of their own: `python -m verify.mutation.worker PORT SOURCE_FILE`
for one, or `--serve` for a stream of them (see `serve`); `--backend rust` for the Rust build
first on the import path (see `verify_rust_mutant` and verify.mutation.rust).

The parent (verify.mutation.pool) starts this in a fresh interpreter, gives each
mutant a time limit and kills the process group when the limit passes. The levels
(verify.levels' MUTATION_LEVELS) run cheapest first and the first failing one kills the mutant:

- L0: the mutant's source is imported here (a syntax error, a name error or a
  hang at import kills it at L0), the translation class is instantiated, and
  `verify.contract.check_contract` runs its other checks on the mutant
  instance (metadata, jit, vmap, shapes, dtypes, spaces, adapter). Its load
  check (`check_loads`) would import the translation in yet another
  interpreter; this process already imported the mutant under the parent's
  time limit, and the jit checks take its reset and step, so the load check
  (the level context's `loader`) is answered from that import.
- L1: `check_properties` (one-step agreement from generated states, edge states and
  states harvested from the unmutated translation's rollouts), without shrinking;
- L3: `check_rollouts` (whole episodes in lockstep);
- D: `check_distribution` (the draws' distribution against the reference's generator), last
  because it is the one level that sees a translation's own sampling (a narrowed draw range
  makes an episode the reference could also have played, so L1 and L3 cannot kill it).

With `--guided`, L1 measures the reference's branch coverage and then runs its guided search
(verify.guided), as `envport verify` does; L3's coverage is not measured (nothing reads it here).

The last line on stdout is the result as JSON:
{"killed": bool, "level": "L0"|"L1"|"L3"|"D"|null, "check": the failing check (`guided_branch`: a
state the guided search found) or null, "message": str, "level_seconds": {...}, and with the search
"guided": {"probes", "compared", "seconds"}}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import sys
import time
import traceback
from pathlib import Path

from verify.levels import LEVELS_BY_NAME, MUTATION_LEVELS, LevelContext, VerifyOptions, run_level
from verify.mutation.mutants import HARNESS_ERROR
from verify.watchdog import TIME_LIMIT_CHECK, HangHandler

MESSAGE_LIMIT = 1500


def _first_failure(result) -> str:
    if not result.failures:
        return "failed"
    failure = result.failures[0]
    text = f"{failure.get('check', '?')}: {failure.get('message', '')}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _killed(level: str, message: str, seconds: dict[str, float], check: str | None = None) -> dict:
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    return {"killed": True, "level": level, "check": check, "message": message, "level_seconds": seconds}


_ORIGINAL_STATES: dict[tuple[str, int], list] = {}


def original_states(port, seed: int) -> list:
    """L1's pool of rollout states, harvested once per process from the unmutated translation.

    Every mutant then starts from the same reachable states, and a worker compiles
    the harvesting rollouts once instead of once per mutant.
    """
    from verify.lockstep import Lockstep
    from verify.rollouts import harvest_states

    key = (port.name, seed)
    if key not in _ORIGINAL_STATES:
        _ORIGINAL_STATES[key] = harvest_states(Lockstep(port), 64, seed)
    return _ORIGINAL_STATES[key]


def verify_mutant(
    port_name: str,
    source: str,
    *,
    class_name: str | None = None,
    examples: int = 100,
    episodes: int = 20,
    policies: tuple[str, ...] = ("uniform", "sticky", "goal"),
    seed: int = 0,
    levels: tuple[str, ...] = MUTATION_LEVELS,
    module_dir: Path,
    guided: bool = False,
    level_timeout_s: float | None = None,
    on_hang: HangHandler | None = None,
) -> dict:
    """Run the levels on the translation in `source`; stop at the first failing level. With `level_timeout_s`
    and `on_hang`, a level that runs longer is a hang: `on_hang` answers for it and the process ends (verify.watchdog)."""
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()  # before JAX computes anything

    from envs import get_port
    from verify.variants import load_module_from_source

    port = get_port(port_name)
    if class_name is None:
        class_name = type(port.make_jax()).__name__

    # L0 begins here: import the mutant and instantiate its class (a failure kills it at L0).
    start = time.perf_counter()
    try:
        module = load_module_from_source(source, module_dir, port.name.replace("-", "_"))
        cls = getattr(module, class_name)
        env = cls()
    except BaseException as exc:  # noqa: BLE001 - any failure to load is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        return _killed("L0", f"import: {type(exc).__name__}: {exc}", {"L0": time.perf_counter() - start})
    seconds = {"L0": time.perf_counter() - start} if "L0" in levels else {}
    # A fresh interpreter importing port.jax_module must find the mutant, not the original.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(module_dir), os.environ.get("PYTHONPATH", "")) if p)

    def loaded_here(name: str, candidate: str | None = None, timeout: float = 0.0, backend: str = "jax") -> str | None:
        """L0's load check: this process is the fresh interpreter (see the module docstring)."""
        return None if module.__name__ in sys.modules else f"{module.__name__} was not imported"

    options = VerifyOptions(examples=examples, episodes=episodes, policies=policies, seed=seed, coverage=guided, guided=guided,
                            level_timeout_s=level_timeout_s)
    ctx = LevelContext(
        port.replace(jax_module=module.__name__, make_jax=cls), "jax", options, env=env, loader=loaded_here,
        shrink=False, harvested=lambda: original_states(port, seed), on_hang=on_hang,
    )
    return _run_levels(ctx, levels, seconds)


def _run_levels(ctx: LevelContext, levels: tuple[str, ...], seconds: dict[str, float]) -> dict:
    """Each of MUTATION_LEVELS that is in `levels`, cheapest first, timed into `seconds`; the verdict: killed
    at the first level that fails or raises (an untrusted translation crashing is a finding), else passed.

    With `ctx.options.guided`, coverage is measured in L1 only: the guided search needs it, and no other
    level's figure is read here."""
    options, search = ctx.options, None
    for name in MUTATION_LEVELS:
        if name not in levels:
            continue
        ctx.options = dataclasses.replace(options, coverage=options.guided and name == "L1")
        start = time.perf_counter()
        result = run_level(LEVELS_BY_NAME[name], ctx)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
        if name == "L1" and result.coverage and result.coverage.get("guided"):
            done = result.coverage["guided"]
            search = {"probes": done["probes"], "compared": done["compared"], "seconds": done["seconds"]}
        if not result.passed:
            check = result.failures[0].get("check") if result.failures else None
            return {**_killed(name, _first_failure(result), seconds, check), **({"guided": search} if search else {})}
    ctx.options = options
    out = {"killed": False, "level": None, "check": None, "message": "passed " + ", ".join(levels), "level_seconds": seconds}
    return {**out, **({"guided": search} if search else {})}


def verify_rust_mutant(
    port_name: str,
    *,
    examples: int = 100,
    episodes: int = 20,
    policies: tuple[str, ...] = ("uniform", "sticky", "goal"),
    seed: int = 0,
    levels: tuple[str, ...] = MUTATION_LEVELS,
    harvested: list | None = None,
    guided: bool = False,
    level_timeout_s: float | None = None,
    on_hang: HangHandler | None = None,
) -> dict:
    """The levels on the Rust translation this process imports as `envport_rust` (a mutant's build,
    put first on the import path by verify.mutation.rust); stop at the first failing level.

    L0 is the Rust contract, L1 and L3 the shared levels in lockstep with the reference, D the
    distribution of the translation's own draws. `harvested`: L1's pool of rollout states (from
    the unmutated translation, harvested once by the parent), instead of harvesting per mutant.
    `level_timeout_s`, `on_hang`: a level's time limit, as for `verify_mutant`.
    """
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()
    from envs import get_port

    options = VerifyOptions(examples=examples, episodes=episodes, policies=policies, seed=seed, coverage=guided, guided=guided,
                            level_timeout_s=level_timeout_s)
    ctx = LevelContext(get_port(port_name), "rust", options, shrink=False, harvested=lambda: harvested, on_hang=on_hang)
    return _run_levels(ctx, levels, {})


def _verdict(port_name: str, source_file: Path, module_dir: Path, args: argparse.Namespace, guided: bool | None = None,
             level_timeout_s: float | None = None, job: str | None = None) -> dict:
    """verify_mutant on one source file, as the JSON-ready verdict (a fault of the harness is a HARNESS_ERROR, not a kill).
    `guided`: this job's choice of L1's guided search (None: `--guided`). `level_timeout_s`: a level running longer is
    a hang, which kills the mutant at that level (`time limit`): its verdict line (with `job`) is printed and the
    process ends (verify.watchdog; the parent starts another worker)."""

    def hung(level: str, limit_s: float, message: str) -> None:
        verdict = _killed(level, message, {level: round(limit_s, 2)}, TIME_LIMIT_CHECK)
        print(json.dumps({"job": job, **verdict} if job is not None else verdict), flush=True)

    common = dict(
        level_timeout_s=level_timeout_s,
        on_hang=hung,
        guided=args.guided if guided is None else guided,
        examples=args.examples,
        episodes=args.episodes,
        policies=tuple(p for p in args.policies.split(",") if p),
        seed=args.seed,
        levels=tuple(l for l in args.levels.split(",") if l),
    )
    try:
        if args.backend == "rust":
            harvested = pickle.loads(args.harvested.read_bytes()) if args.harvested else None
            out = verify_rust_mutant(port_name, harvested=harvested, **common)
        else:
            out = verify_mutant(port_name, source_file.read_text(), class_name=args.class_name, module_dir=module_dir, **common)
    except Exception as exc:  # noqa: BLE001 - a fault of the harness, not attributable to a level
        out = {"killed": False, "level": HARNESS_ERROR, "check": None, "message": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-800:]}"}
    out["level_seconds"] = {k: round(v, 2) for k, v in out.get("level_seconds", {}).items()}
    return out


def serve(args: argparse.Namespace) -> int:
    """Verify mutants one after another, as the parent sends them: one JSON job per stdin line,
    {"job": ID, "source": FILE, "module_dir": DIR} (and "guided": bool to override `--guided` for this
    mutant, "level_timeout_s": a level's time limit), answered by one stdout line {"job": ID, ...verdict}; after a
    verdict of a level's time limit the process ends.

    JAX, the reference and the verifier load once, and the many small programs that
    running JAX eagerly compiles stay compiled for the next mutant; each mutant is still
    imported as a fresh, uniquely named module. The parent enforces the time limit by
    killing this process and starting another.
    """
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()
    from envs import get_port

    get_port(args.port).make_reference()  # load the reference's modules before the first mutant's clock starts
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        out = _verdict(args.port, Path(job["source"]), Path(job["module_dir"]), args, job.get("guided"),
                       job.get("level_timeout_s"), job["job"])
        sys.stdout.flush()
        print(json.dumps({"job": job["job"], **out}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description="Verify one mutant of a port's JAX or Rust translation.")
    parser.add_argument("port")
    parser.add_argument("source", type=Path, nargs="?", help="the mutant's source file (omit with --serve or --backend rust)")
    parser.add_argument("--backend", choices=("jax", "rust"), default="jax",
                        help="rust: verify the envport_rust first on the import path (a mutant's build), no source file")
    parser.add_argument("--harvested", type=Path, default=None, help="rust: a pickle of L1's pool of rollout states")
    parser.add_argument("--serve", action="store_true", help="verify the mutants named on stdin, one per line (see `serve`)")
    parser.add_argument("--class-name", default=None)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--policies", default="uniform,sticky,goal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--levels", default=",".join(MUTATION_LEVELS))
    parser.add_argument("--guided", action="store_true", help="L1 measures the reference's branch coverage and runs its guided search")
    parser.add_argument("--module-dir", type=Path, default=None, help="where to write the module (default: beside the source)")
    parser.add_argument("--level-timeout", type=float, default=None,
                        help="seconds a level may run: longer is a hang, which kills the mutant at that level (not with --serve: per job)")
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args)
    if args.backend == "rust":
        out = _verdict(args.port, Path(), Path(), args, level_timeout_s=args.level_timeout)
    elif args.source is None:
        parser.error("give the mutant's source file, or --serve")
    else:
        out = _verdict(args.port, args.source, args.module_dir or args.source.parent / "modules", args,
                       level_timeout_s=args.level_timeout)
    sys.stdout.flush()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
