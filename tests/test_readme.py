"""The README against the code: its tables of operations and its Design section."""

import re
from pathlib import Path

from bpcalc import ops

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PACKAGE = Path(ops.__file__).resolve().parent


def _op_rows() -> dict[str, list[str]]:
    """Each table row whose first cell is a backticked op name: name -> its cells."""
    rows: dict[str, list[str]] = {}
    for line in README.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        match = re.fullmatch(r"`(\w+)`", cells[0]) if len(cells) >= 3 else None
        if match and match.group(1) in ops.OPERATIONS:
            assert match.group(1) not in rows, f"two README rows for {match.group(1)}"
            rows[match.group(1)] = cells
    return rows


def _labels(name: str, syntax: str) -> tuple[str, ...]:
    """The inputs' labels as the README's syntax cell writes them: `dot(a, b)`, `A @ B`."""
    if name in ops.SCALAR_OPERATIONS:
        return ("a", "b")
    first = re.search(r"`([^`]*)`", syntax)
    assert first, f"no syntax for {name}"
    code = first.group(1)
    if "(" in code:
        return tuple(x.strip() for x in code[code.index("(") + 1:code.rindex(")")].split(","))
    if "@" in code:
        return tuple(x.strip() for x in code.split("@"))
    return ()


def test_every_op_has_a_readme_row_with_its_formulas():
    rows = _op_rows()
    assert set(rows) == set(ops.OPERATIONS)
    for name, op in ops.OPERATIONS.items():
        syntax, derivatives = rows[name][1], rows[name][2]
        labels = _labels(name, syntax)
        if op.variadic:
            shown = [op.formula[0].replace("{k}", "k")]
        else:
            shown = [op.show(k, labels) for k in range(len(op.formula))]
        for text in shown:
            assert f"`{text}`" in derivatives, f"{name}: README cell {derivatives!r} lacks `{text}`"


def test_formulas_in_order():
    # a scalar op's cell lists ∂/∂a then ∂/∂b
    rows = _op_rows()
    for name, op in ops.SCALAR_OPERATIONS.items():
        expected = ", ".join(f"`{op.show(k, ('a', 'b'))}`" for k in range(len(op.formula)))
        assert rows[name][2] == expected, name


def _design() -> str:
    start = README.index("\n## Design\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else len(README)]


def test_design_names_every_module_once():
    design = _design()
    listed = re.findall(r"^ {4}(bpcalc/\S+\.py)\b", design, flags=re.MULTILINE)
    modules = sorted(p.relative_to(PACKAGE.parent).as_posix() for p in PACKAGE.rglob("*.py"))
    assert sorted(listed) == modules  # each module once, nothing that does not exist
    assert "bpcalc/atomic.py" not in design
