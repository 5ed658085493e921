"""Mutation analysis: how strong is the verifier?

Small, plausible bugs (mutants) are planted one at a time in a port's JAX
translation; each mutant is verified in a worker subprocess with a time limit
(verify/mutate_pool.py, verify/mutate_worker.py), with the levels run cheapest
first, and a mutant is *killed* when a level fails.
The kill rate over the non-equivalent mutants measures what the verifier catches;
the survivors, listed with their diffs, show what it misses.

Mutants come from the translation's source through Python's `ast`:

- only code the environment runs is mutated: the methods of the environment
  class (not the spaces, not `name`), the module-level functions and constants
  they reach, and the defaults of `Params`; never docstrings, imports or
  annotations, nor helpers the environment never calls (the ports' goal
  policies, which steer the verifier's rollouts, are not part of the environment);
- each mutant is one textual edit at the node's position in the source, so the
  diff shows exactly one change, and the edited source is checked to parse to
  exactly the intended mutated syntax tree.

Operators: `arith` (+ <-> -, * <-> /), `compare` (< <-> <=, > <-> >=, == <-> !=,
< <-> >), `sign` (drop a unary minus, or add one to a name/attribute/call operand),
`constant` (floats x1.01 and x0.5, ints +1 and -1), `drop_term` (a + b or a - b
becomes a, or b), `where_swap` (swap the branches of jnp.where / lax.select),
`logical` (& <-> |) and `float32` (float_dtype() -> jnp.float32).

Equivalent mutants (not counted in the kill rate) are decided by rules, each with
its reason recorded, and are still verified (a kill overrides the rule, recorded
as `equivalence_contradicted`):

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
- the mutant traces to exactly the original's jaxprs, constants and default Params
  (`program_fingerprints`, computed in a subprocess);
- a person read the mutant and recorded why it cannot change behaviour on the port's
  state domain (verify/equivalent_mutants.toml, matched by the changed line);
- a survivor compiles to exactly the original's optimised XLA programs (canonical HLO:
  the same dataflow whatever the instruction names and order), e.g. an index past the
  end of a fixed-size array, which JAX clamps to the last element.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import difflib
import json
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from verify.levels import MUTATION_LEVELS
from verify.mutate_pool import MutantWorker, WorkerOptions, WorkerOutcome, run_worker  # noqa: F401 - re-exported
from verify.process import run_command

OPERATORS = ("arith", "compare", "sign", "constant", "drop_term", "where_swap", "logical", "float32")

# Methods of the environment class that are not mutated: the spaces are declared
# data checked once by L0, not dynamics.
SKIPPED_METHODS = frozenset({"action_space", "observation_space"})

REPO_ROOT = Path(__file__).resolve().parent.parent

_BINOP_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.BitAnd: "&", ast.BitOr: "|"}
_CMP_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_LOGICAL_SWAP = {ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
_CMP_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt,),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt,),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
}
_OPERATOR_TOKENS = ("<=", ">=", "==", "!=", "**", "//", "<", ">", "+", "-", "*", "/", "&", "|", "%", "@", "^")


@dataclass
class Mutant:
    """One planted bug: where, what, and the edited source."""

    id: str
    operator: str
    line: int
    description: str
    diff: str
    source: str
    equivalent: str | None = None  # the reason, when a rule proves the mutant equivalent

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the (long) source."""
        out = {"id": self.id, "operator": self.operator, "line": self.line, "description": self.description, "diff": self.diff}
        if self.equivalent:
            out["equivalent"] = self.equivalent
        return out


@dataclass
class GeneratedMutants:
    """The mutants of one source, and what generation left out and why."""

    mutants: list[Mutant]
    skipped: list[str] = field(default_factory=list)


# ----- source positions -------------------------------------------------------


class _Text:
    """Source text with ast (line, byte column) positions converted to string offsets."""

    def __init__(self, source: str):
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def find_operator(self, start: int, end: int, symbol: str) -> tuple[int, int] | None:
        """The position of operator `symbol` between two operands (skipping parentheses, blanks, comments)."""
        i = start
        text = self.source
        while i < end:
            ch = text[i]
            if ch == "#":
                while i < end and text[i] != "\n":
                    i += 1
                continue
            if ch in " \t\r\n\\()":
                i += 1
                continue
            for token in _OPERATOR_TOKENS:
                if text.startswith(token, i):
                    return (i, i + len(token)) if token == symbol else None
            return None
        return None


Edit = tuple[int, int, str]  # (start, end, replacement) in string offsets


