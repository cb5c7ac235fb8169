"""A Gradescope autograder in one zip: setup.sh, run_autograder, the assignment, and bpcalc itself as a wheel.

`build(assignment, output)` writes the zip. Gradescope unpacks it into
/autograder/source, runs setup.sh once (a virtual environment with the wheel
and its dependencies), then run_autograder for every submission, which runs
`python -m bpcalc.autograder ROOT`: `run(root)` grades the one answer file
found under ROOT/submission and writes ROOT/results/results.json. ROOT is
/autograder, or $AUTOGRADER_ROOT when set, so a test can run the zip's own
scripts against a temporary folder laid out as Gradescope's.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import AnswerError, BpcalcError, InputError

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's documented values
PYTHON_DEPS = ("pinned", "latest")
CONFIG = "bpcalc-autograder.json"
VENV = "bpcalc-venv"  # under the root, made by setup.sh
MAX_ENTRIES = 2000  # files and folders looked at in a submission
_ANSWER_SUFFIXES = (".toml", ".json")
_IGNORED_PARTS = ("__MACOSX",)  # macOS's zip tool adds a folder of resource forks


# ---------------------------------------------------------------- the scripts

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image: a virtual
# environment with bpcalc (the wheel in this zip; bpcalc is not on a package
# index) and its dependencies.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/bpcalc-venv"
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip
    python3 -m venv "$VENV"
  fi
fi
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
if ! "${PIP[@]}" -r "$SOURCE/requirements.txt"; then
  echo "setup.sh: those versions do not install on this Python; trying bpcalc's version ranges" >&2
  "${PIP[@]}" -r "$SOURCE/requirements-ranges.txt"
fi
"${PIP[@]}" --no-deps --no-index "$SOURCE"/bpcalc-*.whl
"$VENV/bin/python" -m bpcalc --version
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: bpcalc grades the one answer file
# under submission/ and writes results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="$ROOT/bpcalc-venv/bin/python"
mkdir -p "$ROOT/results"
if [ -x "$PY" ] && "$PY" -m bpcalc.autograder "$ROOT"; then
  exit 0
fi
# bpcalc itself could not run: the student is told, and so is the instructor (stdout).
echo "run_autograder: bpcalc did not run (was setup.sh run?)"
if [ ! -s "$ROOT/results/results.json" ]; then
  printf '%s\\n' '{"score": 0, "output": "The autograder could not run, so your submission was not graded. '\\
'Please tell your instructor.", "tests": []}' > "$ROOT/results/results.json"
fi
exit 1
"""


# ---------------------------------------------------------------- building the zip


