"""Data files for `bpcalc train`: CSV with a header, or JSON lines of objects; read as hostile input.

A data file may be anyone's upload: it is read by files.read_text (a regular file
only, never a FIFO or a device, at most files.LIMITS["data"], UTF-8); numbers are
checked without backtracking patterns, and every error names the row and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any, NamedTuple

from . import files
from .errors import BpcalcError, InputError

MAX_CELL = 100_000  # characters in one cell or one JSON value
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_CHARS = frozenset("0123456789+-.eE")


class Dataset(NamedTuple):
    """The rows of a data file, each a mapping of column names to numbers or arrays."""

    path: str
    columns: list[str]  # in the order of the header (CSV) or of first appearance (JSON lines)
    rows: list[dict[str, Any]]
    lines: list[int]  # the line of the file each row starts on


def load(path: str | Path) -> Dataset:
    """Read a CSV or JSON-lines data file: by its suffix (.csv; .jsonl, .ndjson, .json), else by its first character."""
    name = str(path)
    text = files.read_text(path, kind="data")  # a regular file, at most 16 MB, UTF-8 (a byte-order mark dropped)
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json") or suffix != ".csv" and text.lstrip().startswith("{"):
        data = _json_lines(name, text)
    else:
        data = _csv(name, text)
    if not data.rows:
        raise InputError(f"{name} has no rows of data")
    _check_shapes(data)
    return data


def _where(path: str, row: int, line: int, column: str | None = None) -> str:
    return f"{path}, row {row} (line {line})" + (f", column {column}" if column is not None else "")


def _csv(path: str, text: str) -> Dataset:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path} is empty: a CSV data file needs a header of column names")
        columns = [cell.strip() for cell in header]
        _check_columns(path, columns, "the header")
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        line = reader.line_num + 1
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):  # a blank line
                line = reader.line_num + 1
                continue
            number = len(rows) + 1
            if len(cells) != len(columns):
                raise InputError(
                    f"{_where(path, number, line)}: {len(cells)} cells, and the header names {len(columns)} columns"
                )
            rows.append({c: _cell(path, number, line, c, cell) for c, cell in zip(columns, cells)})
            lines.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}, line {reader.line_num}: not CSV we can read ({exc})") from None
    return Dataset(path, columns, rows, lines)


def _check_columns(path: str, columns: list[str], where: str) -> None:
    seen = set()
    for column in columns:
        if not _NAME.fullmatch(column):
            shown = column if len(column) <= 40 else column[:40] + "…"
            raise InputError(
                f"{path}: {where} has a column named {shown!r}, which is not a name",
                "column names are the expression's variables: letters, digits and _, not starting with a digit",
            )
        if column in seen:
            raise InputError(f"{path}: {where} names the column {column} twice")
        seen.add(column)


def _cell(path: str, row: int, line: int, column: str, cell: str) -> Any:
    text = cell.strip()
    where = _where(path, row, line, column)
    if not text:
        raise InputError(f"{where}: the value is missing")
    if len(text) > MAX_CELL:
        raise InputError(f"{where}: a cell of {len(text)} characters is longer than {MAX_CELL}")
    if text.startswith("["):  # a vector or matrix, written as in --at
        return _array(where, column, text)
    return _number(where, text)


def _number(where: str, text: str) -> float:
    # float() also takes 'nan', 'inf' and '1_000': only decimal numbers pass here, checked without a regex
    if not _NUMBER_CHARS.issuperset(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InputError(f"{where}: {shown!r} is not a number", "numbers look like 3, -0.5, .5 or 1e-3")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {text[:40]!r} is not a number", "numbers look like 3, -0.5, .5 or 1e-3") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: {text[:40]} is not a finite float64 number")
    return value


def _array(where: str, column: str, value: Any) -> Any:
    from .parse import parse_point  # the one array reader that --at and --values use

    try:
        return parse_point({column: value})[column]
    except BpcalcError as exc:
        raise InputError(f"{where}: {exc.message}", exc.hint) from None


def _json_lines(path: str, text: str) -> Dataset:
    columns: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line_text in enumerate(text.splitlines(), start=1):
        if not line_text.strip():
            continue
        row = len(rows) + 1
        where = _where(path, row, number)
        try:
            item = json.loads(line_text, object_pairs_hook=_no_duplicates)
        except _Duplicate as exc:
            raise InputError(f"{where}: the field {exc.args[0]} is given twice") from None
        except RecursionError:
            raise InputError(f"{where}: nested too deeply") from None
        except ValueError as exc:
            raise InputError(
                f"{where}: not JSON ({exc})", 'each line holds one object, as in {"x": [1, 2], "y": 0}'
            ) from None
        if not isinstance(item, dict):
            raise InputError(
                f'{where}: a line must hold one JSON object of names to values, as in {{"x": [1, 2], "y": 0}}'
            )
        _check_columns(path, list(item), f"row {row} (line {number})")
        values = {}
        for key, value in item.items():
            values[key] = _json_value(_where(path, row, number, key), key, value)
            columns.setdefault(key)
        rows.append(values)
        lines.append(number)
    return Dataset(path, list(columns), rows, lines)


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _json_value(where: str, key: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (str, dict)):
        kind = {bool: "true or false", str: "a string", dict: "an object"}.get(type(value), "null")
        raise InputError(f"{where}: the value is {kind}, not a number or a list of numbers")
    if isinstance(value, list):
        return _array(where, key, value)
    try:
        value = float(value)  # an int or a float; Python's json also reads NaN, Infinity and 1e400 (inf)
    except OverflowError:  # an integer of hundreds of digits
        value = math.inf
    if not math.isfinite(value):
        raise InputError(f"{where}: the value is not a finite float64 number")
    return value


def _check_shapes(data: Dataset) -> None:
    """Every row gives a column the same shape, so a step cannot fail on a misfit halfway through."""
    first: dict[str, tuple[int, tuple]] = {}
    for number, (row, line) in enumerate(zip(data.rows, data.lines), start=1):
        for column, value in row.items():
            shape = tuple(getattr(value, "shape", ()))
            if column not in first:
                first[column] = (number, shape)
            elif first[column][1] != shape:
                seen_row, seen = first[column]
                raise InputError(
                    f"{_where(data.path, number, line, column)}: a value of shape {_shape(shape)}, "
                    f"and row {seen_row} has shape {_shape(seen)}"
                )


def _shape(shape: tuple) -> str:
    return "(a number)" if not shape else str(shape)
