"""The ``tinygrad-edu`` command line (``python -m tinygrad_edu`` does the same).

    tinygrad-edu draw "tanh(w1*x1 + w2*x2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88 -o neuron.svg
    tinygrad-edu demo [--quick] [--out DIR]

``draw`` builds any expression out of Values (see ``tinygrad_edu.expression`` for the
language), runs ``backward()``, prints every variable's value and gradient, and draws the
graph. ``demo`` walks through the neuron equation and trains a small network on two moons
(see ``tinygrad_edu.demo``).

A mistake in the input (an expression outside the language, a bad ``--set``) exits with
status 2 and a single line on stderr that says what and where; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence, TextIO, Tuple

import graphviz

from .draw import draw_dot
from .expression import ExpressionError, build, parse_assignments

PROG = "tinygrad-edu"
RENDERED = (".svg", ".png", ".pdf")  # formats that need Graphviz's `dot` program
DOT_TEXT = (".dot", ".gv")  # the graph description itself, as text


class UsageError(Exception):
    """A mistake in the command line: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a complaint becomes a UsageError: one line, status 2, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def check_graph_path(path: "str | Path") -> Path:
    """``path`` as a Path if its suffix names a graph format we can write, else ``UsageError``."""
    path = Path(path)
    if path.suffix.lower() not in RENDERED + DOT_TEXT:
        raise UsageError(
            f"cannot write {str(path)!r}: the file name must end in {', '.join(RENDERED + DOT_TEXT)}"
        )
    return path


def save_graph(graph: graphviz.Digraph, path: "str | Path") -> Tuple[Path, Optional[str]]:
    """Write a graph from ``draw_dot`` to ``path``, in the format its suffix names.

    ``.svg``, ``.png`` and ``.pdf`` are rendered by Graphviz's ``dot`` program; ``.dot`` and
    ``.gv`` are the DOT text itself. Without ``dot`` installed a rendered format falls back to
    the ``.dot`` text next to it. Returns the path written and, after a fallback, a one-line
    hint saying how to render it; creates missing folders.

    >>> import tempfile, os
    >>> from tinygrad_edu import Value, draw_dot
    >>> folder = tempfile.mkdtemp()
    >>> written, hint = save_graph(draw_dot(Value(1.0) * 2), os.path.join(folder, "g.dot"))
    >>> written.name, hint, written.read_text().startswith("digraph")
    ('g.dot', None, True)
    """
    path = check_graph_path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in DOT_TEXT:
        path.write_text(graph.source, encoding="utf-8")
        return path, None
    if shutil.which("dot") is not None:
        try:
            path.write_bytes(graph.pipe(format=suffix[1:]))
            return path, None
        except graphviz.ExecutableNotFound:
            pass  # (found on PATH but not runnable: fall back like a missing one)
    fallback = path.with_suffix(".dot")
    fallback.write_text(graph.source, encoding="utf-8")
    hint = (
        f"Graphviz's dot program is not installed, so {fallback} holds the graph as text; "
        f"install it (apt-get install graphviz, brew install graphviz) and run: "
        f"dot -T{suffix[1:]} {fallback} -o {path}"
    )
    return fallback, hint


def _number(x: float) -> str:
    return f"{x:.12g}"


def draw_command(
    expression: str, assignments: Optional[List[str]], output: Optional[str], stdout: TextIO
) -> int:
    """``tinygrad-edu draw``: build, backward, print the table, write the graph."""
    values = parse_assignments(assignments)  # mistakes raise ExpressionError: exit status 2
    if output is not None:
        check_graph_path(output)  # before any work, so a typo costs nothing
    graph = build(expression, values)
    unused = sorted(set(values) - set(graph.variables))
    f = graph.output
    f.backward()
    print(f"f = {' '.join(expression.split())}", file=stdout)
    print(f"f = {_number(f.data)}", file=stdout)
    print("", file=stdout)
    width = max([len("variable")] + [len(name) for name in graph.variables])
    print(f"{'variable':<{width}}  {'value':>20}  {'grad = df/d(variable)':>22}", file=stdout)
    for name, variable in graph.variables.items():
        print(f"{name:<{width}}  {_number(variable.data):>20}  {_number(variable.grad):>22}", file=stdout)
    if not graph.variables:
        print("(no variables: the expression is a constant)", file=stdout)
    if unused:
        print(f"(not in the expression, ignored: {', '.join(unused)})", file=stdout)
    if output is None:
        print("(add -o graph.svg to draw the graph)", file=stdout)
        return 0
    written, hint = save_graph(draw_dot(f), output)
    print(f"graph written to {written}", file=stdout)
    if hint:
        print(hint, file=stdout)
    return 0