def build(
    assignment_path: str | Path,
    output: str | Path,
    *,
    visibility: str = "visible",
    python_deps: str = "pinned",
    stdout_visibility: str = "hidden",
) -> list[str]:
    """Write the autograder zip for an assignment; returns the names in it."""
    from .assignment import load_assignment
    from .files import write_file

    if visibility not in VISIBILITIES:
        raise InputError(f"--visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    if python_deps not in PYTHON_DEPS:
        raise InputError(f"--python-deps must be pinned or latest, not {python_deps!r}")
    assignment_path = Path(assignment_path)
    load_assignment(assignment_path)  # a mistake in the assignment is found now, not on Gradescope
    suffix = assignment_path.suffix.lower() if assignment_path.suffix.lower() in _ANSWER_SUFFIXES else ".toml"
    assignment_name = "assignment" + suffix
    wheel_name, wheel = build_wheel()
    config = {"assignment": assignment_name, "visibility": visibility, "stdout_visibility": stdout_visibility}
    ranges = requirements(pinned=False)
    chosen = requirements(pinned=True) if python_deps == "pinned" else ranges
    members: list[tuple[str, bytes, int]] = [
        ("setup.sh", SETUP_SH.encode(), 0o755),
        ("run_autograder", RUN_AUTOGRADER.encode(), 0o755),
        (assignment_name, assignment_path.read_bytes(), 0o644),
        (CONFIG, (json.dumps(config, indent=2) + "\n").encode(), 0o644),
        ("requirements.txt", ("\n".join(chosen) + "\n").encode(), 0o644),
        ("requirements-ranges.txt", ("\n".join(ranges) + "\n").encode(), 0o644),
        (wheel_name, wheel, 0o644),
    ]
    write_file(output, _zip(members), inputs=[assignment_path])
    return [name for name, _, _ in members]


def _zip(members: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip whose scripts keep their executable bit (Gradescope runs them as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def package_files() -> dict[str, bytes]:
    """The running bpcalc package, file by file (paths inside a wheel), the grammar included."""
    from . import __file__ as init_file
    from .parse import grammar_text

    root = Path(init_file).parent
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files["bpcalc/" + relative.as_posix()] = path.read_bytes()
    files.setdefault("bpcalc/grammar/bpcalc.lark", grammar_text().encode("utf-8"))
    return files


def build_wheel() -> tuple[str, bytes]:
    """A wheel of the running bpcalc (pure Python, any platform): its file name and bytes."""
    from . import __version__

    dist_info = f"bpcalc-{__version__}.dist-info"
    files = package_files()
    metadata = [
        "Metadata-Version: 2.1",
        "Name: bpcalc",
        f"Version: {__version__}",
        "Summary: Backpropagation step by step (bundled by bpcalc autograder)",
        "Requires-Python: >=3.10",
        *[f"Requires-Dist: {req}" for req in direct_requirements()],
    ]
    files[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: bpcalc autograder\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\nbpcalc = bpcalc.cli:main\n"
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    return f"bpcalc-{__version__}-py3-none-any.whl", _zip((name, data, 0o644) for name, data in files.items())


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


_REQ_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def direct_requirements() -> list[str]:
    """bpcalc's own dependencies with their version ranges: from its installed metadata, else pyproject.toml."""
    from importlib import metadata

    try:
        listed = metadata.requires("bpcalc") or []
        return [req for req in listed if "extra ==" not in req]
    except metadata.PackageNotFoundError:
        pass
    from . import __file__ as init_file

    pyproject = Path(init_file).parent.parent / "pyproject.toml"
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    except (OSError, KeyError, ValueError):
        raise InputError(
            "cannot tell bpcalc's dependencies: it is neither installed nor beside its pyproject.toml"
        ) from None


def requirements(*, pinned: bool) -> list[str]:
    """requirements.txt lines: bpcalc's ranges, or every installed dependency (transitively) at its version in use."""
    direct = direct_requirements()
    if not pinned:
        return direct
    from importlib import metadata

    pins: dict[str, str] = {}
    todo = list(direct)
    while todo:
        req = todo.pop()
        if "extra ==" in req:
            continue
        match = _REQ_NAME.match(req)
        if not match:
            continue
        name = match.group(0)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in pins:
            continue
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here (a marker for another Python): the ranges file covers it
        pins[key] = f"{name}=={version}"
        todo.extend(metadata.requires(name) or [])
    return sorted(pins.values(), key=str.lower)


# ---------------------------------------------------------------- running on Gradescope


def answer_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(answer files, other files) anywhere under the submission folder, hidden ones and macOS debris left out."""
    answers: list[Path] = []
    others: list[Path] = []
    seen = 0
    for current, dirs, files in os.walk(folder):  # does not follow symbolic links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _IGNORED_PARTS)
        for name in sorted(files):
            seen += 1
            if seen > MAX_ENTRIES:
                raise AnswerError(f"your submission holds more than {MAX_ENTRIES} files: upload only your answer file")
            if name.startswith("."):
                continue
            path = Path(current) / name
            if path.is_symlink() or not path.is_file():
                continue
            (answers if path.suffix.lower() in _ANSWER_SUFFIXES else others).append(path)
    return answers, others


def _shown(paths: list[Path], folder: Path, limit: int = 5) -> str:
    names = [p.relative_to(folder).as_posix() for p in paths]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def find_answer_file(folder: Path) -> tuple[Path, list[str]]:
    """The one answer file of a submission, and notes for the student; an AnswerError in their words otherwise."""
    if not folder.is_dir():
        raise AnswerError("no submission was found: upload your answer file (.toml or .json)")
    answers, others = answer_files(folder)
    if not answers:
        extra = f" Your submission holds {_shown(others, folder)}." if others else ""
        raise AnswerError(
            "your submission holds no answer file: upload one .toml or .json file with your answers" + "." + extra
        )
    if len(answers) > 1:
        raise AnswerError(
            f"your submission holds {len(answers)} answer files ({_shown(answers, folder)}): "
            "upload exactly one .toml or .json file, so it is clear which answers count"
        )
    notes = [f"Not graded, and not needed: {_shown(others, folder)}."] if others else []
    return answers[0], notes


def gradescope_identity(root: Path) -> dict[str, str]:
    """The submitter as Gradescope's submission_metadata.json names them (the first user): SID, email, name."""
    try:
        data = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        user = (data.get("users") or [{}])[0]
    except (OSError, ValueError, AttributeError, IndexError, TypeError):
        return {}
    found = {"sis_id": user.get("sid"), "email": user.get("email"), "name": user.get("name")}
    return {
        key: str(value).strip() for key, value in found.items() if isinstance(value, (str, int)) and str(value).strip()
    }


def results(root: Path, config: dict[str, Any], started: float) -> dict[str, Any]:
    """results.json for the submission under root (every failure of the submission is a message, score 0)."""
    from .assignment import grade_file, load_assignment
    from .render.check_json import gradescope

    assignment = load_assignment(root / "source" / str(config.get("assignment", "assignment.toml")))
    notes: list[str] = []
    try:
        path, notes = find_answer_file(root / "submission")
        graded = grade_file(assignment, path, identity=gradescope_identity(root))
        data = gradescope(graded)
        if graded.variant is not None:  # the student's own numbers, so the report can be read against them
            from .export import point_text

            for test, p in zip(data.get("tests", []), graded.problems):
                if p.problem.random is not None:
                    test["output"] = f"Your point: {point_text(p.problem)}\n" + test.get("output", "")
    except AnswerError as exc:
        data = {"score": 0, "output": f"Your submission could not be graded: {exc.reason}", "tests": []}
    for number, test in enumerate(data.get("tests", []), 1):
        test["number"] = str(number)
    if notes:
        data["output"] = data.get("output", "") + "\n" + "\n".join(notes)
    data["execution_time"] = max(0, round(time.monotonic() - started))
    data["visibility"] = config.get("visibility", "visible")
    data["stdout_visibility"] = config.get("stdout_visibility", "hidden")
    return data


def run(root: str | Path | None = None) -> int:
    """Grade the submission under root (default $AUTOGRADER_ROOT or /autograder); the exit code."""
    from .files import write_file
    from .render.check_json import dumps

    started = time.monotonic()
    root = Path(root or os.environ.get("AUTOGRADER_ROOT") or "/autograder")
    out = root / "results" / "results.json"
    try:
        config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
        data = results(root, config, started)
        code = 0
    except BpcalcError as exc:  # the assignment itself: the instructor's to fix
        print(f"bpcalc autograder: {exc}")
        data = {
            "score": 0,
            "output": "The autograder is misconfigured, so your submission was not graded. "
            "Please tell your instructor.",
            "tests": [],
        }
        code = 2
    except Exception as exc:  # a bug in bpcalc
        print(f"bpcalc autograder: internal error: {type(exc).__name__}: {exc}")
        data = {
            "score": 0,
            "output": "The autograder failed, so your submission was not graded. Please tell your instructor.",
            "tests": [],
        }
        code = 70
    out.parent.mkdir(parents=True, exist_ok=True)
    write_file(out, dumps(data) + "\n")
    print(data.get("output", ""))
    return code


if __name__ == "__main__":  # run_autograder: python -m bpcalc.autograder ROOT
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else None))
