"""Mutants of a JAX translation, from its source through Python's `ast`.

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

Each mutant's equivalence is decided as it is generated (verify.mutation.equivalence).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from verify.mutation.equivalence import MutatedStatement, Original, call_name, decide_equivalence
from verify.mutation.mutants import GeneratedMutants, Mutant, unified_diff

OPERATORS = ("arith", "compare", "sign", "constant", "drop_term", "where_swap", "logical", "float32")

# Methods of the environment class that are not mutated: the spaces are declared
# data checked once by L0, not dynamics.
SKIPPED_METHODS = frozenset({"action_space", "observation_space"})

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
class MutationCandidate:
    """A mutation one operator offers at one node: how it changes the tree, and the text edits that make the change."""

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


def _candidates(node: ast.AST, parent: ast.AST | None) -> Iterator[MutationCandidate]:
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
            yield MutationCandidate(operator, node, f"'{symbol}' -> '{new_symbol}'", op_apply(new_op), op_edit(new_symbol))
        if isinstance(node.op, (ast.Add, ast.Sub)):
            for keep, side in (("left", node.left), ("right", node.right)):
                yield MutationCandidate(
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

                yield MutationCandidate("compare", node, f"'{symbol}' -> '{new_symbol}'", apply, edits, new_op=new_op)
        for i, operand in enumerate(operands):
            if isinstance(operand, (ast.Name, ast.Attribute, ast.Call)):
                yield _add_minus(node, ("left", None) if i == 0 else ("comparators", i - 1), operand)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if not isinstance(node.operand, ast.Constant):
            yield MutationCandidate(
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
            yield MutationCandidate(
                "constant",
                node,
                f"{value!r} -> {new!r} ({label})",
                lambda n, new=new: _constant_node(new),
                lambda text, n=node, new=new: [(*text.span(n), _constant_text(new))],
            )
    elif isinstance(node, ast.Call):
        name = call_name(node)
        if name in ("jnp.where", "jax.numpy.where", "jax.lax.select", "lax.select") and len(node.args) == 3 and not node.keywords:

            def swap(n):
                n.args[1], n.args[2] = n.args[2], n.args[1]
                return n

            def edits(text, n=node):
                a, b = n.args[1], n.args[2]
                return [(*text.span(a), text.segment(b)), (*text.span(b), text.segment(a))]

            yield MutationCandidate("where_swap", node, f"{name}: branches swapped", swap, edits)
        if name == "float_dtype" and not node.args and not node.keywords:
            yield MutationCandidate(
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


def _add_minus(parent: ast.AST, where: Any, operand: ast.AST, anchor: ast.AST | None = None) -> MutationCandidate:
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

    return MutationCandidate(
        "sign", parent, f"'{ast.unparse(operand)}' -> '-{ast.unparse(operand)}'", apply, edits, anchor, target=operand
    )


# ----- generation -------------------------------------------------------------


def _mutated_statement(node: ast.AST, parents: dict[int, ast.AST], apply: Callable[[ast.AST], ast.AST]) -> MutatedStatement:
    """The innermost statement holding `node`, and a copy of it with `node` replaced by apply(its copy)."""
    stmt = node
    while not isinstance(stmt, ast.stmt):
        stmt = parents[id(stmt)]
    mutated = copy.deepcopy(stmt)
    counterpart = {id(a): b for a, b in zip(ast.walk(stmt), ast.walk(mutated))}
    target = counterpart[id(node)]
    replacement = apply(target)
    counterpart[id(node)] = replacement
    for parent in ast.walk(mutated):
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, replacement)
                return MutatedStatement(stmt, mutated, counterpart, ast.dump(mutated))
            if isinstance(value, list) and any(item is target for item in value):
                value[value.index(target)] = replacement  # syntax nodes compare by identity
                return MutatedStatement(stmt, mutated, counterpart, ast.dump(mutated))
    raise ValueError("node has no parent")  # pragma: no cover


def _reproduces(text: _Text, edits: list[Edit], change: MutatedStatement) -> bool:
    """Whether the source with `edits` applied parses to the module with `change` made.

    Only the statement is parsed again: the edits must lie inside it, so the rest of the module is unchanged text.
    The statement's lines are parsed on their own, under `if 1:` where they are indented.
    """
    start, end = text.span(change.original)
    if not all(start <= e_start and e_end <= end for e_start, e_end, _ in edits):
        return False
    line_start = text.source.rfind("\n", 0, start) + 1
    if text.source[line_start:start].strip():  # after `;` or a one-line `if x:`: parse from the statement on
        line_start = start
    region = _apply(text.source[line_start:end], [(s - line_start, e - line_start, new) for s, e, new in edits])
    indented = line_start < start
    try:
        body = ast.parse("if 1:\n" + region if indented else region).body
    except SyntaxError:
        return False
    body = body[0].body if indented and len(body) == 1 else body
    return len(body) == 1 and ast.dump(body[0]) == change.mutated_dump


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
    parents = _parent_map(tree)
    original = Original.of(tree, context, parents)
    seen: set[int] = set()
    candidates: list[MutationCandidate] = []
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
        change = _mutated_statement(cand.node, parents, cand.apply)
        mutated, first = None, None
        edits = cand.edits(text)
        if edits is not None and _reproduces(text, edits, change):
            mutated, first = _apply(source, edits), min(e[0] for e in edits)
        if mutated is None and edits is not None and cand.operator in ("arith", "logical", "compare", "sign"):
            # precedence (a | b & c): the same edit with the node's operands in parentheses
            wrapped = edits + [e for child in _operands(cand.node) for e in _parenthesize(text, child)]
            if _reproduces(text, wrapped, change):
                mutated, first = _apply(source, wrapped), min(e[0] for e in wrapped)
        if mutated is None:  # render the mutated node in parentheses instead
            new_node = cand.apply(copy.deepcopy(cand.node))
            span = text.span(cand.node)
            rendered = [(*span, "(" + ast.unparse(new_node) + ")")]
            if _reproduces(text, rendered, change):
                mutated, first = _apply(source, rendered), span[0]
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
                diff=unified_diff(source, mutated, filename),
                source=mutated,
                equivalent=decide_equivalence(original, cand, change),
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
