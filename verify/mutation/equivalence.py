"""Equivalent mutants: those that cannot change what the translation computes, left out of the kill rate.

Decided by rules while the mutants are generated (`decide_equivalence`), each with its reason recorded:

- the mutated source parses to the original tree;
- a Params default that neither the module nor its base classes read;
- x * 1 vs x / 1;
- `x < k` vs `x <= k` (or > / >=) in the condition of jnp.where(cond, k, x): both
  branches agree where the two comparisons differ;
- a sign change that reaches only the argument of an even function (cos, abs, square,
  even powers) through products and float casts;
- a sign change on a comparison operand that is zero (-0.0 == 0.0), also a Params
  field whose default is zero;
- at the default Params (the only ones the verifier runs) the mutated expression folds
  to exactly the original value (m * l**2 vs m / l**2 with m = l = 1);

and by review (`mark_reviewed`): a person read the mutant and recorded why it cannot change
behaviour on the port's state domain (verify/equivalent_mutants.toml, matched by the changed
line). Two more are decided by what the mutant computes (verify.mutation.fingerprint): it traces
to exactly the original's programs, or (a survivor) compiles to exactly the original's
optimised XLA programs.

An equivalent mutant is still verified: a kill overrides the rule (`equivalence_contradicted`).
"""

from __future__ import annotations

import ast
import dataclasses
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify.mutation.mutants import GeneratedMutants

if TYPE_CHECKING:
    from verify.mutation.generate import MutationCandidate


def call_name(node: ast.Call) -> str:
    """The called function as written ('jnp.where'), or ''."""
    try:
        return ast.unparse(node.func)
    except Exception:  # pragma: no cover
        return ""


