"""A tiny, safe expression language for ``tinygrad-edu draw``: text in, a graph of Values out.

    tanh(w1*x1 + w2*x2 + b)        numbers, variable names, + - * / **, unary minus,
    leaky_relu(x, 0.1) ** 2        parentheses, and calls of exp log tanh sigmoid relu leaky_relu

Python's own parser (``ast.parse``) turns the text into a tree, and we accept only the handful
of node types listed above: a *whitelist*. The text is never handed to ``eval``, so
``__import__('os')``, ``x.real``, ``x[0]`` or ``lambda: 0`` are rejected with a message that
says what is wrong and at which column, instead of being run.

Algorithm notes: the tree is walked twice, each time with an explicit stack rather than
recursion, so an expression nested thousands of levels deep cannot exhaust Python's call
stack. The first walk (pre-order: parent before children, left before right) checks every
node and collects the variable names; the second (post-order: children before parent)
computes each node's Value from its children's.

>>> graph = build("tanh(w*x + b)", {"w": -3.0, "x": 2.0, "b": 6.5})
>>> graph.output.backward()
>>> round(graph.output.data, 4), round(graph.variables["w"].grad, 4)
(0.4621, 1.5729)
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple, Union

from .value import Value

MAX_LENGTH = 20_000  # characters of an expression: a longer one is refused before parsing
FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "leaky_relu")
ALLOWED = "numbers, variable names, + - * / **, unary minus, parentheses and calls of " + ", ".join(FUNCTIONS)
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
# what a learner would call the Python constructs we refuse, for the error messages
_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a generator",
    ast.Await: "'await'",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.Slice: "a slice",
}
Number = Union[float, Value]  # while evaluating, constants stay plain floats
Located = Union[ast.expr, ast.keyword]  # the nodes that know their place in the text


class ExpressionError(ValueError):
    """The expression is not in the language, or a variable has no value; ``str()`` is one line."""


@dataclass
class Graph:
    """The result of ``build``: the output Value and one Value per variable (in order of first use)."""

    output: Value
    variables: Dict[str, Value]


def _where(text: str, line: int, byte_column: int) -> str:
    """'at column N' (1-based, counted in characters) for a position reported by ``ast``."""
    lines = text.split("\n")
    prefix = lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")
    place = f"column {len(prefix) + 1}"
    return f"at line {line}, {place}" if len(lines) > 1 else f"at {place}"


def _snippet(text: str, node: Located) -> str:
    segment = ast.get_source_segment(text, node) or ""
    segment = " ".join(segment.split())
    return repr(segment if len(segment) <= 40 else segment[:37] + "...")


def _fail(text: str, node: Located, what: str, hint: str = "") -> ExpressionError:
    """'<what> at column N: <the offending text>[; <hint>]' as one line."""
    message = f"{what} {_where(text, node.lineno, node.col_offset)}: {_snippet(text, node)}"
    return ExpressionError(message + (f"; {hint}" if hint else ""))


def _operator_error(text: str, node: ast.BinOp, symbol: str) -> ExpressionError:
    """Point at the operator itself, which lies between the operands in the source."""
    line, column = node.lineno, node.col_offset
    left_end, left_end_column = node.left.end_lineno, node.left.end_col_offset
    if left_end == node.right.lineno and left_end is not None and left_end_column is not None:
        line = left_end
        source_line = text.split("\n")[line - 1].encode("utf-8")
        between = source_line[left_end_column : node.right.col_offset]
        found = between.find(symbol.encode())
        if found >= 0:
            column = left_end_column + found
    return ExpressionError(
        f"operator {symbol} is not allowed {_where(text, line, column)}: "
        f"{_snippet(text, node)}; use + - * / **"
    )


def parse(text: str) -> ast.Expression:
    """Parse ``text`` with Python's parser and check every node against the whitelist.

    Returns the checked tree; raises ``ExpressionError`` on anything outside the language.

    >>> parse("relu(x) ** 2").body.op.__class__.__name__
    'Pow'
    >>> parse("x.real")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinygrad_edu.expression.ExpressionError: attribute access is not allowed at column 1: 'x.real'; ...
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long, and the limit is {MAX_LENGTH:,}: "
            "please use a shorter one"
        )
    indent = len(text) - len(text.lstrip(" \t"))
    try:
        with warnings.catch_warnings():  # e.g. '1if x else 2': Python warns, we explain below
            warnings.simplefilter("ignore")
            tree = ast.parse(text.lstrip(" \t"), mode="eval")
    except SyntaxError as error:
        column = (error.offset or 1) + (indent if (error.lineno or 1) == 1 else 0)
        where = f"at column {column}" if "\n" not in text else f"at line {error.lineno}, column {column}"
        raise ExpressionError(f"syntax error {where}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "the expression is nested too deeply for Python's parser "
            "(thousands of levels); please use a shorter one"
        ) from None
    except ValueError as error:  # e.g. a null byte, on older Pythons
        raise ExpressionError(f"cannot parse the expression: {error}") from None
    if indent:  # report columns in the text the user typed, leading spaces included
        for node in ast.walk(tree):
            if not isinstance(node, (ast.expr, ast.keyword)):
                continue  # (operators and the like have no place of their own)
            if node.lineno == 1:
                node.col_offset += indent
            if node.end_lineno == 1 and node.end_col_offset is not None:
                node.end_col_offset += indent
    _check(tree, text)
    return tree


