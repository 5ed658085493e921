"""Which branches of RLCard's own code does each L3 policy reach? (envs/rlcard/README.md: UNO's L3 leaves out sticky.)

Runs L3 (`verify.rollouts.check_rollouts`, JAX, seed 0) once per policy, uniform, sticky and the port's RLCard rule
agent, with L3's branch tracer (`verify.branch_coverage`), which for these ports measures the installed `rlcard/`
package (the face's `coverage_target`). Prints each policy's covered/total and the branches one policy reaches and
the other two do not. JAX's default numerics (not `envport verify`'s float64 ones), so its uniform and sticky games are other
random games than the verifier's.

    PYTHONPATH=$PWD .venv/bin/python docs/l3_policy_coverage.py rlcard-uno [EPISODES]
"""

from __future__ import annotations

import dataclasses
import sys

from envs import get_port
from verify.branch_coverage import measured
from verify.lockstep import Lockstep
from verify.rollouts import check_rollouts


def covered(port, policies: tuple[str, ...], episodes: int) -> tuple[set[str], int, list[str]]:
    """(the branches of RLCard's code L3 covers under `policies`, how many its entered functions have, the notes)."""
    lock = Lockstep(port)
    with measured(lock, port) as tracer:
        result = check_rollouts(lock, episodes=episodes, policies=policies, seed=0)
    assert result.passed, result.failures
    label = lambda b: f"{tracer.label(b)} ({b.outcome})"  # noqa: E731
    every = {label(b) for b in tracer.branches()}
    return every - {label(b) for b in tracer.uncovered()}, len(every), result.notes


def main() -> None:
    port = get_port(sys.argv[1])
    episodes = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    bare = dataclasses.replace(port, extra={k: v for k, v in port.extra.items() if k not in ("policies", "l3_skipped_policies")})
    runs = {"uniform": (bare, ("uniform",)), "sticky": (bare, ("sticky",)), "rule agent": (port, ())}
    reached = {}
    for name, (p, policies) in runs.items():
        reached[name], total, notes = covered(p, policies, episodes)
        print(f"{name}: {len(reached[name])} of {total} branches; {notes[0]}")
    for name in runs:
        others = set().union(*(reached[o] for o in runs if o != name))
        print(f"only {name}: {sorted(reached[name] - others) or 'none'}")


if __name__ == "__main__":
    main()