def _apply(source: str, edits: list[Edit]) -> str:
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def _same_tree(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


# ----- what may be mutated ----------------------------------------------------


def _names_used(nodes: list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _env_class(tree: ast.Module, class_name: str | None) -> ast.ClassDef:
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    if class_name is not None:
        for c in classes:
            if c.name == class_name:
                return c
        raise ValueError(f"no class {class_name!r} in the translation")
    for c in classes:
        bases = {ast.unparse(b).split(".")[-1] for b in c.bases}
        if "JaxEnv" in bases:
            return c
    raise ValueError("no environment class (a JaxEnv subclass) in the translation")


def _mutable_roots(tree: ast.Module, class_name: str | None) -> tuple[list[ast.AST], list[str]]:
    """The subtrees whose expressions may be mutated, and notes on what was left out."""
    env_cls = _env_class(tree, class_name)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    constants = {
        t.id: n
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name) and not t.id.startswith("__")
    }
    methods = [m for m in env_cls.body if isinstance(m, ast.FunctionDef) and m.name not in SKIPPED_METHODS]
    roots: list[ast.AST] = list(methods)
    params_cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params"), None)
    if params_cls is not None:
        roots.append(params_cls)
    # Module-level functions and constants reached from the environment, transitively.
    reached: set[str] = set()
    frontier = _names_used(roots)
    while frontier:
        name = frontier.pop()
        if name in reached:
            continue
        reached.add(name)
        if name in functions:
            frontier |= _names_used([functions[name]]) - reached
        elif name in constants:
            frontier |= _names_used([constants[name].value]) - reached
    extra = [functions[n] for n in functions if n in reached] + [constants[n] for n in constants if n in reached]
    notes = [
        f"function {n!r} is not reached from {env_cls.name} (not part of the environment): not mutated"
        for n in functions
        if n not in reached
    ]
    notes += [f"methods {sorted(SKIPPED_METHODS & {m.name for m in env_cls.body if isinstance(m, ast.FunctionDef)})} declare the spaces: not mutated"]
    return roots + extra, notes


def _mutable_expressions(root: ast.AST) -> Iterator[ast.AST]:
    """Expression nodes under `root`, skipping docstrings, imports, annotations and decorators."""
    if isinstance(root, ast.ClassDef):  # Params: the default values of its fields
        for stmt in root.body:
            if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                yield from ast.walk(stmt.value)
            elif isinstance(stmt, ast.Assign):
                yield from ast.walk(stmt.value)
        return
    if isinstance(root, ast.Assign):  # a module-level constant
        yield from ast.walk(root.value)
        return
    body = list(root.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    for default in root.args.defaults + [d for d in root.args.kw_defaults if d is not None]:
        yield from ast.walk(default)
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a bare string: documentation
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if isinstance(node, ast.Lambda):
                yield node
                stack.extend(reversed([node.body]))
                continue
            inner = list(node.body)
            if inner and isinstance(inner[0], ast.Expr) and isinstance(inner[0].value, ast.Constant) and isinstance(inner[0].value.value, str):
                inner = inner[1:]
            stack.extend(reversed(inner + node.args.defaults))
            continue
        if isinstance(node, ast.expr):
            yield node
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            if isinstance(node, ast.AnnAssign) and name == "target":
                continue
            children = value if isinstance(value, list) else [value]
            stack.extend(reversed([c for c in children if isinstance(c, ast.AST)]))


# ----- the operators ----------------------------------------------------------


@dataclass
class _Candidate:
    operator: str
    node: ast.AST
    description: str
    apply: Callable[[ast.AST], ast.AST]  # (copy of node) -> replacement node
    edits: Callable[[_Text], list[Edit] | None]  # the preferred minimal text edits
    anchor: ast.AST | None = None  # the node whose line is reported and that sorts the mutant (default: node)
    new_op: type | None = None  # compare: the operator put in
    target: ast.AST | None = None  # sign: the expression whose sign changes

    @property
    def at(self) -> ast.AST:
        return self.anchor if self.anchor is not None else self.node


def _constant_node(value: float | int) -> ast.expr:
    if value < 0 or (type(value) is float and str(value).startswith("-")):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return ast.Constant(value=value)


def _constant_text(value: float | int) -> str:
    return repr(value)


def _call_name(node: ast.Call) -> str:
    try:
        return ast.unparse(node.func)
    except Exception:  # pragma: no cover
        return ""


def _candidates(node: ast.AST, parent: ast.AST | None) -> Iterator[_Candidate]:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SYMBOL:
        symbol = _BINOP_SYMBOL[type(node.op)]

        def op_edit(new_symbol, n=node, s=symbol):
            def edits(text: _Text):
                _, left_end = text.span(n.left)
                right_start, _ = text.span(n.right)
                pos = text.find_operator(left_end, right_start, s)
                return None if pos is None else [(pos[0], pos[1], new_symbol)]

            return edits

        def op_apply(new_op):
            def apply(n):
                n.op = new_op()
                return n

            return apply

        swaps = [("arith", _ARITH_SWAP)] if type(node.op) in _ARITH_SWAP else [("logical", _LOGICAL_SWAP)] if type(node.op) in _LOGICAL_SWAP else []
        for operator, table in swaps:
            new_op = table[type(node.op)]
            new_symbol = _BINOP_SYMBOL[new_op]
            yield _Candidate(operator, node, f"'{symbol}' -> '{new_symbol}'", op_apply(new_op), op_edit(new_symbol))
        if isinstance(node.op, (ast.Add, ast.Sub)):
            for keep, side in (("left", node.left), ("right", node.right)):
                yield _Candidate(
                    "drop_term",
                    node,
                    f"'{ast.unparse(node)}' -> '{ast.unparse(side)}'",
                    lambda n, keep=keep: getattr(n, keep),
                    lambda text, n=node, keep=keep: [(*text.span(n), text.segment(getattr(n, keep)))],
                )
        # Adding a minus to a name/attribute/call operand. Not to the right operand of + or -
        # (that is the arith swap again). In a product (a chain of * and /) a minus on any
        # factor gives bit-identical results, so one mutant per chain: on its first factor that
        # is a name/attribute/call, and none where a factor already carries a minus (dropping
        # that one is the same mutant).
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if isinstance(node.left, (ast.Name, ast.Attribute, ast.Call)):
                yield _add_minus(node, "left", node.left)
        elif isinstance(node.op, (ast.Mult, ast.Div)) and not _in_product(node, parent):
            factors = list(_factors(node))
            if not any(isinstance(f, ast.UnaryOp) and isinstance(f.op, ast.USub) for _, _, f in factors):
                for owner, side, factor in factors:
                    if isinstance(factor, (ast.Name, ast.Attribute, ast.Call)):
                        yield _add_minus(owner, side, factor, anchor=node)
                        break
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            for new_op in _CMP_SWAPS.get(type(op), ()):
                symbol, new_symbol = _CMP_SYMBOL[type(op)], _CMP_SYMBOL[new_op]

                def apply(n, i=i, new_op=new_op):
                    n.ops[i] = new_op()
                    return n

                def edits(text, n=node, i=i, symbol=symbol, new_symbol=new_symbol):
                    left = n.left if i == 0 else n.comparators[i - 1]
                    _, left_end = text.span(left)
                    right_start, _ = text.span(n.comparators[i])
                    pos = text.find_operator(left_end, right_start, symbol)
                    return None if pos is None else [(pos[0], pos[1], new_symbol)]

                yield _Candidate("compare", node, f"'{symbol}' -> '{new_symbol}'", apply, edits, new_op=new_op)
        for i, operand in enumerate(operands):
            if isinstance(operand, (ast.Name, ast.Attribute, ast.Call)):
                yield _add_minus(node, ("left", None) if i == 0 else ("comparators", i - 1), operand)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if not isinstance(node.operand, ast.Constant):
            yield _Candidate(
                "sign",
                node,
                f"'{ast.unparse(node)}' -> '{ast.unparse(node.operand)}'",
                lambda n: n.operand,
                lambda text, n=node: [(*text.span(n), text.segment(n.operand))],
                target=node,
            )
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
        if type(value) is float:
            changes = [(value * 1.01, "x1.01"), (value * 0.5, "x0.5")]
        else:
            changes = [(value + 1, "+1"), (value - 1, "-1")]
        for new, label in changes:
            if new == value:  # 0.0 scaled: no change
                continue
            yield _Candidate(
                "constant",
                node,
                f"{value!r} -> {new!r} ({label})",
                lambda n, new=new: _constant_node(new),
                lambda text, n=node, new=new: [(*text.span(n), _constant_text(new))],
            )
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        if name in ("jnp.where", "jax.numpy.where", "jax.lax.select", "lax.select") and len(node.args) == 3 and not node.keywords:

            def swap(n):
                n.args[1], n.args[2] = n.args[2], n.args[1]
                return n

            def edits(text, n=node):
                a, b = n.args[1], n.args[2]
                return [(*text.span(a), text.segment(b)), (*text.span(b), text.segment(a))]

            yield _Candidate("where_swap", node, f"{name}: branches swapped", swap, edits)
        if name == "float_dtype" and not node.args and not node.keywords:
            yield _Candidate(
                "float32",
                node,
                "float_dtype() -> jnp.float32",
                lambda n: ast.Attribute(value=ast.Name(id="jnp", ctx=ast.Load()), attr="float32", ctx=ast.Load()),
                lambda text, n=node: [(*text.span(n), "jnp.float32")],
            )


def _in_product(node: ast.AST, parent: ast.AST | None) -> bool:
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Mult, ast.Div))