def _check(tree: ast.Expression, text: str) -> None:
    """The whitelist: one pre-order walk with an explicit stack, leftmost problem first."""
    stack: List[ast.expr] = [tree.body]
    while stack:
        node = stack.pop()
        children: List[ast.expr] = []
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _operator_error(text, node, _FORBIDDEN_OPERATORS.get(type(node.op), "?"))
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                symbol = {ast.Not: "'not'", ast.Invert: "~"}.get(type(node.op), "?")
                raise _fail(text, node, f"operator {symbol} is not allowed", "use - for negation")
            children = [node.operand]
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                kind = {
                    bool: "True/False",
                    str: "a string",
                    bytes: "a string",
                    complex: "a complex number",
                    type(None): "None",
                }.get(type(value), type(value).__name__)
                raise _fail(text, node, f"{kind} is not allowed", "only real numbers are")
            if isinstance(value, int) and value.bit_length() > 1000:
                raise _fail(text, node, "number too large")
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _fail(
                    text, node, f"'{node.id}' is a function, not a variable,", f"call it, as in {node.id}(x)"
                )
            if node.id.startswith("__"):
                raise _fail(
                    text, node, f"the name '{node.id}' is not allowed", "names may not start with '__'"
                )
        elif isinstance(node, ast.Call):
            children = _check_call(node, text)
        else:
            what = _DESCRIPTIONS.get(type(node), f"'{type(node).__name__}'")
            raise _fail(text, node, f"{what} is not allowed", f"the language has {ALLOWED}")
        stack.extend(reversed(children))


def _check_call(node: ast.Call, text: str) -> List[ast.expr]:
    if not isinstance(node.func, ast.Name):
        raise _fail(
            text, node.func, "only a plain function name can be called", f"known: {', '.join(FUNCTIONS)}"
        )
    name = node.func.id
    if name not in FUNCTIONS:
        raise _fail(text, node.func, f"unknown function '{name}'", f"known: {', '.join(FUNCTIONS)}")
    if node.keywords:
        keyword = node.keywords[0]
        raise _fail(text, keyword, f"keyword arguments are not allowed in {name}(...)")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _fail(text, node, f"'*' unpacking is not allowed in {name}(...)")
    most = 2 if name == "leaky_relu" else 1
    if not 1 <= len(node.args) <= most:
        takes = "one argument and an optional slope" if most == 2 else "exactly one argument"
        raise _fail(text, node, f"{name}() takes {takes}, got {len(node.args)},")
    return list(node.args)


def variable_names(tree: ast.Expression) -> List[str]:
    """The variable names in ``tree``, each once, in order of first appearance in the text.

    >>> variable_names(parse("w2*x2 + w1*x1 + x2"))
    ['w2', 'x2', 'w1', 'x1']
    """
    names: Dict[str, Tuple[int, int]] = {}  # name -> (line, column) of its first use
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS:  # (those are calls)
            key = (node.lineno, node.col_offset)
            if node.id not in names or key < names[node.id]:
                names[node.id] = key
    return sorted(names, key=names.__getitem__)


