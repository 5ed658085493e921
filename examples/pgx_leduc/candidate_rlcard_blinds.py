"""Pgx's Leduc Hold'em started from RLCard's blinds instead of its own antes: not Pgx as shipped, but a probe.

    envport verify rlcard-leduc-holdem --candidate examples/pgx_leduc/candidate_rlcard_blinds.py

With the opening stakes set as RLCard sets them (small blind 1 for the `small_blind` player, who acts first, big blind
2), the verifier gets past the first difference (README.md) and shows the next ones.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jax.numpy as jnp

_spec = importlib.util.spec_from_file_location("pgx_leduc_candidate", Path(__file__).with_name("candidate.py"))
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)


def make_candidate(port):
    """Pgx's game with RLCard's opening stakes."""
    import pgx

    return PgxLeducRLCardBlinds(port, pgx.make("leduc_holdem"))


class PgxLeducRLCardBlinds(_base.PgxLeduc):
    """Pgx's rules, RLCard's blinds."""

    def reset_det(self, draws, params):
        _, ours = self._ours.reset_det(draws, params)  # RLCard's deal and blinds, as the port computes them
        return self.get_obs(ours, params), ours