def _factors(node: ast.AST) -> Iterator[tuple[ast.BinOp, str, ast.AST]]:
    """(owner, side, factor) for the factors of a chain of * and /, left to right."""
    for side in ("left", "right"):
        child = getattr(node, side)
        if isinstance(child, ast.BinOp) and isinstance(child.op, (ast.Mult, ast.Div)):
            yield from _factors(child)
        else:
            yield node, side, child


def _add_minus(parent: ast.AST, where: Any, operand: ast.AST, anchor: ast.AST | None = None) -> _Candidate:
    """A candidate that puts a unary minus on `operand` (a child of `parent`); `anchor`: the node reported."""

    def apply(n):
        if isinstance(where, tuple):
            field_name, index = where
            if field_name == "left":
                n.left = ast.UnaryOp(op=ast.USub(), operand=n.left)
            else:
                n.comparators[index] = ast.UnaryOp(op=ast.USub(), operand=n.comparators[index])
        else:
            setattr(n, where, ast.UnaryOp(op=ast.USub(), operand=getattr(n, where)))
        return n

    def edits(text: _Text):
        start, end = text.span(operand)
        return [(start, end, "-" + text.segment(operand))]

    return _Candidate(
        "sign", parent, f"'{ast.unparse(operand)}' -> '-{ast.unparse(operand)}'", apply, edits, anchor, target=operand
    )