def _params_fields(tree: ast.Module) -> dict[str, ast.AnnAssign]:
    params = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params"), None)
    if params is None:
        return {}
    return {s.target.id: s for s in params.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


_REFLECTIVE_ACCESS = ("getattr(", "fields(", "vars(", "asdict(", "astuple(", "__dict__")


@dataclasses.dataclass(frozen=True)
class Original:
    """The unmutated translation as `decide_equivalence` reads it, computed once for all its mutants.

    `context`: the parsed modules of the translation's base classes, which read Params too.
    `attributes_read`: every attribute name the modules read, or None when one of them reads attributes
    reflectively (getattr, dataclasses.fields, ...), so that no Params field can be called unread.
    """

    tree: ast.Module
    context: tuple[ast.Module, ...]
    parents: dict[int, ast.AST]
    attributes_read: frozenset[str] | None

    @classmethod
    def of(cls, tree: ast.Module, context: tuple[ast.Module, ...], parents: dict[int, ast.AST]) -> "Original":
        """The facts of `tree` and its base classes' modules."""
        modules = (tree, *context)
        sources = [ast.unparse(m) for m in modules]
        reflective = any(marker in s for s in sources for marker in _REFLECTIVE_ACCESS)
        read = None if reflective else frozenset(n.attr for m in modules for n in ast.walk(m) if isinstance(n, ast.Attribute))
        return cls(tree, context, parents, read)


@dataclasses.dataclass(frozen=True)
class MutatedStatement:
    """The statement holding a mutant's change, before and after it; the rest of the module is unchanged.

    `counterpart`: for each node of the original statement (by id), the node standing for it in `mutated`;
    `mutated_dump`: `ast.dump(mutated)`, which every text edit's reparse is compared with.
    """

    original: ast.stmt
    mutated: ast.stmt
    counterpart: dict[int, ast.AST]
    mutated_dump: str

    def unchanged(self) -> bool:
        """Whether the mutated statement parses to the original one."""
        return ast.dump(self.original) == self.mutated_dump


def decide_equivalence(original: Original, candidate: MutationCandidate, change: MutatedStatement) -> str | None:
    """The reason a mutant is provably equivalent, or None (when unsure: not equivalent)."""
    tree, parents = original.tree, original.parents
    if change.unchanged():
        return "the mutated source is identical to the original after parsing"
    # A Params default that neither the module nor its base classes read (by attribute name,
    # with no reflective access anywhere) can change no behaviour.
    if original.attributes_read is not None:
        for name, stmt in _params_fields(tree).items():
            if name not in original.attributes_read and any(n is candidate.node for n in ast.walk(stmt.value)):
                return f"Params.{name} is read neither by the translation nor by its base classes"
    # x * 1 and x / 1 are both exactly x in IEEE arithmetic.
    node = candidate.node
    for rule in (_boundary_equivalence, _even_function_equivalence, _zero_test_equivalence):
        reason = rule(candidate, parents)
        if reason:
            return reason
    reason = _signed_zero_equivalence(candidate, parents, tree)
    if reason:
        return reason
    if candidate.operator == "arith" and isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        if isinstance(node.right, ast.Constant) and type(node.right.value) in (int, float) and node.right.value == 1:
            return "x * 1 and x / 1 are both exactly x"
    return _folding_equivalence(tree, candidate, change.counterpart, parents)


_EXACT_SCALE = 2**20  # folded values: multiples of 2**-20 below 2**20 that float32 holds, exact in any float arithmetic


def _exact(value: Any) -> bool:
    """Whether `value` is a multiple of 2**-20 below 2**20 that float32 holds exactly."""
    if type(value) not in (int, float) or value != value or abs(value) >= _EXACT_SCALE:
        return False
    scaled = value * _EXACT_SCALE
    return scaled == int(scaled) and struct.unpack("f", struct.pack("f", value))[0] == value


def _fold(node: ast.AST, env: dict[str, float]) -> float | int | None:
    """The value of a constant arithmetic expression, if every intermediate value is exact; else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
    elif isinstance(node, ast.Name):
        value = env.get(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        value = env.get(f"{node.value.id}.{node.attr}")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _fold(node.operand, env)
        value = None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        left, right = _fold(node.left, env), _fold(node.right, env)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                value = left + right
            elif isinstance(node.op, ast.Sub):
                value = left - right
            elif isinstance(node.op, ast.Mult):
                value = left * right
            elif isinstance(node.op, ast.Div):
                value = left / right
            else:
                if type(right) is not int or not 0 <= right <= 8:
                    return None
                value = left**right
        except (ZeroDivisionError, OverflowError):
            return None
    else:
        return None
    return value if value is not None and _exact(value) else None


def _folding_env(tree: ast.Module, node: ast.AST, parents: dict[int, ast.AST]) -> dict[str, float]:
    """Known values around `node`: Params defaults (as params.NAME) and the enclosing function's
    locals that are assigned once, at its top level, from such values."""
    env: dict[str, float] = {}
    for name, stmt in _params_fields(tree).items():
        value = _fold(stmt.value, env) if stmt.value is not None else None
        if value is not None:
            env[f"params.{name}"] = value
    func = parents.get(id(node))
    while func is not None and not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        func = parents.get(id(func))
    if func is None:
        return env
    stores: dict[str, int] = {}
    for n in ast.walk(func):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            stores[n.id] = stores.get(n.id, 0) + 1
        elif isinstance(n, ast.arg):
            stores[n.arg] = stores.get(n.arg, 0) + 1
    for stmt in func.body:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            pairs = []
            if isinstance(target, ast.Name):
                pairs = [(target, stmt.value)]
            elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple) and len(target.elts) == len(stmt.value.elts):
                pairs = list(zip(target.elts, stmt.value.elts))
            for t, v in pairs:
                if isinstance(t, ast.Name) and stores.get(t.id) == 1:
                    value = _fold(v, env)
                    if value is not None:
                        env[t.id] = value
    return env


def _folding_equivalence(
    tree: ast.Module, candidate: MutationCandidate, counterpart: dict[int, ast.AST], parents: dict[int, ast.AST]
) -> str | None:
    """The mutated expression, folded with the default Params, gives exactly the original value.

    From the mutated node, climb to the largest enclosing arithmetic expression whose
    value is known in both versions (literals, Params defaults, locals assigned once
    from them) and compare: e.g. m * l**2 vs m / l**2 with m = l = 1. Every
    intermediate value must be a short dyadic number, so any float arithmetic, in any
    precision, computes it exactly. Such a mutant differs only for other Params.
    """
    if candidate.operator not in ("arith", "constant", "sign", "drop_term"):
        return None
    env = _folding_env(tree, candidate.node, parents)
    node, best = candidate.node, None
    while isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Attribute)):
        before = _fold(node, env)
        after = _fold(counterpart[id(node)], env)
        if before is None or after is None:
            break
        best = (node, before, counterpart[id(node)], after)
        parent = parents.get(id(node))
        if not isinstance(parent, (ast.BinOp, ast.UnaryOp)):
            break
        node = parent
    if best is None:
        return None
    original, before, mutated, after = best
    if before != after or type(before) is not type(after) and not (isinstance(before, float) or isinstance(after, float)):
        return None
    return (
        f"with the default Params '{ast.unparse(original)}' and the mutant's '{ast.unparse(mutated)}' both equal "
        f"{before!r} exactly; they differ only for other Params (the verifier runs the defaults)"
    )


def _number(node: ast.AST) -> float | None:
    """The value of a numeric literal (or its negation), else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


_STRICTNESS_PAIRS = ({ast.Lt, ast.LtE}, {ast.Gt, ast.GtE})
_BOOLEAN_GLUE = (ast.BitAnd, ast.BitOr)


def _boundary_equivalence(candidate: MutationCandidate, parents: dict[int, ast.AST]) -> str | None:
    """`x < k` vs `x <= k` (or > vs >=) in the condition of jnp.where(cond, k, x) / jnp.where(cond, x, k).

    The two comparisons differ only where x == k, and there both branches of the
    where hold the same number (k, possibly as 0.0 against -0.0, which compare
    equal), so the result cannot change.
    """
    node = candidate.node
    if candidate.operator != "compare" or not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    if {type(node.ops[0]), candidate.new_op} not in _STRICTNESS_PAIRS:
        return None
    x, k = node.left, node.comparators[0]
    k_value = _number(k)
    if k_value is None or not isinstance(x, (ast.Name, ast.Attribute)):
        return None
    child, parent = node, parents.get(id(node))
    while isinstance(parent, ast.BinOp) and isinstance(parent.op, _BOOLEAN_GLUE) or (
        isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Invert)
    ):
        child, parent = parent, parents.get(id(parent))
    if not (
        isinstance(parent, ast.Call)
        and call_name(parent) in ("jnp.where", "jax.numpy.where")
        and len(parent.args) == 3
        and parent.args[0] is child
    ):
        return None
    a, b = parent.args[1], parent.args[2]
    same = lambda e: ast.dump(e) == ast.dump(x)  # noqa: E731
    if (same(a) and _number(b) == k_value) or (same(b) and _number(a) == k_value):
        return (
            f"'{ast.unparse(node)}' changes only where {ast.unparse(x)} == {k_value!r}, where both branches "
            f"of the jnp.where give that value"
        )
    return None


