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


@dataclass
class Mismatch:
    """One output that differs: which, both values, and the rule it broke."""

    field: str
    expected: Any
    actual: Any
    rule: str
    detail: str = ""  # what differs, where the two values alone do not say it plainly (a mask's indices)

    def describe(self) -> str:
        text = f"{self.field}: reference {_fmt(self.expected)} != translation {_fmt(self.actual)} ({self.rule})"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        out = {"field": self.field, "expected": _plain(self.expected), "actual": _plain(self.actual), "rule": self.rule}
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


def _rule_text(tol: Tolerance | Any) -> str:
    return "exact" if tol.rule == "exact" else f"close, rtol={tol.rtol:g} atol={tol.atol:g}"


def compare_outcomes(port: Port, expected: StepOutcome, actual: StepOutcome, with_step: bool = True) -> list[Mismatch]:
    """Every output of `actual` that breaks the port's comparison rules against `expected`."""
    # State first: it is the cause; observation, reward and flags follow from it.
    found: list[Mismatch] = []
    for f in port.state_fields:
        e, a = expected.state.get(f.name), actual.state.get(f.name)
        if a is None:
            found.append(Mismatch(f"state.{f.name}", e, "<missing>", "present"))
        elif not values_match(e, a, f.rule, f.rtol, f.atol):
            found.append(Mismatch(f"state.{f.name}", e, a, _rule_text(f)))
    if with_step:
        tol = port.reward_tolerance
        if not values_match(expected.reward, actual.reward, tol.rule, tol.rtol, tol.atol):
            found.append(Mismatch("reward", expected.reward, actual.reward, _rule_text(tol)))
        for name in ("terminated", "truncated"):
            e, a = bool(getattr(expected, name)), bool(getattr(actual, name))
            if e != a:
                found.append(Mismatch(name, e, a, "exact"))
    tol = port.obs_tolerance
    if not values_match(expected.obs, actual.obs, tol.rule, tol.rtol, tol.atol):
        found.append(Mismatch("obs", expected.obs, actual.obs, _rule_text(tol)))
    # A masked port's masks, where a side reported one (a comparison of written states alone has neither).
    if port.action_mask and (expected.action_mask is not None or actual.action_mask is not None):
        found += compare_masks(expected.action_mask, actual.action_mask)
    return found


def compare_masks(expected: Any, actual: Any) -> list[Mismatch]:
    """The legal-action masks compared exactly, as a list of at most one Mismatch naming the actions that differ."""
    if expected is None or actual is None:
        missing = "reference" if expected is None else "translation"
        return [Mismatch("action_mask", "<missing>" if expected is None else expected, "<missing>" if actual is None else actual,
                         "present", f"the {missing} returned no info['action_mask'] (the port declares a mask)")]
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.shape != actual.shape or actual.dtype != np.bool_:
        return [Mismatch("action_mask", expected, actual, "exact",
                         f"shape {actual.shape} dtype {actual.dtype}, want the reference's {expected.shape} bool")]
    differ = np.flatnonzero(expected.reshape(-1) != actual.reshape(-1))
    if not len(differ):
        return []
    legal_ref = [int(i) for i in differ if expected.reshape(-1)[i]]
    legal_ours = [int(i) for i in differ if actual.reshape(-1)[i]]
    return [Mismatch("action_mask", expected, actual, "exact",
                     f"differs at actions {differ.tolist()} (legal only for the reference: {legal_ref}; "
                     f"only for the translation: {legal_ours})")]