# ----- generation -------------------------------------------------------------


def _replace_in_tree(tree: ast.Module, index: int, apply: Callable[[ast.AST], ast.AST]) -> ast.Module:
    """A copy of `tree` with the node at walk position `index` replaced by apply(copy of it)."""
    new_tree = copy.deepcopy(tree)
    nodes = list(ast.walk(new_tree))
    target = nodes[index]
    for parent in nodes:
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, apply(target))
                return new_tree
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = apply(target)
                        return new_tree
    raise ValueError("node has no parent")  # pragma: no cover


def _unified_diff(original: str, mutated: str, filename: str) -> str:
    lines = difflib.unified_diff(
        original.splitlines(keepends=True), mutated.splitlines(keepends=True), f"a/{filename}", f"b/{filename}", n=1
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _params_fields(tree: ast.Module) -> dict[str, ast.AnnAssign]:
    params = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params"), None)
    if params is None:
        return {}
    return {s.target.id: s for s in params.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


_REFLECTIVE_ACCESS = ("getattr(", "fields(", "vars(", "asdict(", "astuple(", "__dict__")


def _equivalence(
    tree: ast.Module,
    candidate: _Candidate,
    mutated_tree: ast.Module,
    context: tuple[ast.Module, ...],
    parents: dict[int, ast.AST],
    index_of: dict[int, int],
) -> str | None:
    """The reason a mutant is provably equivalent, or None (when unsure: not equivalent).

    `context`: the parsed modules of the translation's base classes, which read Params too.
    """
    if _same_tree(tree, mutated_tree):
        return "the mutated source is identical to the original after parsing"
    # A Params default that neither the module nor its base classes read (by attribute name,
    # with no reflective access anywhere) can change no behaviour.
    modules = (tree, *context)
    reflective = any(marker in ast.unparse(m) for m in modules for marker in _REFLECTIVE_ACCESS)
    if not reflective:
        read = {n.attr for m in modules for n in ast.walk(m) if isinstance(n, ast.Attribute)}
        for name, stmt in _params_fields(tree).items():
            if name not in read and any(n is candidate.node for n in ast.walk(stmt.value)):
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
    return _folding_equivalence(tree, candidate, mutated_tree, parents, index_of)


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
    tree: ast.Module, candidate: _Candidate, mutated_tree: ast.Module, parents: dict[int, ast.AST], index_of: dict[int, int]
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
    mutated_nodes = list(ast.walk(mutated_tree))
    node, best = candidate.node, None
    while isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Attribute)):
        before = _fold(node, env)
        after = _fold(mutated_nodes[index_of[id(node)]], env)
        if before is None or after is None:
            break
        best = (node, before, mutated_nodes[index_of[id(node)]], after)
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


def _boundary_equivalence(candidate: _Candidate, parents: dict[int, ast.AST]) -> str | None:
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
        and _call_name(parent) in ("jnp.where", "jax.numpy.where")
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


def _even_function_equivalence(candidate: _Candidate, parents: dict[int, ast.AST]) -> str | None:
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
    if isinstance(parent, ast.Call) and _call_name(parent) in _EVEN_FUNCTIONS and parent.args == [top] and not parent.keywords:
        even = True
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow) and parent.left is top:
        power = _number(parent.right)
        even = type(power) is int and power % 2 == 0
    if not even:
        return None
    return f"the sign change reaches only the argument of an even function ({ast.unparse(parent)}): f(-x) == f(x) exactly"


