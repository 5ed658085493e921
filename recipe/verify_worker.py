"""Verify a workspace translation in this (separate) process: `python -m recipe.verify_worker ...`.

Run by `recipe.verification` with a time limit, because the code under test was
written by an agent and may hang or crash. Writes the verifier's JSON report (or a
report with an L0 `load` failure when the translation cannot even be loaded).
With `--bench` it measures the translation's throughput instead (float32, as in
production), with `ppo.bench`'s measuring functions.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import traceback
from pathlib import Path

from verify.levels import UNREGISTERED_LEVELS

ADAPTER = '''"""Written by envport translate: load the workspace translation as a verify candidate."""
import importlib.util, sys, uuid


def make_candidate(port):
    name = "_envport_workspace_" + uuid.uuid4().hex[:8]
    spec = importlib.util.spec_from_file_location(name, {path!r})
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, {cls!r}):
        raise AttributeError("{file} defines no class {cls}: the translation class must be called {cls}")
    return getattr(module, {cls!r})()
'''


def load_report(level: str, check: str, message: str) -> dict:
    """A report in the verifier's JSON shape holding one failure (the translation could not be verified)."""
    from verify.levels import LEVEL_TITLES

    return {
        "passed": False,
        "first_failure": {"level": level, "check": check, "message": message},
        "levels": {level: {"level": level, "passed": False, "checks": 1, "title": LEVEL_TITLES.get(level, level),
                           "failures": [{"check": check, "message": message}], "notes": [], "skipped_reason": None}},
        "seconds": 0.0,
    }


def _new_port(workspace: Path, package: str):
    if str(workspace) not in sys.path:
        sys.path.append(str(workspace))  # appended: workspace files cannot shadow envport's own modules
    module = importlib.import_module(package)
    if not hasattr(module, "PORT"):
        raise AttributeError(f"{package}/__init__.py defines no PORT = Port(...)")
    return module.PORT


def _smoke_new_port(workspace: Path, package: str, timeout: float):
    """L0's load check for a port that is not registered: load and step it in a fresh process."""
    from verify.contract import LoadProblem
    from verify.process import last_lines, run_command

    cmd = [sys.executable, "-m", "recipe.verify_worker", "--smoke", "--workspace", str(workspace), "--package", package]
    proc = run_command(cmd, timeout=timeout, stderr="separate")
    if proc.timed_out:
        return LoadProblem(f"loading the translation and taking one step did not finish within {timeout:.0f} s")
    if proc.returncode != 0:
        return LoadProblem(f"loading the translation failed (exit {proc.returncode}):\n" + last_lines(proc.stderr, 8))
    return None


def smoke(workspace: Path, package: str) -> int:
    """Import the new port, reset and step its translation once."""
    import jax

    env = _new_port(workspace, package).make_jax()
    params = env.default_params
    key = jax.random.PRNGKey(0)
    _, state = jax.jit(env.reset)(key, params)
    jax.block_until_ready(jax.jit(env.step)(key, state, env.action_space(params).sample(key), params))
    return 0


def _translation(args, workspace: Path):
    """(port, env) of the workspace translation, registered port or new one."""
    if args.port:
        from envs import get_port
        from verify.candidates import load_candidate

        port = get_port(args.port)
        args.adapter.parent.mkdir(parents=True, exist_ok=True)
        args.adapter.write_text(ADAPTER.format(path=str(workspace / args.translation), cls=args.class_name, file=args.translation))
        return port, load_candidate(port, str(args.adapter))
    port = _new_port(workspace, args.package)
    return port, None


def _check_rust_build(site: Path) -> None:
    """Make sure `envport_rust` is the workspace build, not the one installed in the virtualenv."""
    import envport_rust

    where = Path(envport_rust.__file__).resolve()
    if site is None or Path(site).resolve() not in where.parents:
        raise ImportError(f"envport_rust was imported from {where}, not from the workspace build {site}")


def _rust_port(args):
    """The registered port for `--backend rust`, with the workspace build's classes when the port does not
    declare them yet (`--rust-classes SINGLE,VEC`, `--rust-source`: a new games module)."""
    from envs import get_port

    _check_rust_build(args.rust_site)
    port = get_port(args.port)
    if args.rust_classes:
        single, vec = args.rust_classes.split(",")
        backends = port.backends if "rust" in port.backends else (*port.backends, "rust")
        port = port.replace(backends=backends, rust_classes=(single, vec), rust_source=args.rust_source)
    return port


