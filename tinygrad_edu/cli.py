"""The ``tinygrad-edu`` command line (``python -m tinygrad_edu`` does the same).

    tinygrad-edu draw "tanh(w1*x1 + w2*x2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88 -o neuron.svg
    tinygrad-edu play "tanh(w1*x1 + w2*x2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88 -o neuron.html
    tinygrad-edu demo [--quick] [--out DIR]
    tinygrad-edu playground --data spiral --hidden 8,8 --activation tanh -o spiral.html

``draw`` builds any expression out of Values (see ``tinygrad_edu.expression`` for the
language), runs ``backward()``, prints every variable's value and gradient, and draws the
graph. ``play`` does the same and writes a page that steps through the forward and the
backward pass (see ``tinygrad_edu.player``). ``demo`` walks through the neuron equation and
trains a small network on two moons (see ``tinygrad_edu.demo``). ``playground`` trains a
network on one of TensorFlow Playground's toy sets and writes the page that watches it learn
(see ``tinygrad_edu.watch``).

A mistake in the input (an expression outside the language, a bad ``--set``) exits with
status 2 and a single line on stderr that says what and where; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from .demo import run_demo
from .draw import MAX_DRAW_NODES, check_graph_path, draw_dot, draw_limit_message, save_graph, write_atomically
from .expression import ExpressionError, Graph, build, parse_assignments
from .graph import topological_order
from .player import GraphvizError, play
from .player.layout import LAYOUTS, dot_fits, layout_svg
from .watch.playground import playground

PROG = "tinygrad-edu"
__all__ = ["main", "save_graph"]  # (save_graph lives in draw.py; older scripts import it from here)


class UsageError(Exception):
    """A mistake in the command line: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a complaint becomes a UsageError: one line, status 2, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _number(x: float) -> str:
    return f"{x:.12g}"


def _print_table(expression: str, graph: Graph, values: Dict[str, float], stdout: TextIO) -> None:
    """Run backward() and print f and every variable's value and gradient."""
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
    unused = sorted(set(values) - set(graph.variables))
    if unused:
        print(f"(not in the expression, ignored: {', '.join(unused)})", file=stdout)


def draw_command(
    expression: str,
    assignments: Optional[List[str]],
    output: Optional[str],
    stdout: TextIO,
    layout: str = "auto",
) -> int:
    """``tinygrad-edu draw``: build, backward, print the table, write the graph.

    A ``.svg`` is laid out like the player's picture (``layout``: Graphviz's ``dot`` where it
    is installed and the graph small enough, else the Python layout); ``.png`` and ``.pdf``
    need ``dot``, and a graph too big for it to draw quickly is refused; ``.dot`` is text."""
    values = parse_assignments(assignments)  # mistakes raise ExpressionError: exit status 2
    if output is not None:
        try:
            check_graph_path(output)  # before any work, so a typo costs nothing
        except ValueError as error:
            raise UsageError(str(error)) from None
    graph = build(expression, values)
    order = topological_order(graph.output)
    if len(order) > MAX_DRAW_NODES:
        raise UsageError(draw_limit_message(len(order)))
    suffix = "" if output is None else Path(output).suffix.lower()
    if suffix in (".png", ".pdf") and layout != "dot" and shutil.which("dot") and not dot_fits(order):
        raise UsageError(
            f"this graph ({len(order)} values) is too big or tangled for Graphviz's dot to draw "
            f"quickly as {suffix}: write .svg (laid out in Python) or .dot instead"
        )
    _print_table(expression, graph, values, stdout)
    if output is None:
        print("(add -o graph.svg to draw the graph)", file=stdout)
        return 0
    if suffix == ".svg":
        svg, used = layout_svg(order, rankdir="LR", layout=layout, for_player=False)
        written, hint = Path(output), None
        written.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(written, svg.encode("utf-8"))
    else:
        written, hint = save_graph(draw_dot(graph.output), output)
    print(f"graph written to {written}", file=stdout)
    if hint:
        print(hint, file=stdout)
    return 0