_EVEN_FUNCTIONS = ("jnp.cos", "jnp.cosh", "jnp.abs", "jnp.absolute", "jnp.fabs", "jnp.square", "jax.numpy.cos", "jax.numpy.square")


def _even_function_equivalence(candidate: MutationCandidate, parents: dict[int, ast.AST]) -> str | None:
    """A sign change on a factor of the whole argument of an even function: cos(-x) == cos(x).

    Negation is exact, and * and / and casts between float types are sign-symmetric
    in IEEE arithmetic (round to nearest), so the argument only changes sign; cos, cosh, abs, square and even integer powers give
    bit-identical results for x and -x (for cos on XLA's CPU backend this was
    checked on 14 million float64 arguments from 1e-3 to 1e8: no difference).
    """
    if candidate.operator != "sign" or candidate.target is None:
        return None
    top = candidate.target  # a node of the original tree: the operand that gains or loses its minus
    parent = parents.get(id(top))
    while True:  # climb through products and float casts, which carry the sign exactly
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Mult, ast.Div)):
            top, parent = parent, parents.get(id(parent))
        elif isinstance(parent, ast.Attribute) and parent.attr == "astype" and parent.value is top:
            call = parents.get(id(parent))
            if not isinstance(call, ast.Call) or call.func is not parent:
                break
            top, parent = call, parents.get(id(call))
        else:
            break
    even = False
    if isinstance(parent, ast.Call) and call_name(parent) in _EVEN_FUNCTIONS and parent.args == [top] and not parent.keywords:
        even = True
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow) and parent.left is top:
        power = _number(parent.right)
        even = type(power) is int and power % 2 == 0
    if not even:
        return None
    return f"the sign change reaches only the argument of an even function ({ast.unparse(parent)}): f(-x) == f(x) exactly"


