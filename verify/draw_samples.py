"""Samples of random draws and their comparison, shared by level D's reset and step tests.

- `RecordingGenerator`: a real numpy generator answering a reference's calls the way the tape
  answers them (uniform via standard uniforms, integers, normals, permutations), recording the
  standard variates it handed out (for a permutation also the ranked uniforms that stand for it);
- `compare_samples` / `compare_draw`: the two-sample tests (Kolmogorov-Smirnov for continuous
  draws, chi-square of homogeneity for integers) at `ALPHA`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy import stats

from verify.reports.model import LevelResult

ALPHA = 1e-4
MIN_PER_VALUE = 5  # samples per distinct value each side needs before a chi-square of an integer draw is read


class Call(tuple):
    """One recorded call, `(kind, value)`, with what an 'index' draw and the permutation tests need:
    `u`, for a ranged integer call, a uniform in [(t - low) / k, (t - low + 1) / k) for the drawn t of
    a range of size k (uniform in [0, 1) exactly when t is uniform), for a permutation its ranked
    uniforms (what a 'uniform' draw answering it holds), and `permutation`."""

    u: np.ndarray | None
    permutation: bool

    def __new__(cls, kind: str, value: Any, u: Any = None, permutation: bool = False):
        call = super().__new__(cls, (kind, value))
        call.u, call.permutation = u, permutation
        return call


class RecordingGenerator:
    """Answers a reference's generator calls from a real numpy generator, recording the standard variates."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        # The uniforms that stand for ranged integers come from a stream of their own, so the numbers
        # the reference gets are those `rng` alone would give.
        jumped = getattr(rng.bit_generator, "jumped", None)
        self._u_rng = np.random.Generator(jumped()) if jumped is not None else np.random.default_rng(0)
        self.record: list[Call] = []

    def _index_u(self, value: Any, low: Any, high: Any) -> np.ndarray:
        span = np.asarray(high, np.float64) - np.asarray(low, np.float64)
        value = np.asarray(value, np.float64)
        return (value - np.asarray(low, np.float64) + self._u_rng.random(value.shape)) / span

    def _shape(self, size, *params):
        if size is None:
            return np.broadcast(*[np.asarray(p) for p in params]).shape if params else ()
        return (size,) if np.isscalar(size) else tuple(size)

    def _out(self, value, size):
        value = np.asarray(value)
        return value.item() if size is None and value.shape == () else value

    def random(self, size=None, dtype=np.float64, out=None):
        u = self._rng.random(self._shape(size))
        self.record.append(Call("uniform", u))
        return self._out(u, size)

    def uniform(self, low=0.0, high=1.0, size=None):
        low_a, high_a = np.asarray(low, np.float64), np.asarray(high, np.float64)
        u = self._rng.random(self._shape(size, low_a, high_a))
        self.record.append(Call("uniform", u))
        return self._out(low_a + (high_a - low_a) * u, size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        v = self._rng.integers(low, high, size=size, dtype=dtype, endpoint=endpoint)
        bottom, top = (0, low) if high is None else (low, high)
        top = np.asarray(top) + (1 if endpoint else 0)
        # a copy: references update draws in place (`speeds *= dirs`)
        self.record.append(Call("integers", np.array(v), u=self._index_u(v, bottom, top)))
        return v

    def normal(self, loc=0.0, scale=1.0, size=None):
        loc_a, scale_a = np.asarray(loc, np.float64), np.asarray(scale, np.float64)
        z = self._rng.standard_normal(self._shape(size, loc_a, scale_a))
        self.record.append(Call("normal", z))
        return self._out(loc_a + scale_a * z, size)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        n = int(a) if np.isscalar(a) else len(a)
        index = self._rng.choice(n, size=size, replace=replace, p=p)
        self.record.append(Call("integers", np.asarray(index), u=self._index_u(index, 0, n) if p is None else None))
        return index if np.isscalar(a) else np.asarray(a)[index]

    def _ranked_u(self, order: np.ndarray) -> np.ndarray:
        """Ranked uniforms standing for `order`: n sorted uniforms placed by the permutation's ranks, so their stable
        argsort is `order`; independent uniforms exactly when `order` is a uniformly random permutation."""
        u = np.empty(len(order))
        u[order] = np.sort(self._u_rng.random(len(order)))
        return u

    def permutation(self, x):
        n = int(x) if np.isscalar(x) else len(x)
        order = self._rng.permutation(n)
        self.record.append(Call("integers", order.copy(), u=self._ranked_u(order), permutation=True))
        return order if np.isscalar(x) else np.asarray(x)[order]

    def shuffle(self, x, axis=0):
        order = self._rng.permutation(len(x))
        self.record.append(Call("integers", order.copy(), u=self._ranked_u(order), permutation=True))
        x[:] = np.asarray(x)[order] if isinstance(x, np.ndarray) else [x[i] for i in order]

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self.normal(0.0, 1.0, size)

    def rand(self, *shape):
        return self.random(shape if shape else None)

    def random_sample(self, size=None):
        return self.random(size)

    def randn(self, *shape):
        return self.normal(0.0, 1.0, shape if shape else None)

    def randint(self, low, high=None, size=None, dtype=int):
        return self.integers(low, high, size, dtype)

    def unsupported(self, call: str):
        """A call the tape could not answer either: D cannot sample it."""
        raise AttributeError(f"the reference called {call}, which the recording generator (and the tape) cannot answer")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self.unsupported(f"np_random.{name}")


def element_specs(specs: Sequence[Any]) -> list[Any]:
    """The draws as level D tests them: an up_to draw as its elements `name[j]` (DrawSpec.elements)."""
    return [element for spec in specs for element in spec.elements()]


def by_element(specs: Sequence[Any], values: dict[str, Any], axis: int = 0) -> dict[str, np.ndarray]:
    """`values` (name -> array) keyed as `element_specs` names them: an up_to draw's array split along `axis`
    (0: the elements a reference asked for, as `verify.tape.match_draws` stacks them; 1: a batch of the
    translation's draws), one entry per element present."""
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        if spec.name not in values:
            continue
        value = np.asarray(values[spec.name])
        if not spec.up_to:
            out[spec.name] = value
            continue
        for j in range(value.shape[axis]):
            out[f"{spec.name}[{j}]"] = np.take(value, j, axis=axis)
    return out


def _ranked_pair_cells(u: np.ndarray, i: int) -> np.ndarray:
    """For ranked uniforms (samples x N, NaN: not drawn): the cell of positions (i, i + 1) of each sample where both were
    drawn, the quartile of each and which is smaller (32 cells)."""
    both = u[~np.isnan(u[:, i]) & ~np.isnan(u[:, i + 1])]
    a, b = np.searchsorted((0.25, 0.5, 0.75), both[:, i], "right"), np.searchsorted((0.25, 0.5, 0.75), both[:, i + 1], "right")
    return (a * 4 + b) * 2 + (both[:, i] < both[:, i + 1])


def compare_permutation_pairs(result: LevelResult, check: str, spec: Any, ours: np.ndarray, theirs: np.ndarray) -> None:
    """Permutation draws (first axis: samples): each pair of neighbouring positions, as an ordered pair of
    values, against the reference's (chi-square of homogeneity). Every position can be uniform in an order
    that is not (a random rotation of 0..n-1); a pair sees it. Ranked uniforms (a 'uniform' draw) are compared
    by the quartiles of both neighbours and which ranks first."""
    if spec.kind == "uniform":
        ours, theirs = ours.reshape(len(ours), -1).astype(np.float64), theirs.reshape(len(theirs), -1).astype(np.float64)
        pairs = [(i, _ranked_pair_cells(ours, i), _ranked_pair_cells(theirs, i)) for i in range(ours.shape[1] - 1)]
    else:
        ours, theirs = ours.reshape(len(ours), -1).astype(np.int64), theirs.reshape(len(theirs), -1).astype(np.int64)
        n = ours.shape[1]
        pairs = [(i, ours[:, i] * n + ours[:, i + 1], theirs[:, i] * n + theirs[:, i + 1]) for i in range(n - 1)]
    for i, a, b in pairs:
        if min(len(a), len(b)) == 0:
            continue
        p, _ = compare_samples("integers", a, b)
        label = f"{spec.name}[{i}, {i + 1}]"
        result.checks += 1
        result.data.setdefault("p_values", {})[label] = p
        if p < ALPHA:
            result.fail(
                check,
                f"{label}: the pairs of neighbouring positions of the translation's permutations are distributed unlike "
                f"the reference generator's (chi-square p = {p:.2e} < {ALPHA}, {len(a)} translation and {len(b)} "
                "reference samples): the order is not uniformly random even where each position is",
                field=label,
            )


def value_counts(sample: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How often each of `values` (sorted, distinct) occurs in `sample`: `[np.sum(sample == v) for v in values]`,
    counted in one pass (a permutation's neighbouring pairs take up to n^2 values: a sum per value was most of D)."""
    sample, values = np.asarray(sample), np.asarray(values)
    if _has_nan(sample) or _has_nan(values):
        return np.array([np.sum(sample == v) for v in values])  # NaN equals nothing: as the sum per value counts it
    index = np.searchsorted(values, sample)
    found = index < len(values)
    found[found] = values[index[found]] == sample[found]
    return np.bincount(index[found], minlength=len(values))


def _has_nan(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.floating) and np.isnan(a).any())


def compare_samples(kind: str, ours: np.ndarray, theirs: np.ndarray) -> tuple[float, str]:
    """p-value of 'same distribution' for one draw element, and the test used."""
    if kind == "integers":
        values = np.union1d(np.unique(ours), np.unique(theirs))
        if len(values) == 1:
            return 1.0, "chi-square (one value)"
        table = np.array([value_counts(ours, values), value_counts(theirs, values)])
        return float(stats.chi2_contingency(table)[1]), "chi-square"
    return float(stats.ks_2samp(ours, theirs).pvalue), "Kolmogorov-Smirnov"


def compare_draw(result: LevelResult, check: str, spec: Any, ours: np.ndarray, theirs: np.ndarray) -> None:
    """Compare every element of draw `spec` between the translation's samples and the reference's (first axis:
    samples), recording each p-value in `result` and failing `check` where the distributions differ."""
    ours = ours.reshape(len(ours), -1).astype(np.float64)
    theirs = theirs.reshape(len(theirs), -1).astype(np.float64)
    for j in range(ours.shape[1]):
        a, b = ours[:, j], theirs[:, j]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]  # NaN: not drawn (a Rust env's lazy draws, ranked uniforms past n)
        label = spec.name if ours.shape[1] == 1 else f"{spec.name}[{j}]"
        values = len(np.union1d(np.unique(a), np.unique(b))) if spec.kind == "integers" else 1
        if not len(a) or not len(b) or spec.kind == "integers" and min(len(a), len(b)) < MIN_PER_VALUE * values:
            # chi-square's approximation needs about 5 samples per value on each side: with fewer (a draw the
            # reference makes only in rare events) its p-value is meaningless, so the element is listed, not tested
            result.data.setdefault("too_few_samples", {})[label] = {"translation": len(a), "reference": len(b), "values": values}
            continue
        p, test = compare_samples(spec.kind, a, b)
        result.checks += 1
        result.data.setdefault("p_values", {})[label] = p
        if p < ALPHA:
            result.fail(
                check,
                f"{label}: the translation's draws differ from the reference generator's ({test} p = {p:.2e} < {ALPHA}, "
                f"{len(a)} translation and {len(b)} reference samples); translation mean {a.mean():.4f} range "
                f"[{a.min():.4f}, {a.max():.4f}], reference mean {b.mean():.4f} range [{b.min():.4f}, {b.max():.4f}]",
                field=label,
            )
