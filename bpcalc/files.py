"""Reading and writing files that may be hostile: regular files only, size limits, one UTF-8 rule, atomic writes.

Every file bpcalc reads (a program, --values, an assignment, an answer file)
and every file it writes (CSV, JSON lines, Gradescope's results, a picture)
goes through here, so one set of rules holds everywhere:

- only a regular file is read: a folder, FIFO, socket or device (/dev/zero) is
  refused before a byte is read, and the file is opened without blocking;
- each kind of file has a size limit (LIMITS), checked before reading;
- text is UTF-8; one leading byte-order mark is dropped, on stdin too;
- an output is written to a temporary file in its own folder, flushed to disk
  and renamed over the old one, so a full disk leaves the old file whole; and
  an output that is one of the inputs is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from .errors import FileError, InputError

MiB = 1024 * 1024
# The size limit per kind of file (bytes). An answer file holds a few dozen numbers;
# a program of 10^6 terms is a few MB; --values may carry a layer's weights.
LIMITS = {
    "answers": 1 * MiB,
    "assignment": 8 * MiB,
    "program": 64 * MiB,
    "values": 64 * MiB,
    "roster": 16 * MiB,  # a class list or Canvas's gradebook export (bpcalc grade --roster, variants --students)
    "data": 16 * MiB,  # bpcalc train --data: rows of CSV or JSON lines
}
BOM = "\ufeff"


def _size(n: int) -> str:
    return f"{n / MiB:g} MB" if n >= MiB else f"{n} bytes"


def read_bytes(path: str | os.PathLike, *, kind: str) -> bytes:
    """The bytes of a regular file no larger than LIMITS[kind]; raises FileError otherwise."""
    limit = LIMITS[kind]
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except OSError as exc:
        raise FileError(name, _reason(exc)) from None
    _regular(name, info, limit, kind)
    # O_NONBLOCK: should the path become a FIFO after the stat, opening it does not wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise FileError(name, _reason(exc)) from None
    with os.fdopen(fd, "rb") as f:
        _regular(name, os.fstat(fd), limit, kind)  # the file opened is the file checked
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise FileError(name, _reason(exc)) from None
    if len(data) > limit:  # it grew since the stat
        raise FileError(name, f"is larger than bpcalc's limit of {_size(limit)} for {kind} files")
    return data


def _regular(name: str, info: os.stat_result, limit: int, kind: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileError(name, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileError(name, "is not a regular file (a FIFO, device or socket): bpcalc reads only regular files")
    if info.st_size > limit:
        raise FileError(
            name, f"is {_size(info.st_size)}, larger than bpcalc's limit of {_size(limit)} for {kind} files"
        )


def _reason(exc: OSError) -> str:
    return f"cannot read the file: {exc.strerror or exc}"


def decode(data: bytes, name: str) -> str:
    """UTF-8 text, one leading byte-order mark dropped (the one rule for files and stdin alike)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(
            name, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): save it as UTF-8"
        ) from None
    return text[1:] if text.startswith(BOM) else text


def read_text(path: str | os.PathLike, *, kind: str) -> str:
    """A regular file's text (see read_bytes and decode)."""
    return decode(read_bytes(path, kind=kind), os.fspath(path))


def read_stream(stream: BinaryIO, *, kind: str = "program", name: str = "standard input") -> str:
    """A stream's text, at most LIMITS[kind] bytes, by the same UTF-8 rule as files."""
    limit = LIMITS[kind]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileError(name, f"holds more than bpcalc's limit of {_size(limit)}")
    return decode(data, name)


def loads_json(text: str):
    """Strict JSON: no NaN or Infinity (not JSON), and no key twice in one object (which one would win?).

    Raises ValueError (json.JSONDecodeError for syntax) and RecursionError as json.loads does.
    """
    import json

    def no_constant(name: str):
        raise ValueError(f"{name} is not a number JSON allows")

    def no_duplicates(pairs):
        seen: dict = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"the key {json.dumps(key)[:80]} appears twice in one object")
            seen[key] = value
        return seen

    data = json.loads(text, parse_constant=no_constant, object_pairs_hook=no_duplicates)
    if _SURROGATE_ESCAPE.search(text) is not None:  # only an escape can make one: UTF-8 text holds none
        _refuse_lone_surrogates(data)
    return data


# \uD800-\uDFFF: half of a pair that makes one character beyond U+FFFF; alone, no character at all.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(data) -> None:
    """Raise ValueError at the first string (key or value) holding a lone surrogate: such text can be
    neither shown nor written (as UTF-8 or any other encoding). One loop, no recursion."""
    import json

    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                raise ValueError(
                    f"the text {json.dumps(item)[:60]} holds {ascii(found.group())[1:-1]}, a lone surrogate, "
                    "which is not a character: a \\uD800-\\uDFFF escape is one half of a pair "
                    "(\\ud83d\\ude00 is one emoji); write the character itself, or remove the escape"
                )


# ---------------------------------------------------------------- writing


def refuse_inputs(output: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> None:
    """Raise FileError when `output` names the same file as one of `inputs` (links and ../ included)."""
    out = os.fspath(output)
    for item in inputs:
        name = os.fspath(item)
        try:
            same = os.path.samefile(out, name)
        except OSError:  # one of them does not exist: then they differ, unless the names resolve alike
            same = os.path.realpath(out) == os.path.realpath(name)
        if same:
            raise FileError(
                out, f"is also an input ({name}): bpcalc does not write over what it reads; choose another output"
            )


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: a temporary file beside it, fsync, rename.

    A path that exists and is not a regular file (/dev/stdout, a FIFO) is written directly.
    """
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise FileError(name, f"{exc.strerror or exc}", writing=True) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise FileError(name, "it is a folder: give a file name", writing=True)
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_direct(name, data)
        return

    folder = os.path.dirname(os.path.abspath(name))
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(name) + ".", suffix=".tmp")
    except OSError as exc:
        raise FileError(name, f"{exc.strerror or exc}", writing=True) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain write would have.
        os.chmod(temp, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
        os.replace(temp, name)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise FileError(name, f"{exc.strerror or exc}", writing=True) from None


def _write_direct(name: str, data: bytes) -> None:
    try:
        with open(name, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise FileError(name, f"{exc.strerror or exc}", writing=True) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether `path`, links resolved, lies in `folder` (links resolved)."""
    real, base = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == base or base in real.parents


__all__ = [
    "LIMITS",
    "decode",
    "inside",
    "loads_json",
    "read_bytes",
    "read_stream",
    "read_text",
    "refuse_inputs",
    "write_atomic",
]


def write_file(path: str | Path, data: bytes | str, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write a file (text as UTF-8) whole or not at all, refusing a path that is one of the inputs."""
    refuse_inputs(path, inputs)
    write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)


def write_folder(path: str | Path, files: Mapping[str, bytes | str], *, force: bool = False) -> None:
    """Write a folder of files (relative paths) through a temporary folder and a rename.

    An existing folder is refused unless `force`; then it is replaced only once the new one is complete.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} exists and is not a folder")
    if path.exists() and not force:
        raise InputError(f"{path} already exists", "choose another folder, or add --force to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        for name, data in files.items():
            target = tmp / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise InputError(f"refusing to write {name!r} outside {path}")  # our own names only; a guard
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o755)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