def _signed_zero_equivalence(candidate: _Candidate, parents: dict[int, ast.AST], tree: ast.Module) -> str | None:
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


def _zero_test_equivalence(candidate: _Candidate, parents: dict[int, ast.AST]) -> str | None:
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


def _operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    return []


def _parenthesize(text: _Text, node: ast.AST) -> list[Edit]:
    """Edits that wrap `node` in parentheses (none for atoms, which need none)."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Subscript)):
        return []
    start, end = text.span(node)
    return [(start, start, "("), (end, end, ")")]


def _parent_map(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def generate_mutants(
    source: str,
    *,
    class_name: str | None = None,
    filename: str = "jax_env.py",
    context_sources: tuple[str, ...] = (),
) -> GeneratedMutants:
    """Every mutant of a translation's source, in source order.

    `context_sources`: the source of the modules defining the translation's base
    classes (they read Params fields too; used only to decide equivalence).
    """
    tree = ast.parse(source)
    context = tuple(ast.parse(c) for c in context_sources)
    text = _Text(source)
    roots, skipped = _mutable_roots(tree, class_name)
    index_of = {id(n): i for i, n in enumerate(ast.walk(tree))}
    parents = _parent_map(tree)
    seen: set[int] = set()
    candidates: list[_Candidate] = []
    for root in roots:
        for node in _mutable_expressions(root):
            if id(node) in seen:
                continue
            seen.add(id(node))
            candidates.extend(_candidates(node, parents.get(id(node))))
    candidates.sort(key=lambda c: (c.at.lineno, c.at.col_offset, OPERATORS.index(c.operator)))
    mutants: list[Mutant] = []
    unchanged = 0
    for cand in candidates:
        intended = _replace_in_tree(tree, index_of[id(cand.node)], cand.apply)
        mutated, first = None, None
        edits = cand.edits(text)
        if edits is not None:
            attempt = _apply(source, edits)
            try:
                if _same_tree(ast.parse(attempt), intended):
                    mutated, first = attempt, min(e[0] for e in edits)
            except SyntaxError:
                pass
        if mutated is None and edits is not None and cand.operator in ("arith", "logical", "compare", "sign"):
            # precedence (a | b & c): the same edit with the node's operands in parentheses
            wrapped = edits + [e for child in _operands(cand.node) for e in _parenthesize(text, child)]
            attempt = _apply(source, wrapped)
            try:
                if _same_tree(ast.parse(attempt), intended):
                    mutated, first = attempt, min(e[0] for e in wrapped)
            except SyntaxError:
                pass
        if mutated is None:  # render the mutated node in parentheses instead
            new_node = cand.apply(copy.deepcopy(cand.node))
            span = text.span(cand.node)
            attempt = _apply(source, [(*span, "(" + ast.unparse(new_node) + ")")])
            try:
                if _same_tree(ast.parse(attempt), intended):
                    mutated, first = attempt, span[0]
            except SyntaxError:
                pass
        if mutated is None:
            skipped.append(f"line {cand.at.lineno}: {cand.operator} {cand.description}: no text edit reproduces it")
            continue
        if mutated == source:
            unchanged += 1
            continue
        mutants.append(
            Mutant(
                id=f"M{len(mutants) + 1:03d}",
                operator=cand.operator,
                line=source.count("\n", 0, first) + 1,
                description=cand.description,
                diff=_unified_diff(source, mutated, filename),
                source=mutated,
                equivalent=_equivalence(tree, cand, intended, context, parents, index_of),
            )
        )
    if unchanged:
        skipped.append(f"{unchanged} candidate edits left the text unchanged")
    return GeneratedMutants(mutants, skipped)


def context_sources_for(env: Any) -> tuple[str, ...]:
    """The sources of the modules that define `env`'s base classes (not its own module)."""
    import inspect

    own = type(env).__module__
    sources: dict[str, str] = {}
    for cls in type(env).__mro__[1:]:
        module = inspect.getmodule(cls)
        if module is None or module.__name__ in (own, "builtins") or module.__name__ in sources:
            continue
        try:
            sources[module.__name__] = inspect.getsource(module)
        except (OSError, TypeError):
            continue
    return tuple(sources.values())


REVIEWED_EQUIVALENTS = Path(__file__).with_name("equivalent_mutants.toml")


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


def matching_mutants(results: list[dict[str, Any]], current: list[Mutant]) -> list[Mutant]:
    """The mutant that each analysed record was, among those generated now (matched by id and diff);
    ValueError when one is not generated the same way any more."""
    by_id = {m.id: m for m in current}
    matched = []
    for r in results:
        m = by_id.get(r["id"])
        if m is None or m.diff != r["diff"]:
            raise ValueError(f"mutant {r['id']} is not generated the same way any more: re-run the analysis")
        matched.append(m)
    return matched


