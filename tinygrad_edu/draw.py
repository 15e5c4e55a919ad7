"""draw_dot: a graphviz picture of a computation graph (Values or Tensors), and saving it.

Each value becomes a box showing its label, data and grad; each operation becomes a small
oval between its inputs and its output, so the neuron y = tanh(w*x + b) reads left to right
exactly as it is computed. Labels are HTML-escaped, so any text a learner types (quotes,
braces, ``<``, ``|``, newlines) still gives valid DOT; a box shows at most ``MAX_LABEL``
(40) characters of a label (a longer one is cut, ending in '…'), and a graph of more than
``MAX_DRAW_NODES`` (5,000) values is refused with a ``ValueError``.

``save_graph`` writes a drawing to a file (the command line and the demo use it), giving
Graphviz's ``dot`` at most ``DRAW_TIMEOUT`` seconds and writing atomically (a temporary file
renamed over the target, so a failed save leaves the old file);
``layout_graph`` is the same drawing with nodes numbered by their place in the topological
order, which the step-through player needs to find them again in the SVG.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import graphviz
import numpy as np

from .graph import topological_order


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` program is missing, failed, crashed, or took too long."""


RENDERED = (".svg", ".png", ".pdf")  # formats that need Graphviz's `dot` program
DOT_TEXT = (".dot", ".gv")  # the graph description itself, as text
MAX_DRAW_NODES = 5000  # values in one drawing: past this, draw_dot refuses (no layout would be readable)
MAX_LABEL = 40  # characters of a label shown in its box; a longer one is cut, ending in '…'


def _text(s: str) -> str:
    """User text made safe inside a graphviz HTML label: markup characters escaped, a newline
    becomes a line break, other control characters and unencodable ones become spaces or '?'."""
    s = str(s).encode("utf-8", "replace").decode("utf-8")
    s = "".join(" " if (ord(ch) < 32 and ch != "\n") or ord(ch) == 127 else ch for ch in s)
    s = html.escape(s, quote=True).replace("[", "&#91;").replace("]", "&#93;")  # dot trips on a leading ']'
    return "<BR/>".join(s.split("\n"))


def _shortened(label: str) -> str:
    """A label as its box shows it: at most ``MAX_LABEL`` characters, a longer one cut with '…'."""
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _number(x: float) -> str:
    return f"{x:.4f}" if x == x and abs(x) < 1e5 else f"{x:.4g}"


def _summary(a: Any) -> str:
    """A short description of an array: the value itself if tiny, else mean and range."""
    if a is None:
        return "None"
    a = np.asarray(a)
    if a.size == 1:
        return _number(float(a.reshape(-1)[0]))
    if a.size <= 4:
        return "[" + " ".join(_number(float(v)) for v in a.reshape(-1)) + "]"
    return f"mean {_number(float(a.mean()))}, [{_number(float(a.min()))}, {_number(float(a.max()))}]"


# ops that carry a plain-number constant in _ctx, and how to show it: a * 2 reads "* 2"
# (a Value's a**2 is named "**2" already; a Tensor's is "**" with 2 in _ctx)
_CONSTANT_OPS = {
    "+": "+ {:g}",
    "*": "* {:g}",
    "/": "/ {:g}",
    "**": "**{:g}",
    "leaky_relu": "leaky_relu({:g})",
}


def _op_text(node: Any) -> str:
    """The op's name, with the constant it carries (a**2 shows '**2', a - 1 shows '- 1')."""
    ctx = getattr(node, "_ctx", None)
    if node._op in _CONSTANT_OPS and isinstance(ctx, float):
        if node._op == "+" and ctx < 0:
            return f"- {-ctx:g}"
        return _CONSTANT_OPS[node._op].format(ctx)
    return node._op


def cell_texts(node: Any, grad: Any) -> Tuple[str, ...]:
    """The cells of a value's box after its label, as plain text, for the gradient ``grad``:
    ('data 2.0000', 'grad 4.0000') for a scalar Value; shape, data and grad summaries for a
    tensor. (The player writes the same texts into the picture as the backward pass runs.)

    >>> from tinygrad_edu import Value
    >>> cell_texts(Value(2.0), 4.0)
    ('data 2.0000', 'grad 4.0000')
    """
    if isinstance(node.data, float):  # a scalar Value
        return (f"data {_number(node.data)}", f"grad {_number(grad)}")
    return (f"shape {tuple(node.data.shape)}", f"data {_summary(node.data)}", f"grad {_summary(grad)}")