def _make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="tinygrad_edu from the command line: draw the "
        "graph of any expression, or run the lecture demo.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{draw,demo}", parser_class=_Parser)
    commands.required = True
    draw = commands.add_parser(
        "draw",
        help="build an expression from Values, backpropagate, draw its graph",
        description="Build EXPRESSION from Values, run backward(), print each variable's value "
        "and gradient, and draw the graph. The language: numbers, variable names, "
        "+ - * / **, unary minus, parentheses, and exp log tanh sigmoid relu leaky_relu.",
        epilog='example: tinygrad-edu draw "tanh(w1*x1 + w2*x2 + b)" --set x1=2 x2=0 w1=-3 '
        "w2=1 b=6.88 -o neuron.svg",
    )
    draw.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)" (quote it)')
    draw.add_argument(
        "--set",
        nargs="+",
        metavar="NAME=NUMBER",
        dest="assignments",
        help="a value for every variable, e.g. --set x1=2 w1=-3",
    )
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to draw the graph: .svg, .png or .pdf (needs Graphviz's "
        "dot program; falls back to .dot text) or .dot",
    )
    demo = commands.add_parser(
        "demo",
        help="the neuron equation, then train an MLP on two moons",
        description="Step through the neuron equation y = tanh(w . x + b), then train a "
        "scalar MLP on two moons and draw its decision boundary and one neuron's graph.",
    )
    demo.add_argument("--quick", action="store_true", help="a small run that takes seconds")
    demo.add_argument("--out", default="out", metavar="DIR", help="folder for the pictures (default: out/)")
    return parser


_DRAW_OPTION = re.compile(r"-h|--help|--set(=.*)?|-o.*|--output(=.*)?")


def _expression_may_start_with_minus(argv: List[str]) -> List[str]:
    """Let ``draw "-x**2" --set x=3`` work: argparse would take "-x**2" for an option, so
    an argument that starts with '-' but is none of draw's options moves behind '--'."""
    if len(argv) < 2 or argv[0] != "draw" or "--" in argv:
        return argv
    rest = argv[1:]
    for i, arg in enumerate(rest):
        after_output = i > 0 and rest[i - 1] in ("-o", "--output")
        if arg.startswith("-") and len(arg) > 1 and not after_output and not _DRAW_OPTION.fullmatch(arg):
            return ["draw", *rest[:i], *rest[i + 1 :], "--", arg]
    return argv


def main(
    argv: Optional[Sequence[str]] = None, stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None
) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    >>> import io
    >>> out = io.StringIO()
    >>> main(["draw", "x*y", "--set", "x=3", "y=4"], stdout=out)
    0
    >>> print(out.getvalue().splitlines()[4])
    x                            3                       4
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = _make_parser().parse_args(_expression_may_start_with_minus(argv))
    except UsageError as error:  # the message already starts with 'tinygrad-edu ...: error:'
        print(error, file=stderr)
        return 2
    except SystemExit as exit:  # --help and --version end here, with status 0
        return exit.code if isinstance(exit.code, int) else 0
    try:
        if args.command == "draw":
            return draw_command(args.expression, args.assignments, args.output, stdout)
        from .demo import run_demo  # (imported here: `draw` never needs it)

        run_demo(out_dir=args.out, quick=args.quick, stdout=stdout)
        return 0
    except (ExpressionError, UsageError) as error:
        print(f"{PROG} {args.command}: error: {error}", file=stderr)
        return 2
    except OSError as error:  # e.g. the output folder is not writable
        what = f"cannot write {error.filename}: {error.strerror}" if error.filename else str(error)
        print(f"{PROG} {args.command}: error: {what}", file=stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{PROG} {args.command}: interrupted", file=stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