def mutants_for_port(port: Any) -> GeneratedMutants:
    """The mutants of a port's JAX translation, with the reviewed equivalents (equivalent_mutants.toml) marked."""
    from verify.variants import translation_source

    env = port.make_jax()
    generated = generate_mutants(
        translation_source(port),
        class_name=type(env).__name__,
        filename=port.jax_module.replace(".", "/") + ".py",
        context_sources=context_sources_for(env),
    )
    return mark_reviewed(generated, port.name)


def select_mutants(mutants: list[Mutant], max_mutants: int | None) -> list[Mutant]:
    """At most `max_mutants`, spread evenly over the source (deterministic)."""
    if max_mutants is None or max_mutants >= len(mutants):
        return list(mutants)
    if max_mutants <= 0:
        return []
    step = len(mutants) / max_mutants
    return [mutants[int(i * step)] for i in range(max_mutants)]


# ----- running mutants in subprocesses ----------------------------------------


ORIGINAL_ID = "__original__"
UNVIABLE = "build"  # the level of a mutant that does not build (Rust): the compiler rejected it, no bug was planted


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


SAME_PROGRAM = "the mutant traces to exactly the original's JAX programs (draws, reset, step: jaxprs, constants, output structure) and default Params"


SAME_COMPILED = "the mutant compiles to exactly the original's optimised XLA programs (draws, reset, step; canonical HLO) with the same default Params"


def program_fingerprints(
    port_name: str, sources: dict[str, str], *, class_name: str | None = None, timeout_s: float | None = None,
    compiled: bool = False,
) -> dict[str, str | None]:
    """A digest of the programs each source traces to (verify.mutate_worker.program_fingerprint), or with
    `compiled` compiles to (`compiled_fingerprint`), computed in one subprocess with a time limit; None
    where tracing failed or did not finish."""
    timeout_s = timeout_s if timeout_s is not None else 120.0 + (8.0 if compiled else 2.0) * len(sources)
    found: dict[str, str | None] = {name: None for name in sources}
    with tempfile.TemporaryDirectory(prefix="envport_fingerprints_") as tmp:
        for name, source in sources.items():
            (Path(tmp) / f"{name}.py").write_text(source)
        mode = "--compiled-fingerprints" if compiled else "--fingerprints"
        cmd = [sys.executable, "-m", "verify.mutate_worker", mode, port_name, tmp]
        if class_name:
            cmd.append(class_name)
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


def run_mutation_analysis(
    port: Any,
    *,
    max_mutants: int | None = None,
    timeout_s: float | None = None,
    workers: int = 2,
    options: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    check_original: bool = True,
    journal: str | Path | None = None,
) -> dict[str, Any]:
    """Mutation analysis of `port`'s JAX translation; a JSON-serialisable summary.

    `options` is a verify.levels.VerifyOptions (defaults: 100 L1 examples, 20 L3
    episodes per policy). `timeout_s` bounds each mutant's verification; None sets
    it from the unmutated translation's own time (4x + 60 s, at most 600 s).
    With `check_original`, the unmutated source is verified first through the same
    worker, and the analysis stops if it does not pass (every kill would be void).
    `journal`: a file to which every verdict is appended as a JSON line as soon as it is
    known; a run given the journal of an interrupted run reuses its verdicts (matched by
    mutant id and diff) and verifies only the rest.
    """
    from verify.variants import translation_source

    start = time.perf_counter()
    if options is None:
        from verify.levels import VerifyOptions

        options = VerifyOptions(examples=100, episodes=20)
    source = translation_source(port)
    class_name = type(port.make_jax()).__name__
    generated = mutants_for_port(port)
    selected = select_mutants(generated.mutants, max_mutants)
    progress(f"{port.name}: tracing {len(selected)} mutants to find those that compute exactly what the original does")
    same = same_program_mutants(port, source, [m for m in selected if m.equivalent is None], class_name)
    selected = [dataclasses.replace(m, equivalent=SAME_PROGRAM) if m.id in same else m for m in selected]
    with tempfile.TemporaryDirectory(prefix="envport_mutation_jax_cache_") as cache:
        worker_options = WorkerOptions(
            class_name=class_name, examples=options.examples, episodes=options.episodes,
            policies=tuple(options.policies), seed=options.seed, compile_cache=Path(cache),
        )
        analysis = _analyse(
            port, source, generated, selected,
            make_worker=lambda: MutantWorker(port.name, worker_options),
            timeout_s=timeout_s, workers=workers, options=options, progress=progress,
            check_original=check_original, start=start, journal=Path(journal) if journal is not None else None,
        )
    if analysis["survived"]:
        progress(f"{port.name}: compiling the {analysis['survived']} survivors to find those XLA compiles to the original's program")
    return _with_compiled_equivalents(analysis, port, source, class_name, {m.id: m for m in selected})


