"""Load a translation in a fresh process and take one reset and one step (L0's subprocess check).

`python -m verify.smoke PORT [--candidate SPEC]` exits 0 when the translation
imports, resets and steps; otherwise it prints the error. Run with a time limit by
`verify.contract`, so a translation that hangs at import or in its first step
fails L0 instead of hanging the verifier.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port")
    parser.add_argument("--candidate", default=None)
    parser.add_argument("--backend", default="jax", choices=("jax", "rust"))
    parser.add_argument("--rust-classes", help="SINGLE,VEC: the classes of a games module the port does not declare yet")
    parser.add_argument("--rust-source", help="that module's path inside rust_envs/")
    args = parser.parse_args(argv)
    if args.backend == "rust":
        from envs import get_port
        from envs.rust_backend import make_rust_single

        port = get_port(args.port)
        if args.rust_classes:
            backends = port.backends if "rust" in port.backends else (*port.backends, "rust")
            port = port.replace(backends=backends, rust_classes=tuple(args.rust_classes.split(",")),
                                rust_source=args.rust_source)
        env = make_rust_single(port)
        env.reset(0)
        env.step(env.action_space[1] - 1 if env.action_space[0] == "discrete" else __import__("numpy").zeros(1, "float32"))
        print("ok")
        return 0

    import jax

    from envs import get_port

    port = get_port(args.port)
    if args.candidate:
        from verify.candidates import CandidateError, load_candidate

        try:
            env = load_candidate(port, args.candidate).env
        except CandidateError as exc:
            print(exc, file=sys.stderr)
            return 2
    else:
        env = port.make_jax()
    params = env.default_params
    key = jax.random.PRNGKey(0)
    obs, state = jax.jit(env.reset)(key, params)
    action = env.action_space(params).sample(key)
    out = jax.jit(env.step)(key, state, action, params)
    jax.block_until_ready(out)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
