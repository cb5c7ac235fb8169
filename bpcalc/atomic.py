"""Outputs written whole or not at all: a file by files.write_atomic, a folder by a temporary one and a rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import InputError


def write_file(path: str | Path, data: bytes | str, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write a file whole or not at all (files.write_atomic), refusing a path that is one of the inputs."""
    from .files import refuse_inputs, write_atomic

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


__all__ = ["write_file", "write_folder"]
