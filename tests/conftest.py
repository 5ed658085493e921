"""Test setup: float64, FMA-free JAX for exact comparisons; Hypothesis profiles; the Vault test port."""

import os
import sys
from pathlib import Path

import pytest

from verify.precision import enable_verification_numerics

enable_verification_numerics()  # before any JAX computation in this process

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, max_examples=50, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="module")
def vault():
    """tests/data/rare_ports/vault (a branch plain L1 misses), registered through ENVPORT_PORTS, which worker
    processes inherit; the variable and the imported modules are restored afterwards."""
    from envs import registry

    before = os.environ.get(registry.PORTS_ENV)
    os.environ[registry.PORTS_ENV] = str((Path(__file__).parent / "data" / "rare_ports").resolve())
    try:
        from envs import get_port

        yield get_port("vault")
    finally:
        if before is None:
            os.environ.pop(registry.PORTS_ENV, None)
        else:
            os.environ[registry.PORTS_ENV] = before
        for name in [m for m in sys.modules if m == "vault" or m.startswith("vault.")]:
            sys.modules.pop(name)
        registry.forget_found_ports()  # its Port names the modules just unloaded: the next module imports them anew