def _with_compiled_equivalents(
    analysis: dict[str, Any], port: Any, source: str, class_name: str, mutants: dict[str, Mutant]
) -> dict[str, Any]:
    """`analysis` with the survivors that compile to the original's optimised programs marked equivalent
    (SAME_COMPILED). Only survivors are compiled: a killed mutant's verdict stands whatever it compiles to."""
    survivors = [mutants[r["id"]] for r in analysis["results"] if r["status"] == "survived"]
    same = same_program_mutants(port, source, survivors, class_name, compiled=True)
    if not same:
        return analysis
    results = [classify(r, SAME_COMPILED) if r["id"] in same else r for r in analysis["results"]]
    return summarize(
        analysis["env"], results, generated=analysis["generated"], skipped=analysis["skipped"],
        original=analysis["original"], options=analysis["options"], seconds=analysis["seconds"],
    )


def _analyse(
    port: Any,
    source: str,
    generated: GeneratedMutants,
    selected: list[Mutant],
    *,
    make_worker: Callable[[], Any],
    timeout_s: float | None,
    workers: int,
    options: Any,
    progress: Callable[[str], None],
    check_original: bool,
    start: float,
    journal: Path | None = None,
    backend: str = "jax",
) -> dict[str, Any]:
    """Verify `selected` through workers from `make_worker` (each with `verify(source, timeout_s)` ->
    WorkerOutcome, and `close()`), one per thread, reusing the journal's verdicts; the summary."""
    known: dict[str, dict[str, Any]] = {}
    if journal is not None and journal.exists():
        for line in journal.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short when the run was interrupted
            known[entry.get("id", "")] = entry
    lock = threading.Lock()

    def record_in_journal(entry: dict[str, Any]) -> None:
        if journal is not None:
            with lock, journal.open("a") as f:
                f.write(json.dumps(entry) + "\n")

    original = None
    if check_original:
        entry = known.get(ORIGINAL_ID)
        if entry is not None and entry.get("source_sha") == _sha(source) and not entry["killed"]:
            original = {k: entry[k] for k in ("killed", "level", "message", "seconds")}
        else:
            progress(f"{port.name}: verifying the unmutated translation through the worker")
            baseline_worker = make_worker()
            try:
                baseline = baseline_worker.verify(source, timeout_s or 600.0)
            finally:
                baseline_worker.close()
            original = {"killed": baseline.killed, "level": baseline.level, "message": baseline.message, "seconds": round(baseline.seconds, 2)}
            if baseline.killed:
                raise RuntimeError(f"the unmutated translation of {port.name} fails the mutant verification ({baseline.level}): {baseline.message}")
            record_in_journal({"id": ORIGINAL_ID, "source_sha": _sha(source), **original})
        if timeout_s is None:
            timeout_s = min(600.0, 4 * original["seconds"] + 60.0)
    if timeout_s is None:
        timeout_s = 300.0
    progress(f"{port.name}: {len(selected)} of {len(generated.mutants)} mutants, {workers} workers, {timeout_s:.0f} s limit each")

    done = [0]
    local = threading.local()
    pool_workers: list[Any] = []

    def worker() -> Any:
        if not hasattr(local, "worker"):
            local.worker = make_worker()
            with lock:
                pool_workers.append(local.worker)
        return local.worker

    def run_one(m: Mutant) -> dict[str, Any]:
        previous = known.get(m.id)
        if previous is not None and previous.get("diff") == m.diff:
            record = classify(previous, m.equivalent)
            reused = " (from the journal)"
        else:
            outcome = worker().verify(m.source, timeout_s)
            record = classify(
                {
                    **m.to_dict(),
                    "level": outcome.level if outcome.killed else None,
                    "message": outcome.message,
                    "seconds": round(outcome.seconds, 2),
                    "level_seconds": outcome.level_seconds,
                },
                m.equivalent,
            )
            record_in_journal(record)
            reused = ""
        with lock:
            done[0] += 1
            progress(f"{port.name}: [{done[0]}/{len(selected)}] {m.id} {m.operator} line {m.line}: {record['status']}"
                     + (f" ({record['level']})" if record["level"] else "") + reused)
        return record

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = list(pool.map(run_one, selected))
    finally:
        for w in pool_workers:
            w.close()
    return summarize(
        port.name,
        results,
        generated=len(generated.mutants),
        skipped=generated.skipped,
        original=original,
        options={**dict(vars(options)), "policies": list(options.policies), "timeout_s": timeout_s, "workers": workers},
        seconds=time.perf_counter() - start,
        backend=backend,
    )


