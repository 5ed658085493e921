"""What a mutant computes, as a digest: equal digests, equal computations, so the mutant is equivalent.

- `program_fingerprint`: the jaxprs (with their constants) of the translation's draws, reset and
  step at the default Params, their output structure, and the default Params; a mutant with the
  original's digest computes exactly what the original computes (SAME_PROGRAM).
- `compiled_fingerprint`: the optimised XLA programs they compile to, as canonical HLO (SAME_COMPILED;
  computed for survivors only: it sees through, e.g., an index past the end of a fixed-size array,
  which JAX clamps to the last element).

The digests are computed in a subprocess with a time limit (`program_fingerprints`), which runs
`python -m verify.mutation.fingerprint PORT DIRECTORY [CLASS] [--compiled]`: one JSON line per
source in DIRECTORY, then {"done": true}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from verify.mutation.mutants import Mutant
from verify.process import run_command

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

SAME_PROGRAM = "the mutant traces to exactly the original's JAX programs (draws, reset, step: jaxprs, constants, output structure) and default Params"

SAME_COMPILED = "the mutant compiles to exactly the original's optimised XLA programs (draws, reset, step; canonical HLO) with the same default Params"


def program_fingerprints(
    port_name: str, sources: dict[str, str], *, class_name: str | None = None, timeout_s: float | None = None,
    compiled: bool = False,
) -> dict[str, str | None]:
    """A digest of the programs each source traces to (`program_fingerprint`), or with
    `compiled` compiles to (`compiled_fingerprint`), computed in one subprocess with a time limit; None
    where tracing failed or did not finish."""
    timeout_s = timeout_s if timeout_s is not None else 120.0 + (8.0 if compiled else 2.0) * len(sources)
    found: dict[str, str | None] = {name: None for name in sources}
    with tempfile.TemporaryDirectory(prefix="envport_fingerprints_") as tmp:
        for name, source in sources.items():
            (Path(tmp) / f"{name}.py").write_text(source)
        cmd = [sys.executable, "-m", "verify.mutation.fingerprint", port_name, tmp, *([class_name] if class_name else []),
               *(["--compiled"] if compiled else [])]
        stdout = run_command(cmd, cwd=REPO_ROOT, timeout=timeout_s, stderr="discard").output
    for line in stdout.splitlines():
        try:
            out = json.loads(line)
        except json.JSONDecodeError:
            continue
        name = str(out.get("file", ""))[: -len(".py")]
        if name in found:
            found[name] = out.get("fingerprint")
    return found


def same_program_mutants(
    port: Any, source: str, mutants: list[Mutant], class_name: str | None = None, compiled: bool = False
) -> set[str]:
    """The ids of the mutants whose programs are identical to the original's (see SAME_PROGRAM), or with
    `compiled` whose optimised XLA programs are (SAME_COMPILED)."""
    if not mutants:
        return set()
    prints = program_fingerprints(
        port.name, {"original": source, **{m.id: m.source for m in mutants}}, class_name=class_name, compiled=compiled
    )
    original = prints.pop("original")
    if original is None:
        return set()
    return {mid for mid, fp in prints.items() if fp == original}


# ----- in the subprocess ------------------------------------------------------


def _example_programs(env, template_env):
    """(name, function, example arguments) of the translation's draws, reset and step at its
    default Params; the example inputs come from `template_env` (the original)."""
    import jax

    params = env.default_params
    t_params = template_env.default_params
    key = jax.random.PRNGKey(0)
    reset_draws = template_env.sample_reset_draws(key, t_params)
    _, state = template_env.reset_det(reset_draws, t_params)
    action = template_env.action_space(t_params).sample(key)
    draws = template_env.sample_draws(key, state, t_params)
    return (
        ("sample_reset_draws", env.sample_reset_draws, (key, params)),
        ("reset_det", env.reset_det, (reset_draws, params)),
        ("sample_draws", env.sample_draws, (key, state, params)),
        ("step_env_det", env.step_env_det, (state, action, draws, params)),
    )


def _params_parts(params) -> list[str]:
    import jax
    import numpy as np

    parts = [str(jax.tree.structure(params))]
    return parts + [f"{type(leaf).__name__}:{np.asarray(leaf).dtype}:{np.asarray(leaf).tolist()!r}" for leaf in jax.tree.leaves(params)]


def program_fingerprint(env, template_env) -> str:
    """A digest of everything the translation computes: the jaxprs (with their constants) of its
    draws, reset and step at the default Params, the shapes and structure of their outputs, and
    the default Params themselves."""
    import hashlib

    import jax
    import numpy as np

    parts = _params_parts(env.default_params)
    for name, fn, args in _example_programs(env, template_env):
        closed, shapes = jax.make_jaxpr(fn, return_shape=True)(*args)
        parts.append(name)
        parts.append(str(closed.jaxpr))
        parts += [f"{np.asarray(c).dtype}{np.asarray(c).shape}:{np.asarray(c).tolist()!r}" for c in closed.consts]
        parts.append(str(jax.tree.structure(shapes)))
        parts += [f"{s.shape}{s.dtype}" for s in jax.tree.leaves(shapes)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def canonical_hlo(text: str) -> str:
    """A digest of an optimised HLO module's dataflow, blind to what does not affect the computation:
    source-location tables, op metadata, comments, the names XLA gives instructions and
    computations, and the order in which independent instructions are listed.

    Each instruction is named by a hash of its text with its operands replaced by their own
    hashes, each computation by the sorted hashes of its instructions (callees are printed
    before their callers, operands before their users); the digest is the entry computation's.
    A name used before it is defined keeps its text, so no equivalence is claimed by mistake.
    """
    import hashlib
    import re

    def digest(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()[:16]

    names: dict[str, str] = {}  # computation names, then instruction names within one computation
    entry = None
    body: list[str] | None = None
    local: dict[str, str] = {}
    for raw in text.splitlines():
        line = re.sub(r"/\*.*?\*/", "", re.sub(r", metadata=\{[^}]*\}", "", raw)).strip()
        header = re.match(r"^(ENTRY )?%([\w.\-]+) \((.*)\) -> (.*) \{$", line)
        if header:
            body, local = [], {}
            comp_name, is_entry, signature = header.group(2), bool(header.group(1)), header.group(4)
            continue
        if body is None:
            continue
        if line == "}":
            names[comp_name] = digest(signature + "\n" + "\n".join(sorted(body)))
            if is_entry:
                entry = names[comp_name]
            body = None
            continue
        instr = re.match(r"^(ROOT )?%([\w.\-]+) = (.*)$", line)
        if not instr:
            body.append(line)
            continue
        resolved = re.sub(r"%([\w.\-]+)", lambda m: "%" + local.get(m.group(1), names.get(m.group(1), m.group(1))), instr.group(3))
        local[instr.group(2)] = digest(resolved)
        body.append(("ROOT " if instr.group(1) else "") + local[instr.group(2)] + " = " + resolved)
    return entry or digest(text)


def compiled_fingerprint(env, template_env) -> str:
    """A digest of the optimised XLA programs the translation's draws, reset and step compile to
    (canonical HLO, see `canonical_hlo`), with the default Params. Two translations with the same
    digest run the same machine code on every input of these shapes, whatever their source says."""
    import hashlib

    import jax

    parts = _params_parts(env.default_params)
    for name, fn, args in _example_programs(env, template_env):
        parts += [name, canonical_hlo(jax.jit(fn).lower(*args).compile().as_text())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def fingerprints_main(port_name: str, directory: Path, class_name: str | None, compiled: bool = False) -> int:
    """Print one JSON line {"file", "fingerprint" | "error"} per *.py source in `directory`, then {"done": true}.

    The fingerprint is `program_fingerprint`, or `compiled_fingerprint` with `compiled`.
    """
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()
    from envs import get_port
    from verify.variants import load_module_from_source

    port = get_port(port_name)
    template = port.make_jax()
    class_name = class_name or type(template).__name__
    modules = directory / "modules"
    for path in sorted(directory.glob("*.py")):
        try:
            module = load_module_from_source(path.read_text(), modules, "fingerprint")
            env = getattr(module, class_name)()
            digest = (compiled_fingerprint if compiled else program_fingerprint)(env, template)
            out = {"file": path.name, "fingerprint": digest}
        except Exception as exc:  # noqa: BLE001 - no fingerprint, no claim
            out = {"file": path.name, "error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(out), flush=True)
    print(json.dumps({"done": True}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a digest of the programs each *.py translation source in DIRECTORY computes.")
    parser.add_argument("port")
    parser.add_argument("directory", type=Path)
    parser.add_argument("class_name", nargs="?", default=None, help="the translation class (default: the port's)")
    parser.add_argument("--compiled", action="store_true", help="digest the optimised XLA programs (compiled_fingerprint)")
    args = parser.parse_args(argv)
    return fingerprints_main(args.port, args.directory, args.class_name, args.compiled)


if __name__ == "__main__":
    sys.exit(main())
