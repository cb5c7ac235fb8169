"""Renderers: each module turns a Result into one output format.

FORMATS is the registry of the formats a Result is shown in: each entry names the
function that makes it, `module:function` in this package, with the one signature
`(result, options) -> str | bytes` (JSON's comes as an iterator of text pieces, so that a
large result is written as it is made); `render(result, options)` calls the one that
`options.format` names. A new format is a module and one line in FORMATS (and a line in
the README, which a test checks). Modules are imported only when their format is used,
so that the JSON path never imports Rich or Graphviz.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..graph import DISPLAY

if TYPE_CHECKING:
    from ..graph import Result

ARRAY_ITEMS = 12  # arrays with more elements are shown shortened


@dataclass(frozen=True)
class Options:
    """What a renderer may be asked for; each format reads the fields it needs."""

    format: str = "table"
    digits: int = 6  # significant digits shown (JSON is exact)
    max_rows: int = 400  # rows per table (or tree) before the middle is elided; 0 shows all
    standalone: bool = False  # latex: a whole document
    max_nodes: int = 1000  # images: refuse larger graphs (the layout takes long); 0: no limit


@dataclass(frozen=True)
class Format:
    """One output format of a Result."""

    name: str  # as --format takes it
    renderer: str  # "module:function" in bpcalc.render: (result, options) -> str | bytes
    help: str  # its words in --format's help
    commands: tuple[str, ...] = ()  # the commands whose --format offers it
    suffixes: tuple[str, ...] = ()  # file names that ask for it (bpcalc graph -o)
    binary: bool = False  # bytes that a terminal cannot show
    terminal: bool = False  # text for the terminal: written in its encoding, as Rich prints (else UTF-8)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("table", "table:output", "table", ("grad",), terminal=True),
        Format("json", "json:output", "json (as --json)", ("grad",)),
        Format("markdown", "markdown:output", "markdown (the tables)", ("grad",)),
        Format("latex", "latex:output", "latex (the chain rule, with numbers)", ("grad",)),
        Format("tree", "tree:output", "the graph as a tree (--tree)", terminal=True),
        Format("svg", "dot:image", "svg", ("graph",), (".svg",)),
        Format("png", "dot:image", "png", ("graph",), (".png",), binary=True),
        Format("pdf", "dot:image", "pdf (drawn by Graphviz)", ("graph",), (".pdf",), binary=True),
        Format("dot", "dot:output", "dot", ("graph",), (".dot", ".gv")),
        Format("mermaid", "mermaid:output", "mermaid (text)", ("graph",), (".mmd", ".mermaid")),
        Format("html", "explain_html:output", "the stepper page", ("explain",), (".html", ".htm")),
    )
}


def program_line(source: str) -> str:
    """A program on one line without its comments, for a title: its statements joined by '; '.

    As the grammar reads it: a comment runs from '#' to the end of its line, and a line
    break inside brackets continues the statement (joined by a space there).
    """
    shown = ""
    depth = 0
    for line in source.split("\n"):
        code = " ".join(line.split("#", 1)[0].split())
        if not code:
            continue
        if shown:
            shown += " " if depth > 0 or shown.endswith(";") or code.startswith(";") else "; "
        shown += code
        depth = max(0, depth + sum(code.count(c) for c in "([") - sum(code.count(c) for c in ")]"))
    return shown


def formats(command: str) -> list[Format]:
    """The formats a command's --format offers, in the registry's order."""
    return [f for f in FORMATS.values() if command in f.commands]


def _module(spec: str) -> Any:
    # __import__ rather than importlib.import_module, so that -X importtime (and the
    # start-up tests that read it) sees the renderer's module
    return __import__(f"{__name__}.{spec.partition(':')[0]}", fromlist=("output",))


def _function(spec: str, name: str) -> Any:
    return getattr(_module(spec), spec.partition(":")[2] or name)


def render(result: Result, options: Options) -> str | bytes | Iterator[str]:
    """The result in the format `options.format` names."""
    return _function(FORMATS[options.format].renderer, "output")(result, options)


def notes(result: Result, options: Options) -> list[str]:
    """Warnings about the output itself (as Mermaid's edge limit), from the module's `notes` if it has one."""
    found = getattr(_module(FORMATS[options.format].renderer), "notes", None)
    return list(found(result, options)) if found is not None else []


def number(value, digits: int = 6) -> str:
    """A number for people: `digits` significant digits, -0.0 as 0, None as empty.

    An array is shown as nested lists when small, else as its first elements and its shape.
    """
    if value is None:
        return ""
    if not hasattr(value, "ravel"):  # a number, not a NumPy array
        if type(value) is not float and hasattr(value, "denominator"):
            return str(value)  # an exact fraction (--exact) in full, 7/12; or a whole number
        return "0" if value == 0 else format(value, f".{digits}g")
    items = [number(float(v), digits) for v in value.ravel()[:ARRAY_ITEMS]]
    if value.size > ARRAY_ITEMS:
        return f"[{', '.join(items[:4])}, …] ({'×'.join(map(str, value.shape))})"
    rows = [items]
    for size in reversed(value.shape[1:]):  # regroup the flat items, innermost axis first
        groups = [rows[0][k:k + size] for k in range(0, len(rows[0]), size)]
        rows = [[f"[{', '.join(row)}]" for row in groups]]
    return f"[{', '.join(rows[0])}]"


def _notebook(name: str) -> Any:
    def hook(*args: Any) -> Any:
        return getattr(_module("notebook"), name)(*args)  # imported when a notebook first shows a result

    return hook


DISPLAY.update(bundle=_notebook("bundle"), html=_notebook("html"))
