"""`when:` conditions: a small, safe expression language, never `eval`.

Allowed: literals, names (`parameter.x`, bare `x`, `variable.x`, `step.ID.key`),
comparisons (== != < <= > >= in, not in), `and`/`or`/`not`, parentheses,
list/tuple literals. A whole condition may be wrapped in `{{ }}`.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.refs import Ref

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_NAMES = {"true": True, "false": False, "True": True, "False": False, "null": None, "None": None}


class ConditionError(InvalidInput):
    """A `when:` condition that is not allowed or cannot be evaluated; the message says which part."""


_INNER_REF_RE = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.\w+)*)\s*\}\}")


def _strip(expr: str) -> str:
    text = expr.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        text = text[2:-2].strip()
    # `{{ parameter.x }} == 'a'`: a reference inside a condition is just the name.
    return _INNER_REF_RE.sub(lambda m: m.group(1), text)


def compile_condition(expr: str) -> ast.Expression:
    """Parse and check an expression; raises ConditionError naming what is not allowed."""
    try:
        tree = ast.parse(_strip(expr), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"invalid condition {expr!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(
            node,
            (
                ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
                ast.Compare, ast.Name, ast.Load, ast.Attribute, ast.Constant, ast.List,
                ast.Tuple, *_COMPARE,
            ),
        ):
            raise ConditionError(
                f"condition {expr!r} uses {type(node).__name__}, which is not allowed "
                "(use comparisons, and/or/not, names and literals)"
            )
        if isinstance(node, ast.Attribute) and _dotted(node) is None:
            # `'abc'.upper`, `(1).real`: only dotted names (parameter.x, step.ID.key) are values.
            raise ConditionError(
                f"condition {expr!r} reads an attribute of something that is not a name, which is not allowed"
            )
    return tree


def names_in(expr: str) -> list[Ref]:
    """The references a condition reads, for static checks."""
    tree = compile_condition(expr)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            path = _dotted(node)
            if path and not (len(path) == 1 and path[0] in _NAMES):
                out.append(Ref("{{ " + ".".join(path) + " }}", path))
    # Only keep outermost names: drop prefixes of longer dotted paths.
    longest = [r for r in out if not any(o is not r and o.path[: len(r.path)] == r.path for o in out)]
    return longest


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return None


def evaluate(expr: str, lookup: Callable[[Ref], Any]) -> bool:
    tree = compile_condition(expr)
    return bool(_eval(tree.body, lookup))


def _eval(node: ast.AST, lookup: Callable[[Ref], Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        path = _dotted(node)
        assert path is not None
        if len(path) == 1 and path[0] in _NAMES:
            return _NAMES[path[0]]
        return lookup(Ref("{{ " + ".".join(path) + " }}", path))
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, lookup) for v in node.values)
        return any(_eval(v, lookup) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, lookup)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.Compare):
        left = _eval(node.left, lookup)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, lookup)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise ConditionError(f"cannot compare {left!r} and {right!r}: {exc}") from None
            left = right
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, lookup) for e in node.elts]
    raise ConditionError(f"unsupported expression {ast.dump(node)}")
