"""Comparing one step of the reference with one step of a translation, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.spec import Port, Tolerance


@dataclass
class StepOutcome:
    """What one reset or step produced, on either side, as numpy values."""

    obs: np.ndarray
    state: dict[str, np.ndarray]
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    # The legal-action mask of the state returned (bool, one per discrete action), for ports with
    # Port.action_mask; None where the side did not report one.
    action_mask: np.ndarray | None = None
    # A turn-based port's observation of every player, stacked in seat order (`observe_all`); None where the side
    # did not report it (`obs` is the acting player's alone).
    observations: np.ndarray | None = None


@dataclass
class Mismatch:
    """One output that differs: which, both values, the rule it broke, and by how much (`excess`, see
    `tolerance_excess`: the error in units of the rule's tolerance)."""

    field: str
    expected: Any
    actual: Any
    rule: str
    excess: float = float("inf")
    detail: str = ""  # what differs, where the two values alone do not say it plainly (a mask's indices)

    def describe(self) -> str:
        text = f"{self.field}: reference {_fmt(self.expected)} != translation {_fmt(self.actual)} ({self.rule})"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        out = {"field": self.field, "expected": _plain(self.expected), "actual": _plain(self.actual), "rule": self.rule,
               "excess": self.excess if np.isfinite(self.excess) else None}
        if self.detail:
            out["detail"] = self.detail
        return out


def _plain(value: Any) -> Any:
    value = np.asarray(value)
    return value.item() if value.shape == () else value.tolist()


def _fmt(value: Any) -> str:
    value = np.asarray(value)
    if value.dtype.kind == "f":
        return np.array2string(value, precision=17, floatmode="maxprec") if value.shape else repr(float(value))
    return repr(_plain(value))


def values_match(expected, actual, rule: str, rtol: float, atol: float) -> bool:
    """Exact equality, or closeness within rtol/atol; NaN equals NaN (it stands for None)."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.shape != actual.shape:
        return False
    if rule == "exact" or expected.dtype.kind in "biu" and actual.dtype.kind in "biu":
        return bool(np.array_equal(expected, actual, equal_nan=expected.dtype.kind == "f"))
    if expected.shape == ():  # the common case, kept out of numpy's slower array path
        e, a = float(expected), float(actual)
        if e == a:
            return True
        if e != e or a != a:
            return e != e and a != a
        return abs(a - e) <= atol + rtol * abs(e)
    e, a = expected.astype(np.float64), actual.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e))
    both_nan = np.isnan(e) & np.isnan(a)
    return bool(np.all(close | both_nan))


def tolerance_excess(expected, actual, rule: str, rtol: float, atol: float) -> float:
    """How far apart two values are in units of what the rule allows: the largest |actual - expected| / (atol + rtol
    |expected|) over the elements for `close`; for `exact` (or a zero tolerance) the distance in half resolution
    steps, 1 for integers and booleans and an ulp for floats, so that one step off counts 2. Infinite for a
    different shape or a NaN on one side only. Comparable across fields: the largest marks the headline field."""
    e, a = np.asarray(expected), np.asarray(actual)
    if e.shape != a.shape:
        return float("inf")
    integral = e.dtype.kind in "biu" and a.dtype.kind in "biu"
    with np.errstate(invalid="ignore"):  # an ulp of the expected value in its own float dtype
        ulp = np.spacing(np.abs(e)).astype(np.float64) if e.dtype.kind == "f" else np.spacing(np.abs(e.astype(np.float64)))
    e, a = e.astype(np.float64), a.astype(np.float64)
    nan_e, nan_a = np.isnan(e), np.isnan(a)
    if np.any(nan_e != nan_a):
        return float("inf")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        error = np.where(nan_e, 0.0, np.abs(a - e))
        if rule == "exact" or integral or rtol == 0 and atol == 0:
            allowed = 0.5 if integral else 0.5 * np.where(nan_e, 1.0, ulp)
        else:
            allowed = atol + rtol * np.where(nan_e, 0.0, np.abs(e))
        ratio = np.where(error == 0, 0.0, error / allowed)
    return float(np.max(ratio)) if ratio.size else 0.0


def _rule_text(tol: Tolerance | Any) -> str:
    return "exact" if tol.rule == "exact" else f"close, rtol={tol.rtol:g} atol={tol.atol:g}"


def compare_outcomes(port: Port, expected: StepOutcome, actual: StepOutcome, with_step: bool = True) -> list[Mismatch]:
    """Every output of `actual` that breaks the port's comparison rules against `expected`, the largest error relative
    to its tolerance first (`Mismatch.excess`), so that the first is the headline of a failure: a field far outside
    its tolerance, not one a rounding away that happens to come earlier. The observation comes after the state,
    reward and flags whatever its excess (it is computed from the state: a wrong velocity shows in both, and the
    state field is the cause); it leads only when nothing else differs. Ties keep the state's order, then reward and
    flags."""
    found: list[Mismatch] = []

    def differs(name: str, e: Any, a: Any, rule: str, rtol: float, atol: float, text: str) -> None:
        if not values_match(e, a, rule, rtol, atol):
            found.append(Mismatch(name, e, a, text, tolerance_excess(e, a, rule, rtol, atol)))

    for f in port.state_fields:
        e, a = expected.state.get(f.name), actual.state.get(f.name)
        if a is None:
            found.append(Mismatch(f"state.{f.name}", e, "<missing>", "present"))
        else:
            differs(f"state.{f.name}", e, a, f.rule, f.rtol, f.atol, _rule_text(f))
    if with_step:
        tol = port.reward_tolerance
        differs("reward", expected.reward, actual.reward, tol.rule, tol.rtol, tol.atol, _rule_text(tol))
        for name in ("terminated", "truncated"):
            differs(name, bool(getattr(expected, name)), bool(getattr(actual, name)), "exact", 0.0, 0.0, "exact")
    tol = port.obs_tolerance
    differs("obs", expected.obs, actual.obs, tol.rule, tol.rtol, tol.atol, _rule_text(tol))
    # Every player's observation, where both sides reported it (hidden information must not leak into any seat's view).
    if expected.observations is not None and actual.observations is not None:
        e, a = np.asarray(expected.observations), np.asarray(actual.observations)
        if e.shape != a.shape:
            found.append(Mismatch("observations", e, a, "exact", detail=f"shape {a.shape}, want the reference's {e.shape}"))
        else:
            for player, (e_p, a_p) in enumerate(zip(e, a)):
                differs(f"observations[{player}]", e_p, a_p, tol.rule, tol.rtol, tol.atol, _rule_text(tol))
    # A masked port's masks, where a side reported one (a comparison of written states alone has neither).
    if port.action_mask and (expected.action_mask is not None or actual.action_mask is not None):
        found += compare_masks(expected.action_mask, actual.action_mask)
    if port.extra.get("precision") == "float32" and _rounding_flip(port, found):
        return []
    # Outputs computed from the state (observation, mask) after the state's own fields, furthest outside tolerance first.
    return sorted(found, key=lambda m: (m.field in ("obs", "action_mask") or m.field.startswith("observations"), -m.excess))


def _rounding_flip(port: Port, found: list[Mismatch]) -> bool:
    """For a float32-native translation (verify.float32.float32_view): a terminated or truncated flag differs while
    every float state field agrees within float32's tolerance. The step met a threshold by rounding (float32 cannot
    tell x > 2.4 from x >= 2.4 at x = 2.4), and what follows from the flag (the reward, a step counter) differs with
    it; such a step is not a failure, as the F32 level counts and does not fail such flips."""
    fields = {m.field for m in found}
    floats = {f"state.{f.name}" for f in port.state_fields if f.kind == "float"}
    return bool(fields & {"terminated", "truncated"}) and not fields & (floats | {"obs"})


def compare_masks(expected: Any, actual: Any) -> list[Mismatch]:
    """The legal-action masks compared exactly, as a list of at most one Mismatch naming the actions that differ."""
    if expected is None or actual is None:
        missing = "reference" if expected is None else "translation"
        return [Mismatch("action_mask", "<missing>" if expected is None else expected, "<missing>" if actual is None else actual,
                         "present", detail=f"the {missing} returned no info['action_mask'] (the port declares a mask)")]
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.shape != actual.shape or actual.dtype != np.bool_:
        return [Mismatch("action_mask", expected, actual, "exact",
                         detail=f"shape {actual.shape} dtype {actual.dtype}, want the reference's {expected.shape} bool")]
    differ = np.flatnonzero(expected.reshape(-1) != actual.reshape(-1))
    if not len(differ):
        return []
    legal_ref = [int(i) for i in differ if expected.reshape(-1)[i]]
    legal_ours = [int(i) for i in differ if actual.reshape(-1)[i]]
    return [Mismatch("action_mask", expected, actual, "exact",
                     detail=f"differs at actions {differ.tolist()} (legal only for the reference: {legal_ref}; "
                     f"only for the translation: {legal_ours})")]


def _stacked(values: list[Any]) -> np.ndarray | None:
    """The per-step values as one array [step, ...], or None where their shapes or dtypes differ (or one is missing)."""
    if any(v is None for v in values):
        return None
    arrays = [np.asarray(v) for v in values]
    first = arrays[0]
    if any(a.shape != first.shape or a.dtype != first.dtype for a in arrays):
        return None
    return np.stack(arrays)


def _all_match(expected: np.ndarray | None, actual: np.ndarray, rule: str, rtol: float, atol: float) -> bool:
    """`values_match` at every step at once (leading axis: steps); False where the steps could not be stacked."""
    return expected is not None and values_match(expected, actual, rule, rtol, atol)


def episode_agrees(port: Port, expected: list[StepOutcome], obs: np.ndarray, state: dict[str, np.ndarray], reward: np.ndarray,
                   terminated: np.ndarray, truncated: np.ndarray, action_mask: np.ndarray | None = None) -> bool:
    """Whether `compare_outcomes(port, expected[t], actual_t)` finds nothing at any step t, checked for all steps at once;
    the translation's side given as arrays with a leading step axis (a rollout's trajectory). True only when every step
    agrees by the port's rules; False also where this cannot tell cheaply (values whose shape or dtype changes between
    steps, every player's observations, a mask missing on a side): the caller then compares step by step, which finds
    and describes the first difference."""
    if any(o.observations is not None for o in expected):
        return False
    for f in port.state_fields:
        if not _all_match(_stacked([o.state.get(f.name) for o in expected]), np.asarray(state[f.name]), f.rule, f.rtol, f.atol):
            return False
    tol = port.reward_tolerance
    if not _all_match(np.array([float(o.reward) for o in expected]), np.asarray(reward, np.float64), tol.rule, tol.rtol, tol.atol):
        return False
    for name, flags in (("terminated", terminated), ("truncated", truncated)):
        if not np.array_equal(np.array([bool(getattr(o, name)) for o in expected]), np.asarray(flags, bool)):
            return False
    tol = port.obs_tolerance
    if not _all_match(_stacked([o.obs for o in expected]), np.asarray(obs), tol.rule, tol.rtol, tol.atol):
        return False
    if port.action_mask and (action_mask is not None or any(o.action_mask is not None for o in expected)):
        masks = _stacked([o.action_mask for o in expected])
        return (masks is not None and action_mask is not None and np.asarray(action_mask).dtype == np.bool_
                and masks.shape == np.shape(action_mask) and bool(np.array_equal(masks, action_mask)))
    return True