def play_command(
    expression: str, assignments: Optional[List[str]], output: str, stdout: TextIO, layout: str = "auto"
) -> int:
    """``tinygrad-edu play``: build, print the table, write the step-through page."""
    values = parse_assignments(assignments)
    path = Path(output)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"cannot write {output!r}: the page's file name must end in .html")
    graph = build(expression, values)
    if not graph.output.label:
        graph.output.label = "f"  # as in the table: the page then reads dL/df, not dL/dv9
    try:
        player = play(graph.output, layout=layout)  # (before printing anything: a graph too big is exit 2)
    except ValueError as error:
        raise UsageError(str(error)) from None
    _print_table(expression, graph, values, stdout)
    player.save(path)
    print(f"player written to {path}: open it in a browser (keys: arrows, Home, End, space)", file=stdout)
    return 0


_LANGUAGE = (
    "The language: numbers, variable names, + - * / **, unary minus, parentheses, and "
    "exp log tanh sigmoid relu leaky_relu."
)
_NEURON = '"tanh(w1*x1 + w2*x2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.88'


def _add_expression_arguments(command: argparse.ArgumentParser) -> None:
    """EXPRESSION, --set and --layout, the same for draw and play."""
    command.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)" (quote it)')
    command.add_argument(
        "--set",
        nargs="+",
        metavar="NAME=NUMBER",
        dest="assignments",
        help="a value for every variable, e.g. --set x1=2 w1=-3",
    )
    command.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="auto",
        help="who lays the picture out: Graphviz's dot where it is installed and the graph "
        "small enough, else Python (auto, the default); always python; or only dot",
    )


def _make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="tinygrad_edu from the command line: draw the graph of any expression, "
        "step through its backward pass in a browser, or run the lecture demo.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="{draw,demo,play,playground}", parser_class=_Parser
    )
    commands.required = True
    draw = commands.add_parser(
        "draw",
        help="build an expression from Values, backpropagate, draw its graph",
        description="Build EXPRESSION from Values, run backward(), print each variable's value "
        "and gradient, and draw the graph. " + _LANGUAGE,
        epilog=f"example: tinygrad-edu draw {_NEURON} -o neuron.svg",
    )
    _add_expression_arguments(draw)
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to draw the graph: .svg (laid out by dot or in Python), .png or .pdf "
        "(need Graphviz's dot program; without it, .dot text) or .dot",
    )
    play = commands.add_parser(
        "play",
        help="write a web page that steps through the forward and backward pass",
        description="Build EXPRESSION from Values, print each variable's value and gradient, "
        "and write one self-contained HTML page that steps through the forward pass and then "
        "backpropagation, node by node (laid out by Graphviz's dot where it is installed and the "
        "graph small enough, else in Python). " + _LANGUAGE,
        epilog=f"example: tinygrad-edu play {_NEURON} -o neuron.html",
    )
    _add_expression_arguments(play)
    play.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="player.html",
        help="the page to write (default: player.html)",
    )
    demo = commands.add_parser(
        "demo",
        help="the neuron equation, then train an MLP on two moons",
        description="Step through the neuron equation y = tanh(w . x + b), then train a "
        "scalar MLP on two moons and draw its decision boundary and one neuron's graph.",
    )
    demo.add_argument("--quick", action="store_true", help="a small run that takes seconds")
    demo.add_argument("--out", default="out", metavar="DIR", help="folder for the pictures (default: out/)")
    _add_playground(commands)
    return parser