def _signed_zero_equivalence(candidate: MutationCandidate, parents: dict[int, ast.AST], tree: ast.Module) -> str | None:
    """A sign change on a comparison operand whose value is zero: -0.0 and 0.0 compare equal."""
    if candidate.operator != "sign" or candidate.target is None:
        return None
    target = candidate.target
    inner = target.operand if isinstance(target, ast.UnaryOp) else target
    compare = candidate.node if candidate.anchor is None and isinstance(candidate.node, ast.Compare) else parents.get(id(target))
    if not isinstance(compare, ast.Compare) or not any(o is target for o in [compare.left, *compare.comparators]):
        return None
    value = _number(inner)
    where = "literal"
    if value is None and isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id == "params":
        stmt = _params_fields(tree).get(inner.attr)
        value = None if stmt is None or stmt.value is None else _number(stmt.value)
        where = f"Params.{inner.attr} at its default (the Params the verifier runs)"
    if value is None or value != 0:
        return None
    return f"the operand is zero ({where}), and -0.0 and 0.0 compare equal"


def _zero_test_equivalence(candidate: MutationCandidate, parents: dict[int, ast.AST]) -> str | None:
    """A sign change on an operand tested for (in)equality with a literal zero: -x == 0 exactly when
    x == 0, for integers (the most negative one negates to itself) and floats (-0.0, NaN) alike."""
    if candidate.operator != "sign" or candidate.target is None:
        return None
    target = candidate.target
    compare = candidate.node if candidate.anchor is None and isinstance(candidate.node, ast.Compare) else parents.get(id(target))
    if not isinstance(compare, ast.Compare) or len(compare.ops) != 1 or not isinstance(compare.ops[0], (ast.Eq, ast.NotEq)):
        return None
    left, right = compare.left, compare.comparators[0]
    other = right if left is target else left if right is target else None
    if other is None or _number(other) != 0:
        return None
    return f"the operand is only tested for equality with zero ({ast.unparse(compare)}): -x == 0 exactly when x == 0"


# ----- reviewed by a person -----------------------------------------------------


REVIEWED_EQUIVALENTS = Path(__file__).resolve().parent.parent / "equivalent_mutants.toml"  # verify/, package data


def _changed_lines(diff: str) -> tuple[str, str] | None:
    """The one removed and the one added line of a single-line diff (stripped), or None."""
    removed = [l[1:].strip() for l in diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    added = [l[1:].strip() for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    return (removed[0], added[0]) if len(removed) == len(added) == 1 else None


def reviewed_equivalents(port_name: str, path: Path = REVIEWED_EQUIVALENTS, backend: str = "jax") -> dict[tuple[str, str, int | None], str]:
    """The mutants of `port_name`'s `backend` translation a person has read and found equivalent:
    (line before, line after, line number or None) -> reason. An entry without `backend` is for the JAX
    translation; one with `line` matches only a mutant on that line (for a line the source repeats)."""
    import tomllib

    entries = tomllib.loads(path.read_text()).get("mutant", []) if path.exists() else []
    return {
        (e["before"].strip(), e["after"].strip(), e.get("line")): e["reason"]
        for e in entries if e["port"] == port_name and e.get("backend", "jax") == backend
    }


def mark_reviewed(generated: GeneratedMutants, port_name: str, backend: str = "jax") -> GeneratedMutants:
    """`generated` with the mutants a person found equivalent (reviewed_equivalents) marked, matched by
    their one changed line and, where the entry gives one, its line number; a rule's reason is kept."""
    reviewed = reviewed_equivalents(port_name, backend=backend)
    for i, m in enumerate(generated.mutants):
        before, after = _changed_lines(m.diff) or ("", "")
        reason = reviewed.get((before, after, m.line)) or reviewed.get((before, after, None))
        if m.equivalent is None and reason:
            generated.mutants[i] = dataclasses.replace(m, equivalent=f"reviewed: {reason}")
    return generated
