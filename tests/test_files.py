"""Tests for bpcalc/files.py: regular files only, size limits, one UTF-8 rule, atomic writes, no output over input."""

from __future__ import annotations

import errno
import io
import os
import time

import pytest

from bpcalc import files
from bpcalc.errors import FileError, InputError


def test_reads_a_regular_file_and_drops_one_bom(tmp_path):
    path = tmp_path / "a.bp"
    path.write_bytes(b"\xef\xbb\xbfx*2\n")
    assert files.read_text(path, kind="program") == "x*2\n"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfx")  # only one mark is a mark; a second is text
    assert files.read_text(path, kind="program") == "\ufeffx"


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_refuses_devices_at_once(special):
    if not os.path.exists(special):
        pytest.skip(f"no {special}")
    start = time.perf_counter()
    with pytest.raises(FileError, match="not a regular file"):
        files.read_text(special, kind="answers")
    assert time.perf_counter() - start < 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "answers.toml"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(FileError, match="not a regular file"):
        files.read_text(fifo, kind="answers")
    assert time.perf_counter() - start < 1


def test_refuses_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(FileError, match="is a folder"):
        files.read_text(tmp_path, kind="answers")
    with pytest.raises(FileError, match="No such file"):
        files.read_text(tmp_path / "nope", kind="answers")


def test_size_limit_is_checked_before_reading(tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:  # sparse: 7 GB on paper, nothing on disk
        f.truncate(7 * 1024**3)
    start = time.perf_counter()
    with pytest.raises(FileError, match="larger than bpcalc's limit of 1 MB for answers files"):
        files.read_text(big, kind="answers")
    assert time.perf_counter() - start < 1
    just = tmp_path / "just.toml"
    just.write_bytes(b"#" * files.LIMITS["answers"])
    assert len(files.read_text(just, kind="answers")) == files.LIMITS["answers"]


def test_not_utf8_says_so_with_the_offset(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes("q = 3 # café".encode("latin-1"))
    with pytest.raises(FileError, match=r"is not UTF-8 text \(byte 0xe9 at offset 11\)"):
        files.read_text(path, kind="answers")


def test_streams_follow_the_same_rules():
    assert files.read_stream(io.BytesIO(b"\xef\xbb\xbfx+1")) == "x+1"
    with pytest.raises(FileError, match="standard input: is not UTF-8"):
        files.read_stream(io.BytesIO(b"x\xff"))


def test_file_errors_are_input_errors():
    assert issubclass(FileError, InputError)  # exit code 2 and the one-paragraph form


def test_write_atomic_replaces_whole_and_keeps_the_mode(tmp_path):
    out = tmp_path / "grades.csv"
    out.write_text("old\n")
    os.chmod(out, 0o640)
    files.write_atomic(out, b"new\n")
    assert out.read_bytes() == b"new\n"
    assert os.stat(out).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["grades.csv"]  # no temporary file left


def test_write_atomic_leaves_the_old_file_on_a_full_disk(tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    out.write_text("the good grades\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(FileError, match="cannot write .*grades.csv: No space left on device"):
        files.write_atomic(out, b"x" * 100_000)
    assert out.read_text() == "the good grades\n"
    assert os.listdir(tmp_path) == ["grades.csv"]


def test_write_atomic_does_not_follow_a_link_at_the_output(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    files.write_atomic(link, b"grades")
    assert target.read_text() == "keep me"  # the link is replaced, not written through
    assert not link.is_symlink() and link.read_text() == "grades"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_write_atomic_to_a_fifo_writes_into_it(tmp_path):
    import threading

    fifo = tmp_path / "out.csv"  # as -o /dev/stdout would be: not a file to rename over
    os.mkfifo(fifo)
    got = []

    def read():
        with open(fifo, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    files.write_atomic(fifo, b"grades")
    reader.join(5)
    assert got == [b"grades"]
    assert not os.path.isfile(fifo)  # still the FIFO


def test_refuse_inputs_sees_through_names_and_links(tmp_path):
    hw = tmp_path / "hw.toml"
    hw.write_text("")
    (tmp_path / "link.toml").symlink_to(hw)
    for same in (hw, tmp_path / "." / "hw.toml", tmp_path / "link.toml"):
        with pytest.raises(FileError, match="is also an input"):
            files.refuse_inputs(same, [hw])
    files.refuse_inputs(tmp_path / "grades.csv", [hw])  # a new file is never an input


def test_inside(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "key.toml").write_text("")
    (tmp_path / "subs" / "mine.toml").symlink_to(tmp_path / "key.toml")
    (tmp_path / "subs" / "ok.toml").write_text("")
    assert not files.inside(tmp_path / "subs" / "mine.toml", tmp_path / "subs")
    assert files.inside(tmp_path / "subs" / "ok.toml", tmp_path / "subs")


@pytest.mark.parametrize(
    "text", ['{"title": "HW \\ud800"}', '{"a\\udfff": 1}', '[["x", {"k": "\\uDC00 low first"}]]', '"\\ud83d"']
)
def test_loads_json_refuses_a_lone_surrogate(text):
    # \uD800-\uDFFF alone is no character: no encoding writes it (str.encode("utf-8") raises).
    with pytest.raises(ValueError, match="lone surrogate"):
        files.loads_json(text)


def test_loads_json_keeps_a_surrogate_pair_and_an_escaped_backslash():
    # \ud83d\ude00 is U+1F600 (one character); "\\ud800" is a backslash and five letters.
    assert files.loads_json('{"t": "\\ud83d\\ude00 \\\\ud800"}') == {"t": "\U0001f600 \\ud800"}