def bench(args, workspace: Path) -> int:
    """Steps per second of the translation at each batch size (random actions), as JSON rows."""
    from ppo.bench import bench_backend, steps_for

    if args.backend == "rust":
        port = _rust_port(args)
    else:
        port, candidate = _translation(args, workspace)
        if candidate is not None:
            env = candidate.env
            port = port.replace(make_jax=lambda: env)
    rows = []
    for size in (int(b) for b in args.batch_sizes.split(",") if b.strip()):
        row = bench_backend(args.backend, port, size, steps_for(args.backend, size, args.bench_steps), repeats=3)
        rows.append({"batch_size": size, "steps_per_second": row["steps_per_second"]})
    text = json.dumps(rows)
    args.json.write_text(text) if args.json else print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Verify (or with --bench measure) the workspace translation; writes JSON to --json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--port", help="registered port name")
    parser.add_argument("--package", help="a new port's package in the workspace")
    parser.add_argument("--translation", help="workspace-relative translation file (registered ports)")
    parser.add_argument("--class-name")
    parser.add_argument("--adapter", type=Path, help="where to write the candidate adapter file")
    parser.add_argument("--levels", default=",".join(UNREGISTERED_LEVELS))
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--programs", type=int, default=30)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load-timeout", type=float, default=120.0)
    parser.add_argument("--level-timeout", type=float, default=None,
                        help="seconds a level may run before it fails as hung and the report so far is written")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--backend", default="jax", choices=("jax", "rust"))
    parser.add_argument("--rust-site", type=Path, help="the workspace build of envport_rust (must be what gets imported)")
    parser.add_argument("--rust-classes", help="SINGLE,VEC: the classes of a new games module in the workspace build")
    parser.add_argument("--rust-source", help="that module's path inside rust_envs/")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--bench", action="store_true", help="measure throughput instead of verifying")
    parser.add_argument("--batch-sizes", default="32,128,512,2048,8192")
    parser.add_argument("--bench-steps", type=int, default=1_000_000, help="environment steps per measurement (about)")
    args = parser.parse_args(argv)
    workspace = args.workspace.resolve()
    if args.bench:
        return bench(args, workspace)
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()  # before anything touches JAX
    if args.smoke:
        return smoke(workspace, args.package)

    from verify.runner import VerifyOptions, parse_levels

    levels = parse_levels(args.levels)
    options = VerifyOptions(examples=args.examples, programs=args.programs, episodes=args.episodes, seed=args.seed,
                            level_timeout_s=args.level_timeout)

    def hung(report) -> None:  # a level ran past --level-timeout: the report so far, then the process ends
        _write_report(args, report.to_dict())

    try:
        if args.backend == "rust":
            report = verify_port(_rust_port(args), levels, options, backend="rust", on_hang=hung).to_dict()
        else:
            report = _verify_jax(args, workspace, levels, options, hung)
    except Exception as exc:  # the translation (or its metadata) does not load
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
        report = load_report("L0", "load", f"{type(exc).__name__}: {exc}\n{tb}")
    _write_report(args, report)
    return 0


def _verify_jax(args, workspace: Path, levels, options, hung) -> dict:
    """The report of the workspace's JAX translation: a registered port's (as a candidate), or a new port's."""
    from verify.runner import verify_port

    port, candidate = _translation(args, workspace)
    if candidate is not None:
        return verify_port(port, levels, options, candidate=candidate, on_hang=hung).to_dict()
    from verify.levels import LEVELS_BY_NAME

    # a new port: loaded from the workspace, in a fresh process of its own; no registered translation
    loader = lambda *a, **k: _smoke_new_port(workspace, args.package, args.load_timeout)  # noqa: E731
    unregistered = tuple(l for l in levels if LEVELS_BY_NAME[l].registered_only is None)
    reproduce = (f"import sys\nsys.path.insert(0, {str(workspace)!r})\nfrom {args.package} import PORT\n"
                 "from verify.lockstep import Lockstep\nlock = Lockstep(PORT)\n")
    return verify_port(port, unregistered, options, loader=loader, reproduce=reproduce, on_hang=hung).to_dict()


def _write_report(args, report: dict) -> None:
    """The report as JSON, to --json or stdout."""
    text = json.dumps(report, indent=2, default=str)
    if args.json:
        args.json.write_text(text)
    else:
        print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
