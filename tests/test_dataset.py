"""Data files for bpcalc train: CSV and JSON lines, read as hostile input; every error names the row and column."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bpcalc import dataset
from bpcalc.errors import InputError


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_csv_with_header(tmp_path):
    data = dataset.load(write(tmp_path, "d.csv", "x,y\n1,2\n-0.5, 1e-3\n\n3,4\n"))
    assert data.columns == ["x", "y"]
    assert data.rows == [{"x": 1.0, "y": 2.0}, {"x": -0.5, "y": 0.001}, {"x": 3.0, "y": 4.0}]
    assert data.lines == [2, 3, 5]
    assert all(type(v) is float for row in data.rows for v in row.values())


def test_csv_with_a_byte_order_mark_and_a_vector_cell(tmp_path):
    data = dataset.load(write(tmp_path, "d.csv", b'\xef\xbb\xbfx,y\n"[1, 2]",0\n"[3,4]",1\n'))
    assert data.columns == ["x", "y"]
    assert data.rows[0]["x"].tolist() == [1.0, 2.0]
    assert data.rows[1]["x"].dtype == np.float64


def test_json_lines_with_lists(tmp_path):
    data = dataset.load(write(tmp_path, "d.jsonl", '{"x": [0, 1], "y": 1}\n\n{"x": [1, 1], "y": 0}\n'))
    assert data.columns == ["x", "y"]
    assert [r["x"].tolist() for r in data.rows] == [[0.0, 1.0], [1.0, 1.0]]
    assert data.lines == [1, 3]


def test_format_from_the_first_character(tmp_path):
    assert dataset.load(write(tmp_path, "data.txt", '{"x": 1}\n')).rows == [{"x": 1.0}]
    assert dataset.load(write(tmp_path, "data2.txt", "x\n1\n")).rows == [{"x": 1.0}]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("d.csv", "x,y\n1,2\n3,abc\n", r"d.csv, row 2 \(line 3\), column y: 'abc' is not a number"),
        ("d.csv", "x,y\n1,2\n3,\n", r"row 2 \(line 3\), column y: the value is missing"),
        ("d.csv", "x,y\n1,2\n3,nan\n", r"column y: 'nan' is not a number"),
        ("d.csv", "x,y\n1,2\n3,1e999\n", r"column y: 1e999 is not a finite float64 number"),
        ("d.csv", "x,y\n1,2\n3,=1+2\n", r"column y: '=1\+2' is not a number"),
        ("d.csv", "x,y\n1,2,3\n", r"row 1 \(line 2\): 3 cells, and the header names 2 columns"),
        ("d.csv", "x,x\n1,2\n", "names the column x twice"),
        ("d.csv", "x,1y\n1,2\n", "a column named '1y', which is not a name"),
        ("d.csv", "", "is empty"),
        ("d.csv", "x,y\n", "has no rows of data"),
        (
            "d.csv",
            'x,y\n"[1,2]",0\n"[1,2,3]",1\n',
            r"row 2 \(line 3\), column x: a value of shape \(3,\), and row 1 has shape \(2,\)",
        ),
        ("d.csv", 'x,y\n"[1,2",0\n', "row 1 .*column x: the value of x"),
        ("d.jsonl", '{"x": 1}\n{"x": "2"}\n', r"row 2 \(line 2\), column x: the value is a string"),
        ("d.jsonl", '{"x": true}\n', "the value is true or false"),
        ("d.jsonl", '{"x": null}\n', "the value is null"),
        ("d.jsonl", '{"x": NaN}\n', "not a finite float64 number"),
        ("d.jsonl", '{"x": 1, "x": 2}\n', "the field x is given twice"),
        ("d.jsonl", "[1, 2]\n", "a line must hold one JSON object"),
        ("d.jsonl", '{"x": 1\n', r"row 1 \(line 1\): not JSON"),
        ("d.jsonl", '{"x": [1, [2]]}\n', "rectangular"),
        ("d.jsonl", '{"x": [true, 1]}\n', "true or false"),
        ("d.jsonl", '{"x": ' + "1" * 500 + "}\n", "not a finite float64 number"),
    ],
)
def test_bad_files(tmp_path, name, text, message):
    with pytest.raises(InputError, match=message):
        dataset.load(write(tmp_path, name, text))


def test_not_utf8(tmp_path):
    with pytest.raises(InputError, match="not UTF-8"):
        dataset.load(write(tmp_path, "d.csv", b"x\n\xff\n"))


def test_deep_json_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(InputError, match="row 1"):
        dataset.load(write(tmp_path, "d.jsonl", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"))


def test_missing_file_folder_and_fifo(tmp_path):
    with pytest.raises(InputError, match="none.csv: cannot read the file: No such file"):
        dataset.load(tmp_path / "none.csv")
    with pytest.raises(InputError, match="is a folder"):
        dataset.load(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):  # refused at once, not a hang waiting for a writer
        dataset.load(fifo)


def test_size_limit(tmp_path, monkeypatch):
    from bpcalc import files

    assert files.LIMITS["data"] == 16 * 1024 * 1024  # as the README says
    monkeypatch.setitem(files.LIMITS, "data", 100)
    path = write(tmp_path, "d.csv", "x\n" + "1\n" * 60)
    with pytest.raises(InputError, match="larger than bpcalc's limit of 100 bytes for data files"):
        dataset.load(path)


def test_devices_are_refused():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        dataset.load("/dev/zero")


def test_windows_line_endings_and_quoted_cells(tmp_path):
    data = dataset.load(write(tmp_path, "d.csv", 'x,"y"\r\n1,"2"\r\n\r\n3,4\r\n'))
    assert data.columns == ["x", "y"]
    assert data.rows == [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    assert data.lines == [2, 4]
