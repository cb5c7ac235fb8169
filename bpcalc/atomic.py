"""Outputs written whole or not at all: a temporary file (or folder) beside the target, then a rename."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import InputError


def same_file(output: str | Path, inputs: Iterable[str | Path]) -> bool:
    """Whether the output path is one of the inputs (writing it would destroy what is read)."""
    try:
        target = Path(output).resolve()
    except OSError:
        return False
    return any(Path(p).resolve() == target for p in inputs)


def write_file(path: str | Path, data: bytes | str, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write a file through a temporary file in its folder and a rename, so a reader never sees half of it."""
    path = Path(path)
    if same_file(path, inputs):
        raise InputError(f"{path} is also an input: choose another output path")
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        _remove(tmp)
        raise


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


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


__all__ = ["write_file", "write_folder", "same_file"]
