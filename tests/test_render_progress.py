"""Tests for bpcalc/render/progress.py: when bpcalc grade shows a progress bar."""
from __future__ import annotations

import io

import pytest

from bpcalc.render import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "asked, total, terminal, shown",
    [(None, 19, True, False), (None, 20, True, True), (None, 500, False, False),
     (True, 1, False, True), (False, 500, True, False)],
)
def test_the_bar_from_20_submissions_on_a_terminal_unless_asked(monkeypatch, asked, total, terminal, shown):
    monkeypatch.setattr("sys.stderr", Terminal() if terminal else io.StringIO())
    assert progress.PROGRESS_AT == 20  # as --progress's help says
    assert progress.wanted(asked, total) is shown


def test_no_bar_gives_no_callback(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress.bar(3) as tick:
        assert tick is None


def test_a_bar_counts_what_is_done(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress.bar(3, asked=True) as tick:
        assert tick is not None
        for n in range(1, 4):
            tick(n)