def _value_label(node: Any, name: str = "", grad: Any = None) -> str:
    """An HTML table: label | data | grad for a scalar; label | shape | data | grad for a tensor.
    A ``name`` is shown, in grey italics, for a node that has no label of its own."""
    cells = []
    if node.label:
        cells.append(f"<B>{_text(_shortened(node.label))}</B>")
    elif name:
        cells.append(f'<FONT COLOR="#777777"><I>{_text(_shortened(name))}</I></FONT>')
    cells += [_text(cell) for cell in cell_texts(node, node.grad if grad is None else grad)]
    row = "".join(f"<TD>{c}</TD>" for c in cells)
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"><TR>{row}</TR></TABLE>>'


def draw_dot(root: Any, rankdir: str = "LR") -> graphviz.Digraph:
    """Build a ``graphviz.Digraph`` of everything ``root`` was computed from.

    One box per value (label, data, grad; tensors show shape and a summary), one oval per
    operation, and edges input -> op -> output. ``rankdir`` is 'LR' (left to right) or 'TB'.
    A label longer than ``MAX_LABEL`` (40) characters is cut in its box ('…'); a graph of
    more than ``MAX_DRAW_NODES`` (5,000) values raises ``ValueError`` naming the limit (the
    command line's ``draw`` and ``play`` lay big graphs out in Python, without ``dot``).
    In Jupyter the result displays inline; ``.render('graph', format='svg')`` writes a file
    where Graphviz's ``dot`` program is installed; ``.source`` is the DOT text.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.backward()
    >>> dot = draw_dot(y)
    >>> dot.source.count('->')  # x -> (* 3) -> x*3 -> (tanh) -> y
    4
    """
    if not hasattr(root, "_prev"):
        raise TypeError(f"draw_dot needs a Value or a Tensor, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > MAX_DRAW_NODES:
        raise ValueError(draw_limit_message(len(order)))
    return layout_graph(order, rankdir)


def draw_limit_message(values: int) -> str:
    """Why a graph of ``values`` values is not drawn, and what to do instead."""
    return (
        f"draw_dot draws graphs of up to {MAX_DRAW_NODES} values, and this one has {values}: "
        "draw a smaller piece of it, or use Tensors instead of Values (a whole layer is then one node)"
    )


def layout_graph(
    order: Sequence[Any],
    rankdir: str = "LR",
    names: Optional[Sequence[str]] = None,
    grads: Optional[Sequence[Any]] = None,
) -> graphviz.Digraph:
    """The drawing of the nodes in ``order`` (a topological order), as ``draw_dot`` makes it.

    With ``names`` (one per node), node i of the order gets the DOT name and SVG id ``n{i}``,
    its op ``n{i}_op``, the edges ``e_n{j}_n{i}_op`` (``_2``, ``_3`` for an input used
    again) and ``e_n{i}_op_n{i}``, and a box without a label shows its name. ``grads``
    replaces the gradients shown. Without ``names``, the DOT names come from ``id(node)``.

    >>> from tinygrad_edu import Value
    >>> a = Value(2.0, label='a'); b = a * a
    >>> source = layout_graph([a, b], names=['a', 'v1']).source
    >>> [line.split(' [')[0].strip() for line in source.splitlines() if '->' in line]
    ['n1_op -> n1', 'n0 -> n1_op', 'n0 -> n1_op']
    >>> 'id=e_n0_n1_op_2' in source  # a is used twice: the second edge gets '_2'
    True
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir})
    numbered = names is not None
    key = {id(node): (f"n{i}" if numbered else str(id(node))) for i, node in enumerate(order)}

    def svg_id(name: str) -> Dict[str, str]:
        return {"id": name} if numbered else {}

    for i, node in enumerate(order):
        uid = key[id(node)]
        name = names[i] if names is not None else ""
        grad = grads[i] if grads is not None else None
        dot.node(uid, label=_value_label(node, name, grad), shape="plaintext", **svg_id(uid))
        if node._op:  # computed by an operation: draw the op, then inputs -> op -> node
            op_id = uid + "_op"
            dot.node(op_id, label=_text(_op_text(node)), shape="ellipse", **svg_id(op_id))
            dot.edge(op_id, uid, **svg_id(f"e_{op_id}_{uid}"))
            uses: Dict[str, int] = {}  # a * a draws two edges from a: the second gets '_2'
            for child in node._prev:
                child_id = key[id(child)]
                uses[child_id] = uses.get(child_id, 0) + 1
                dot.edge(child_id, op_id, **svg_id(input_edge_id(child_id, uses[child_id], uid)))
    return dot


def input_edge_id(child: str, use: int, node: str) -> str:
    """The SVG id of the edge from ``child`` into the op of ``node``, for its ``use``-th use:
    ``e_n1_n3_op``, then ``e_n1_n3_op_2``, ..."""
    return f"e_{child}_{node}_op" + (f"_{use}" if use > 1 else "")


# ***** running Graphviz's dot, and saving a drawing to a file *****

INSTALL_HINT = (
    "install it with: apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS) "
    "or conda install -c conda-forge graphviz, then try again"
)
DRAW_TIMEOUT = 30.0  # seconds that save_graph gives dot (a 2,000-value graph can take minutes)


class DotNotRunnable(GraphvizError):
    """``dot`` is not on PATH, or is there but cannot be run."""


def run_dot(source: bytes, fmt: str, timeout: float) -> bytes:
    """The output of ``dot -T<fmt>`` on the DOT ``source``, within ``timeout`` seconds.

    Raises ``GraphvizError`` with one line that says why: dot missing or not runnable
    (``DotNotRunnable``), too slow, failed (its first line of complaint) or crashed.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise DotNotRunnable("Graphviz's dot program is not on PATH: " + INSTALL_HINT)
    try:
        result = subprocess.run([dot, f"-T{fmt}"], input=source, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"Graphviz's dot took more than {timeout:g} s to lay out this graph; draw a smaller "
            "or less tangled one"
        ) from None
    except OSError as error:
        raise DotNotRunnable(f"cannot run Graphviz's dot ({dot}): {error}; {INSTALL_HINT}") from None
    if result.returncode != 0 or not result.stdout:
        complaint = result.stderr.decode("utf-8", "replace").strip().splitlines()
        crashed = f"it crashed (signal {-result.returncode})" if result.returncode < 0 else "no output"
        raise GraphvizError(
            f"Graphviz's dot could not lay out the graph: {complaint[0] if complaint else crashed}"
        )
    return result.stdout


_UMASK = os.umask(0o022)  # (reading the umask means setting it: put it straight back)
os.umask(_UMASK)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file in ``path``'s folder, then rename it to ``path``:
    a reader sees the old file or the new one, never a half-written one, and a write that
    fails leaves the old file as it was.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "page.html"
    >>> write_atomically(target, b"<p>hi</p>"); target.read_bytes()
    b'<p>hi</p>'
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)  # as an ordinary new file (mkstemp's is private)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def check_graph_path(path: Union[str, Path]) -> Path:
    """``path`` as a Path if its suffix names a graph format we can write, else ``ValueError``.

    >>> check_graph_path("neuron.svg").name
    'neuron.svg'
    """
    path = Path(path)
    if path.suffix.lower() not in RENDERED + DOT_TEXT:
        raise ValueError(
            f"cannot write {str(path)!r}: the file name must end in {', '.join(RENDERED + DOT_TEXT)}"
        )
    return path