def classify(record: dict[str, Any], equivalent: str | None) -> dict[str, Any]:
    """Set a mutant's status from the worker's verdict (`level`: None if it survived) and its equivalence reason.

    A mutant a rule calls equivalent is still verified: if a level kills it anyway, the
    rule was wrong for it, and it counts as killed with the contradiction recorded. A mutant
    that does not build (level UNVIABLE, Rust) is unviable: no bug, outside the kill rate.
    """
    record = {k: v for k, v in record.items() if k not in ("equivalent", "equivalence_contradicted", "status")}
    killed = record.get("level") is not None
    if record.get("level") == UNVIABLE:
        record["status"] = "unviable"
    elif killed:
        record["status"] = "killed"
        if equivalent:
            record["equivalence_contradicted"] = equivalent
    elif equivalent:
        record["status"] = "equivalent"
        record["equivalent"] = equivalent
    else:
        record["status"] = "survived"
    return record


def summarize(
    env: str,
    results: list[dict[str, Any]],
    *,
    generated: int,
    skipped: list[str],
    original: dict[str, Any] | None,
    options: dict[str, Any],
    seconds: float,
    backend: str = "jax",
) -> dict[str, Any]:
    """The analysis result from the per-mutant records."""
    killed = [r for r in results if r["status"] == "killed"]
    equivalent = [r for r in results if r["status"] == "equivalent"]
    survived = [r for r in results if r["status"] == "survived"]
    unviable = [r for r in results if r["status"] == "unviable"]
    by_level = {level: 0 for level in (*MUTATION_LEVELS, "timeout", "error")}
    for r in killed:
        by_level[r["level"]] = by_level.get(r["level"], 0) + 1
    by_operator: dict[str, dict[str, int]] = {}
    for r in results:
        counts = by_operator.setdefault(r["operator"], {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "unviable": 0})
        counts["mutants"] += 1
        counts[r["status"]] += 1
    countable = len(results) - len(equivalent) - len(unviable)
    return {
        "env": env,
        "backend": backend,
        "mutants": len(results),
        "generated": generated,
        "killed": len(killed),
        "equivalent": len(equivalent),
        "survived": len(survived),
        "unviable": len(unviable),
        "timeouts": by_level["timeout"],
        "kill_rate": (len(killed) / countable) if countable else None,
        "killed_by_level": by_level,
        "by_operator": by_operator,
        "survivors": [{k: r[k] for k in ("id", "operator", "line", "description", "diff")} for r in survived],
        "equivalents": [{k: r[k] for k in ("id", "operator", "line", "description", "diff", "equivalent")} for r in equivalent],
        "results": results,
        "skipped": skipped,
        "original": original,
        "options": options,
        "seconds": round(seconds, 2),
    }


def reclassify(analysis: dict[str, Any], port: Any) -> dict[str, Any]:
    """`analysis` with every mutant's equivalence decided again by the current rules (no mutant is re-run).

    Mutants are matched by id and diff, so the generator must be unchanged since the run.
    """
    from verify.variants import translation_source

    current = {m.id: m for m in mutants_for_port(port).mutants}
    mutants = matching_mutants(analysis["results"], list(current.values()))
    class_name = type(port.make_jax()).__name__
    same = same_program_mutants(port, translation_source(port), [m for m in mutants if m.equivalent is None], class_name)
    results = [
        classify(r, m.equivalent or (SAME_PROGRAM if m.id in same else None)) for r, m in zip(analysis["results"], mutants)
    ]
    redecided = summarize(
        analysis["env"],
        results,
        generated=analysis["generated"],
        skipped=analysis["skipped"],
        original=analysis["original"],
        options=analysis["options"],
        seconds=analysis["seconds"],
    )
    return _with_compiled_equivalents(redecided, port, translation_source(port), class_name, current)


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a convenience for running by hand
    """python -m verify.mutate NAME [--max-mutants N] [--timeout S] [--json FILE] [--workers W]"""
    import argparse

    from envs import get_port

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("name")
    parser.add_argument("--max-mutants", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--journal", type=Path, default=None, help="append verdicts here; resume from it")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    args = parser.parse_args(argv)
    port = get_port(args.name)
    if args.list:
        gen = mutants_for_port(port)
        for m in gen.mutants:
            print(f"{m.id} {m.operator:10s} line {m.line:4d} {m.description}" + (f"  [equivalent: {m.equivalent}]" if m.equivalent else ""))
        for note in gen.skipped:
            print("skipped:", note)
        return 0
    result = run_mutation_analysis(
        port,
        max_mutants=args.max_mutants,
        timeout_s=args.timeout,
        workers=args.workers,
        progress=lambda m: print(m, flush=True),
        journal=args.journal,
    )
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    print(json.dumps({k: result[k] for k in ("env", "mutants", "killed", "equivalent", "survived", "timeouts", "kill_rate", "killed_by_level")}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
