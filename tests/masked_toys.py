"""The masked toy environments of the tests: the Pick game of the ports folder tests/data/pick_port (its
package `pick`, a port declaring `action_mask`), importable from the tests as `masked_toys`."""

import sys
from pathlib import Path

PORTS = Path(__file__).resolve().parent / "data" / "pick_port"
if str(PORTS) not in sys.path:
    sys.path.insert(0, str(PORTS))

from pick.game import EPISODE, ILLEGAL_REWARD, N, MaskedPick, MaskedPickGym, UnmaskedPick, pick_vector  # noqa: E402

__all__ = ["EPISODE", "ILLEGAL_REWARD", "N", "MaskedPick", "MaskedPickGym", "UnmaskedPick", "pick_vector", "PORTS"]