def _hidden_sizes(text: str) -> List[int]:
    """'8,8' -> [8, 8]: the hidden layers' widths."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected widths separated by commas, e.g. 8,8, got {text!r}"
        ) from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"every hidden layer needs at least one unit, got {text!r}")
    return sizes


def _at_least(low: float, kind: type, strict: bool = False) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} number, got {text!r}") from None
        if value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {low}, got {text}")
        return value

    return check


def _add_playground(commands: Any) -> None:
    play = commands.add_parser(
        "playground",
        help="train a network on a 2-D toy set and write the page that watches it learn",
        description="TensorFlow Playground with this engine: train a network (Linear layers, "
        "two outputs, cross-entropy, Adam, full batch) on a 2-D toy set (200 training and 200 "
        "test points) and write one self-contained page that steps through the training.",
        epilog="example: tinygrad-edu playground --data spiral --hidden 8,8 -o spiral.html",
    )
    play.add_argument("--data", default="moons", choices=["moons", "circles", "xor", "spiral", "gauss"])
    play.add_argument("--noise", type=_at_least(0.0, float), default=0.1, help="noise std (default 0.1)")
    play.add_argument("--hidden", type=_hidden_sizes, default=[8, 8], help="hidden widths (default 8,8)")
    play.add_argument("--activation", default="tanh", choices=["tanh", "relu", "sigmoid"])
    play.add_argument(
        "--lr", type=_at_least(0.0, float, strict=True), default=0.03, help="Adam's learning rate"
    )
    play.add_argument("--steps", type=_at_least(1, int), default=500, help="training steps (default 500)")
    play.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    play.add_argument("--every", type=_at_least(1, int), default=1, help="record every k-th step (default 1)")
    play.add_argument("--weight-decay", type=_at_least(0.0, float), default=0.0, help="L2 weight decay")
    play.add_argument("-o", "--output", metavar="FILE", default="playground.html", help="the page to write")


def playground_command(args: argparse.Namespace, stdout: TextIO) -> int:
    """Train, print the last frame, write the page."""
    w = playground(
        args.data,
        noise=args.noise,
        hidden=args.hidden,
        activation=args.activation,
        lr=args.lr,
        steps=args.steps,
        seed=args.seed,
        every=args.every,
        weight_decay=args.weight_decay,
    )
    last = w.frames[-1]
    print(f"{args.data}: {w.summary_line()}", file=stdout)
    print(
        f"training accuracy {last['train_accuracy']:.1%}, test accuracy {last['test_accuracy']:.1%}",
        file=stdout,
    )
    path = w.save(
        args.output, title=f"{args.data}: a {'-'.join(map(str, [2, *args.hidden, 2]))} network learns"
    )
    print(f"wrote {path}: open it in a browser", file=stdout)
    return 0


_DRAW_OPTION = re.compile(r"-h|--help|--set(=.*)?|-o.*|--output(=.*)?|--layout(=.*)?")


def _expression_may_start_with_minus(argv: List[str]) -> List[str]:
    """Let ``draw "-x**2" --set x=3`` work: argparse would take "-x**2" for an option, so
    an argument that starts with '-' but is none of the options moves behind '--'
    (the same for ``play``, which has the same options)."""
    if len(argv) < 2 or argv[0] not in ("draw", "play") or "--" in argv:
        return argv
    rest = argv[1:]
    for i, arg in enumerate(rest):
        after_output = i > 0 and rest[i - 1] in ("-o", "--output", "--layout")
        if arg.startswith("-") and len(arg) > 1 and not after_output and not _DRAW_OPTION.fullmatch(arg):
            return [argv[0], *rest[:i], *rest[i + 1 :], "--", arg]
    return argv


def _escaping(stream: TextIO) -> TextIO:
    """``stream``, set to write characters its encoding lacks as escapes (\\xe9, \\u03c3)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    return stream


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
    if stdout is None:  # a terminal that cannot show a character gets an escape, not a traceback
        stdout = _escaping(sys.stdout)
    if stderr is None:
        stderr = _escaping(sys.stderr)
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
            return draw_command(args.expression, args.assignments, args.output, stdout, args.layout)
        if args.command == "play":
            return play_command(args.expression, args.assignments, args.output, stdout, args.layout)
        if args.command == "playground":
            return playground_command(args, stdout)
        run_demo(out_dir=args.out, quick=args.quick, stdout=stdout)
        return 0
    except (ExpressionError, UsageError) as error:
        print(f"{PROG} {args.command}: error: {error}", file=stderr)
        return 2
    except GraphvizError as error:  # --layout dot, or .png, without a working `dot`: what to install
        print(f"{PROG} {args.command}: error: {error}", file=stderr)
        return 1
    except OSError as error:  # e.g. the output folder is not writable
        what = f"cannot write {error.filename}: {error.strerror}" if error.filename else str(error)
        print(f"{PROG} {args.command}: error: {what}", file=stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{PROG} {args.command}: interrupted", file=stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