def save_graph(graph: graphviz.Digraph, path: Union[str, Path]) -> Tuple[Path, Optional[str]]:
    """Write a graph from ``draw_dot`` to ``path``, in the format its suffix names.

    ``.svg``, ``.png`` and ``.pdf`` are rendered by Graphviz's ``dot`` program; ``.dot`` and
    ``.gv`` are the DOT text itself. Without ``dot`` installed a rendered format falls back to
    the ``.dot`` text next to it. Returns the path written and, after a fallback, a one-line
    hint saying how to render it; creates missing folders.

    >>> import tempfile, os
    >>> from tinygrad_edu import Value
    >>> folder = tempfile.mkdtemp()
    >>> written, hint = save_graph(draw_dot(Value(1.0) * 2), os.path.join(folder, "g.dot"))
    >>> written.name, hint, written.read_text().startswith("digraph")
    ('g.dot', None, True)
    """
    path = check_graph_path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    source = graph.source.encode("utf-8", "replace")
    if suffix in DOT_TEXT:
        write_atomically(path, source)
        return path, None
    if shutil.which("dot") is not None:
        try:
            write_atomically(path, run_dot(source, suffix[1:], DRAW_TIMEOUT))
            return path, None
        except DotNotRunnable:
            pass  # (found on PATH but not runnable: fall back like a missing one)
    fallback = path.with_suffix(".dot")
    write_atomically(fallback, source)
    hint = (
        f"Graphviz's dot program is not installed, so {fallback} holds the graph as text; "
        f"install it (apt-get install graphviz, brew install graphviz) and run: "
        f"dot -T{suffix[1:]} {fallback} -o {path}"
    )
    return fallback, hint