def _apply(node: ast.expr, args: List[Number], text: str) -> Number:
    """One node's result from its children's results: the forward pass of one operation."""
    if isinstance(node, ast.BinOp):
        left, right = args
        symbol = _OPERATORS[type(node.op)]
        if isinstance(left, Value) or isinstance(right, Value):
            return _binary(symbol, left, right)
        result = _binary(symbol, Value(left), right)  # two constants: Value does IEEE arithmetic (1/0 = inf)
        assert isinstance(result, Value)
        return result.data  # and the result stays a plain number
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # what _check let through
    name = node.func.id
    x = args[0] if isinstance(args[0], Value) else Value(args[0])
    if name == "leaky_relu":
        slope = args[1] if len(args) == 2 else 0.01
        if isinstance(slope, Value):
            raise _fail(
                text, node.args[1], "the slope of leaky_relu must be a number, not depend on variables,"
            )
        result = x.leaky_relu(slope)
    else:
        result = getattr(x, name)()
    return result if isinstance(args[0], Value) else result.data


def _binary(symbol: str, left: Number, right: Number) -> Number:
    """``left <symbol> right``: a Value when either side is one."""
    if symbol == "+":
        return left + right
    if symbol == "-":
        return left - right
    if symbol == "*":
        return left * right
    if symbol == "/":
        return left / right
    return left**right


def build(text: str, values: Mapping[str, float]) -> Graph:
    """Build the graph of ``text`` with one ``Value(values[name], label=name)`` per variable.

    A variable used twice is the same Value, so its gradient collects both uses.
    Raises ``ExpressionError`` for text outside the language or a variable with no value.

    >>> g = build("x*x + 3", {"x": 2.0})
    >>> g.output.data, list(g.variables)
    (7.0, ['x'])
    """
    tree = parse(text)
    names = variable_names(tree)
    missing = [name for name in names if name not in values]
    if missing:
        raise ExpressionError(
            f"no value for {', '.join(missing)}: add " + " ".join(f"--set {name}=NUMBER" for name in missing)
        )
    variables = {name: Value(values[name], label=name) for name in names}
    results: Dict[int, Number] = {}
    # post-order walk: a node is computed once all of its children have been
    stack: List[Tuple[ast.expr, bool]] = [(tree.body, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # _check refused every other constant
            results[id(node)] = float(node.value)
        elif isinstance(node, ast.Name):
            results[id(node)] = variables[node.id]
        else:
            children = _children(node)
            if not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
            else:
                args = [results.pop(id(child)) for child in children]
                results[id(node)] = _apply(node, args, text)
    output = results[id(tree.body)]
    if not isinstance(output, Value):  # a constant expression: still give a (leaf) Value
        output = Value(output)
    return Graph(output, variables)


def _children(node: ast.expr) -> List[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    assert isinstance(node, ast.Call)  # the only other node with children that _check allows
    return list(node.args)


def parse_assignments(items: Optional[List[str]]) -> Dict[str, float]:
    """``['x1=2', 'w1=-3']`` -> ``{'x1': 2.0, 'w1': -3.0}``, with a one-line error for bad items.

    >>> parse_assignments(['x1=2', 'b=6.88'])
    {'x1': 2.0, 'b': 6.88}
    """
    values: Dict[str, float] = {}
    for item in items or []:
        name, equals, number = item.partition("=")
        name = name.strip()
        if not equals:
            raise ExpressionError(f"--set {item!r} has no '=': write it as NAME=NUMBER, e.g. x1=2")
        if not name.isidentifier():
            raise ExpressionError(f"--set {item!r}: {name!r} is not a variable name")
        try:
            values_number = float(number)
        except ValueError:
            raise ExpressionError(f"--set {item!r}: {number!r} is not a number") from None
        if name in values:
            raise ExpressionError(f"--set gives {name} twice")
        values[name] = values_number
    return values
