"""Property-based fuzzing at bpcalc's hostile points: any input either works or raises bpcalc's own error.

bpcalc.grad (programs and points), bpcalc.check.check (answers in the notation and
as mappings) and the assignment and answer-file loaders are fed text and data drawn
by hypothesis, biased towards what broke them before: long digit runs, spaces in
keys, deep brackets, control characters, BOMs, booleans, huge and tiny numbers.
Each example is bounded in time (deadline); any exception that is not a
BpcalcError fails the test.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpcalc
from bpcalc.assignment import check_submission, load_assignment, read_data, read_submission
from bpcalc.check import answer_items, answer_value, check
from bpcalc.errors import BpcalcError

FUZZ = settings(
    max_examples=150,
    deadline=3000,  # ms per example: a quadratic pattern or an endless loop fails here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every run, so CI is repeatable
)

PIECES = [
    "x",
    "y",
    "w",
    "q",
    "f",
    "=",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "@",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "\n",
    " ",
    "#",
    "1",
    "0",
    ".",
    "e",
    "E",
    "2.5",
    "1e309",
    "1e-400",
    "9^9^9",
    "max(",
    "relu(",
    "log(",
    "sum(",
    "sigmoid(",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\ufeff",
    "∂",
    "😀",
    "−",
    "d/dx",
    "df/dx",
]
hostile_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.text(max_size=60),
    st.builds(
        lambda d, n, tail: d * n + tail,
        st.sampled_from(["1", " ", "[", "(", "9."]),
        st.integers(1, 20_000),
        st.sampled_from(["", "a", "x", "/", "e", "]"]),
    ),
)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**400), 10**400), st.booleans())
json_values = st.recursive(
    st.one_of(st.none(), numbers, st.text(max_size=20), hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "1",
                    "2",
                    "q",
                    "f",
                    "x",
                    "df/dx",
                    "d/dx",
                    "grad",
                    "student",
                    "id",
                    "ask",
                    "at",
                    "expression",
                    "problems",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


def _only_ours(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except BpcalcError:
        return None


@FUZZ
@given(
    expr=hostile_text,
    at=st.one_of(hostile_text, st.dictionaries(st.sampled_from(["x", "y", "w", "q"]), json_values, max_size=3)),
)
def test_grad_raises_only_its_own_errors(expr, at):
    _only_ours(bpcalc.grad, expr, at=at)


@FUZZ
@given(
    answers=st.one_of(
        hostile_text,
        st.dictionaries(
            st.sampled_from(["q", "f", "df/dx", "d/dy", "grad", "x"]) | hostile_text, json_values, max_size=4
        ),
    )
)
def test_check_raises_only_its_own_errors(answers):
    _only_ours(check, "q = x + y; f = q * w", "x=-2, y=5, w=-4", answers)


@FUZZ
@given(value=json_values)
def test_answer_values_raise_only_their_own_errors(value):
    _only_ours(answer_value, value, item="q")
    _only_ours(answer_items, value)


HOMEWORK = """
[[problems]]
id = "1"
expression = "q = x + y; f = q * z"
at = "x=-2, y=5, z=-4"
ask = ["q", "f", "df/dx"]
"""


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as path:
        yield path


def _write(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _encodings(text: str) -> st.SearchStrategy[bytes]:
    utf8 = text.encode("utf-8", "surrogatepass")
    return st.sampled_from([utf8, b"\xef\xbb\xbf" + utf8, text.encode("utf-16", "surrogatepass"), b"\xff" + utf8])


@FUZZ
@given(data=st.data(), content=st.one_of(json_values.map(lambda v: json.dumps(v, allow_nan=True)), hostile_text))
def test_loaders_raise_only_their_own_errors(folder, data, content):
    raw = data.draw(_encodings(content))
    for name in ("a.json", "a.toml", "a"):
        path = _write(folder, name, raw)
        _only_ours(read_data, path)
        _only_ours(load_assignment, path)
    homework = load_assignment(_write(folder, "hw.toml", HOMEWORK.encode()))
    for name in ("s.json", "s.toml"):
        path = _write(folder, name, raw)
        submission = _only_ours(read_submission, path, homework)
        if submission is not None:
            _only_ours(check_submission, homework, submission)


@FUZZ
@given(
    problem=st.dictionaries(
        st.sampled_from(
            ["id", "expression", "program", "at", "ask", "points", "tie", "rtol", "atol", "places", "title"]
        ),
        json_values,
        max_size=6,
    )
)
def test_assignments_raise_only_their_own_errors(folder, problem):
    path = _write(folder, "hw.json", json.dumps({"problems": [problem]}, allow_nan=True).encode())
    _only_ours(load_assignment, path)
