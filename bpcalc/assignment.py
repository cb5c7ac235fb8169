"""Assignments and submissions: problem sets in TOML, answer files in TOML or JSON, scores, bulk grading."""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import (
    ATOL,
    GRAD,
    RTOL,
    VALUE,
    Ask,
    Check,
    Tolerance,
    answer_items,
    compare,
    evaluate,
    read_answer,
    resolve,
    wrt_for,
)
from .errors import AnswerError, BpcalcError, FileError, suggest
from .files import inside, loads_json, read_text
from .graph import Result
from .text import clip, toml_string
from .variants import IDENTITY_KEYS, RandomSpec, draw, parse_random, student_key

ANSWER_SUFFIXES = (".toml", ".json")
MAX_NOTES = 10  # notes per answer file (unknown keys, items not asked); past it, a count
_IDENTITY = (*IDENTITY_KEYS, "variant")  # who the answers are from: read, not graded
_TOP_KEYS = ("title", "seed", "tie", "rtol", "atol", "places", "problems")
_PROBLEM_KEYS = (
    "id",
    "title",
    "expression",
    "program",
    "at",
    "ask",
    "points",
    "tie",
    "rtol",
    "atol",
    "places",
    "random",
)


# ---------------------------------------------------------------- files


def read_data(path: str | Path, *, kind: str = "answers") -> dict[str, Any]:
    """A TOML or JSON file as a dict: by its suffix, else JSON when it starts with '{', else TOML.

    Only a regular file within files.LIMITS[kind] bytes is read (kind: "answers" or "assignment").
    In a TOML answer file, a line whose value is not TOML (dx = -4,0) is read as that value's
    text, so that one typo makes one answer wrong rather than the file unreadable.
    """
    path = Path(path)
    try:
        text = read_text(path, kind=kind)
    except FileError as exc:
        raise AnswerError(exc.reason, path=str(path)) from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix != ".toml" and text.lstrip().startswith("{")):
        return _read_json(text, str(path))
    return _read_toml(text, str(path), repair=kind == "answers")


def _read_json(text: str, path: str) -> dict[str, Any]:
    try:
        data = loads_json(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=path) from None
    except ValueError as exc:
        raise AnswerError(f"not valid JSON: {exc}", path=path) from None
    except RecursionError:
        raise AnswerError("not valid JSON: nested too deeply", path=path) from None
    if not isinstance(data, dict):
        raise AnswerError('the JSON must be an object: {"name": number, ...}', path=path)
    return data


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def _read_toml(text: str, path: str, *, repair: bool = False) -> dict[str, Any]:
    tomllib = _tomllib()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        first = exc
    except RecursionError:
        raise AnswerError("not valid TOML: nested too deeply", path=path) from None
    repaired = _repaired(text, first) if repair else None
    if repaired is None:
        raise AnswerError(f"not valid TOML: {first}", path=path) from None
    return repaired


REPAIRS = 50  # lines of one answer file read as text; past it, the file is not an answer file
# Each repair parses the file again: at most this many characters in all (a 2 KB file gets its
# 50 repairs, a 100 KB one 10, a 1 MB one a single one), so a hostile file costs a few parses.
REPAIR_CHARS = 1_000_000
_TOML_LINE = re.compile(r"\(at line ([0-9]+), column [0-9]+\)$")


def _repaired(text: str, error: Exception) -> dict[str, Any] | None:
    """The TOML with each line the parser stops at (`dx = -4,0`, `dy = abc`) read as `key = "its text"`;
    None when a line the parser stops at is no `key = value` (then the file is not TOML after all)."""
    tomllib = _tomllib()
    lines = text.split("\n")
    done: set[int] = set()
    most = min(REPAIRS, REPAIR_CHARS // max(1, len(text)))
    for _ in range(most + 1):
        found = _TOML_LINE.search(str(error))
        n = int(found[1]) if found else 0
        if not 0 < n <= len(lines) or n in done or len(done) == most:
            return None
        line = _as_text(lines[n - 1])
        if line is None:
            return None
        lines[n - 1] = line
        done.add(n)
        try:
            return tomllib.loads("\n".join(lines))
        except tomllib.TOMLDecodeError as exc:
            error = exc
        except RecursionError:
            return None
    return None


def _as_text(line: str) -> str | None:
    """`key = value` with the value as a TOML string of its text (comment dropped), or None if the line is no
    key and value on one line (a table header, a line of a longer value, an inline table, which holds answers)."""
    quote, at = "", -1
    for i, char in enumerate(line):  # the first '=' outside a quoted key
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "=":
            at = i
            break
    if at < 0:
        return None
    key, value = line[:at].strip(), line[at + 1:].strip()
    if not key or key.startswith(("[", "#")) or value.startswith("{"):
        return None
    try:
        _tomllib().loads(f"{key} = 0")  # a key TOML reads, bare, quoted or dotted
    except Exception:
        return None
    if not value.startswith(("'", '"')):
        value = value.split("#", 1)[0].strip()  # a comment after the answer
    return f"{key} = {toml_string(value)}"


def _unknown_keys(data: Mapping, known: Iterable[str], where: str, path: str) -> None:
    for key in data:
        if key not in known:
            near = suggest(str(key), known)
            raise AnswerError(
                f"{where}unknown key '{key}'",
                f"did you mean '{near}'?" if near else "keys: " + ", ".join(known),
                path=path,
                item=str(key),
            )


# ---------------------------------------------------------------- assignments


@dataclass
class Problem:
    """One problem: an expression at a point, what is asked, and the engine's answers."""

    id: str
    title: str
    source: str
    at: dict[str, Any]  # numbers, or arrays
    asks: list[Ask]
    points: float
    tolerance: Tolerance
    result: Result
    random: RandomSpec | None = None  # parameters drawn per student
    fixed: dict[str, Any] = field(default_factory=dict)  # the `at` the draws add to
    variant: str | None = None  # the student key this problem was drawn for

    @property
    def graph(self):
        return self.result.graph

    @property
    def tie(self) -> str:
        return self.result.tie

    def drawn(self, seed: str, key: str) -> Problem:
        """This problem with its random parameters drawn for a student key (itself when nothing is drawn)."""
        if self.random is None:
            return self
        spec = self.random
        point, result = draw(seed, self.id, key, spec, self._evaluate, self._acceptable)
        return Problem(
            self.id,
            self.title,
            self.source,
            {**self.fixed, **point},
            self.asks,
            self.points,
            self.tolerance,
            result,
            spec,
            self.fixed,
            key,
        )

    def _evaluate(self, point: Mapping[str, Any]) -> Result:
        from .engine import run

        at = {**self.fixed, **point}
        return run(self.graph, at, wrt=wrt_for(self.graph, self.asks, at), tie=self.tie)

    def _acceptable(self, result: Result) -> bool:
        spec = self.random
        if spec is None:
            return True
        if spec.avoid_kinks and any(w.kind == "kink" for w in result.warnings):
            return False
        for name in spec.nonzero:
            value = result.values[result.graph.names[name]]
            if (value == 0) if isinstance(value, float) else not value.all():
                return False
        return True


@dataclass
class Assignment:
    """A problem set read from TOML."""

    path: str
    title: str
    problems: list[Problem]
    seed: str = ""

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.problems)

    @property
    def randomized(self) -> bool:
        """Whether some problem draws its numbers per student."""
        return any(p.random is not None for p in self.problems)

    @property
    def variant_space(self) -> int:
        """How many distinct variants the grids allow (an upper bound: redraws remove some)."""
        total = 1
        for p in self.problems:
            if p.random is not None:
                total *= p.random.size
        return total

    def for_student(self, key: str) -> Assignment:
        """The assignment as this student key draws it (itself when nothing is drawn)."""
        if not self.randomized:
            return self
        return Assignment(self.path, self.title, [p.drawn(self.seed, key) for p in self.problems], self.seed)

    def problem(self, problem_id: str) -> Problem | None:
        return next((p for p in self.problems if p.id == problem_id), None)


def load_assignment(
    path: str | Path, *, tolerance: Mapping[str, Any] | None = None, tie: str | None = None
) -> Assignment:
    """Read an assignment file, parse and evaluate every problem.

    `tolerance` ({"rtol": ..., "atol": ..., "places": ...}, any of them) and `tie` override
    the file's settings, each only its own field; places and rtol/atol exclude each other.
    """
    path = str(path)
    data = read_data(path, kind="assignment")
    _unknown_keys(data, _TOP_KEYS, "", path)
    problems_data = data.get("problems")
    if (
        not isinstance(problems_data, list)
        or not problems_data
        or not all(isinstance(p, Mapping) for p in problems_data)
    ):
        raise AnswerError(
            "no problems: an assignment lists them as [[problems]] tables",
            '[[problems]]\nid = "1"\nexpression = "(x+y)*z"\nat = "x=-2, y=5, z=-4"\n'
            'ask = ["f", "df/dx", "df/dy", "df/dz"]',
            path=path,
        )
    title = data.get("title", Path(path).stem)
    if not isinstance(title, str):
        raise AnswerError("title must be text", path=path, item="title")
    seed = data.get("seed", "")
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise AnswerError("seed must be a whole number or a text", path=path, item="seed")
    defaults = {key: data[key] for key in ("tie", "rtol", "atol", "places") if key in data}
    problems: list[Problem] = []
    for n, entry in enumerate(problems_data, 1):
        problem = _problem(entry, n, defaults, path, tolerance, tie, str(seed))
        if any(p.id == problem.id for p in problems):
            raise AnswerError(f"two problems have the id '{problem.id}'", path=path, item=problem.id)
        problems.append(problem)
    return Assignment(path, title, problems, str(seed))


def _problem(
    entry: Mapping, n: int, defaults: Mapping, path: str, tolerance: Mapping | None, tie: str | None, seed: str = ""
) -> Problem:
    from .parse import parse, parse_point

    problem_id = str(entry.get("id", n))
    where = f"problem {problem_id}: "
    _unknown_keys(entry, _PROBLEM_KEYS, where, path)
    if ("expression" in entry) == ("program" in entry):
        raise AnswerError(f"{where}give the expression (or program) once", 'e.g. expression = "(x+y)*z"', path=path)
    source = entry.get("expression", entry.get("program"))
    if not isinstance(source, str):
        raise AnswerError(f"{where}the expression must be text", path=path)
    settings = {**defaults, **{k: entry[k] for k in ("tie", "rtol", "atol", "places") if k in entry}}
    overrides = dict(tolerance or {})
    if "places" in overrides:  # rounding replaces the file's rtol/atol, and they replace its rounding
        settings.pop("rtol", None), settings.pop("atol", None)
    elif overrides:
        settings.pop("places", None)
    settings.update(overrides)
    try:
        tolerance_here = Tolerance(
            rtol=settings.get("rtol", RTOL),
            atol=settings.get("atol", ATOL),
            places=settings.get("places"),
        )
        graph = parse(source)
        at = parse_point(entry.get("at"))
        asks = _asks(entry.get("ask"), graph, where, path)
        spec = None
        if "random" in entry:
            spec = parse_random(entry["random"], names=graph.variables, fixed=list(at), where=where, path=path)
            for name in spec.nonzero:
                if name not in graph.names:
                    raise AnswerError(
                        f"{where}random: nonzero names '{name}', which the program does not", path=path, item=name
                    )
        try:
            result = evaluate(graph, at, asks, tie or settings.get("tie", "indicator")) if spec is None else None
        except AnswerError as exc:  # an ask the graph cannot answer (df/dpi): this file and problem
            raise AnswerError(f"{where}{exc.reason}", exc.hint, path=path, item=exc.item) from None
    except AnswerError:
        raise
    except BpcalcError as exc:
        exc.message = f"{path}: {where}{exc.message}"  # keep the class, and with it the exit code
        raise
    points = entry.get("points", float(len(asks)))
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points < float("inf"):
        raise AnswerError(f"{where}points must be a number ≥ 0", path=path, item="points")
    title = entry.get("title", "")
    if not isinstance(title, str):
        raise AnswerError(f"{where}title must be text", path=path, item="title")
    if spec is None:
        return Problem(problem_id, title, source, at, asks, float(points), tolerance_here, result)  # type: ignore[arg-type]
    # The problem as the teacher sees it (bpcalc key without --student): the draw for the empty key.
    chosen_tie = tie or settings.get("tie", "indicator")
    base = Problem(
        problem_id, title, source, at, asks, float(points), tolerance_here, _stand_in(graph, chosen_tie), spec, dict(at)
    )
    try:
        return base.drawn(seed, "")
    except AnswerError as exc:
        raise AnswerError(f"{where}{exc.reason}", exc.hint, path=path) from None


def _stand_in(graph, tie: str) -> Result:
    """A Result carrying only the graph and the tie, until the first draw evaluates the problem."""
    return Result(graph, [], [], [], {}, [], tie)


def _asks(ask: Any, graph, where: str, path: str) -> list[Ask]:
    if ask is None:  # the output's value and its gradient for every variable
        keys = [graph.output_label] + [f"d/d{name}" for name in graph.variables]
    elif isinstance(ask, str):
        keys = [k.strip() for k in ask.replace(";", ",").split(",") if k.strip()]
    elif isinstance(ask, list) and all(isinstance(k, str) for k in ask):
        keys = ask
    else:
        raise AnswerError(
            f"{where}ask must be a list of names and gradients", 'e.g. ask = ["q", "f", "df/dq", "df/dx"]', path=path
        )
    asks: list[Ask] = []
    for key in keys:
        try:
            found = resolve(key, graph)
        except AnswerError as exc:
            raise AnswerError(f"{where}ask: {exc.reason}", exc.hint, path=path, item=key) from None
        if found in asks:
            raise AnswerError(f"{where}ask lists {found.label} twice", path=path, item=key)
        asks.append(found)
    if not asks:
        raise AnswerError(f"{where}ask is empty", path=path)
    return asks


# ---------------------------------------------------------------- submissions


@dataclass
class Submission:
    """One student's answers: raw (key, value) items per problem, as read from the file."""

    student: str
    path: str
    answers: dict[str, list[tuple[str, Any]]]
    notes: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)  # id, sis_id, login, email, variant as the file gives them
    named: bool = False  # the file names the student (`student = "..."`), rather than its file name standing in


def read_submission(path: str | Path, assignment: Assignment) -> Submission:
    """An answer file for an assignment: a table per problem id ([1] q = 3 ...), or, for an
    assignment of one problem, the answers at the top."""
    path = str(path)
    data = read_data(path)
    student = data.get("student")
    named = isinstance(student, str) and bool(student.strip())
    if not isinstance(student, str) or not student.strip():
        student = Path(path).stem
    ids = [p.id for p in assignment.problems]
    answers: dict[str, list[tuple[str, Any]]] = {}
    notes: list[str] = []
    flat: dict[str, Any] = {}
    identity: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key == "student" and isinstance(value, str):
            continue
        if key in _IDENTITY and key not in ids and isinstance(value, (str, int)) and not isinstance(value, bool):
            identity[key] = value
            continue
        if key in ids and (isinstance(value, (Mapping, str))):
            answers[key] = answer_items(value, path=path)
        elif len(ids) == 1 and (not isinstance(value, Mapping) or key == "grad"):
            flat[key] = value  # one problem: its answers may sit at the top
        else:
            near = suggest(key, ids) if len(notes) < MAX_NOTES else None  # past the limit only counted
            notes.append(
                f"'{clip(key)}' is not a problem of the assignment (problems: {', '.join(ids)})"
                + (f": did you mean '{near}'?" if near else "")
                + "; its answers are not graded"
            )
    if flat:
        if ids[0] in answers:
            raise AnswerError(f"answers for problem {ids[0]} are given both at the top and in [{ids[0]}]", path=path)
        answers[ids[0]] = answer_items(flat, path=path)
    return Submission(student.strip(), path, answers, notes, identity, named)


@dataclass
class ProblemResult:
    """One problem of one submission: the check and its score."""

    problem: Problem
    check: Check
    score: float

    @property
    def max_score(self) -> float:
        return self.problem.points


@dataclass
class Graded:
    """One submission, graded; `error` says why a submission could not be graded (then no problems)."""

    student: str
    path: str
    problems: list[ProblemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    max_score: float = 0.0
    variant: str | None = None  # the student key the numbers were drawn for
    identity: dict[str, Any] = field(default_factory=dict)  # id, sis_id, login, email, variant from the file
    named: bool = False  # `student` came from the file, not from its file name
    name: str = ""  # `student` as the file gives it, before two files of one name are told apart

    @property
    def score(self) -> float | None:
        if self.error is not None:
            return None
        return sum(p.score for p in self.problems)

    @property
    def ok(self) -> bool:
        return self.error is None and all(p.check.ok for p in self.problems)

    def wrong(self) -> list[tuple[Problem, Any]]:
        """(problem, row) for every item not right, in problem and backprop order."""
        return [(p.problem, row) for p in self.problems for row in p.check.rows if not row.ok]


def check_submission(assignment: Assignment, submission: Submission) -> Graded:
    """Check every problem's answers; items not asked are noted, not graded; unanswered items score 0."""
    graded = Graded(submission.student, submission.path, notes=list(submission.notes), max_score=assignment.max_score,
                    identity=dict(submission.identity), named=submission.named, name=submission.student)
    for problem in assignment.problems:
        given: dict[Ask, Any] = {}
        for key, value in submission.answers.get(problem.id, []):
            try:
                ask = resolve(key, problem.graph, path=submission.path)
            except AnswerError as exc:
                graded.notes.append(f"problem {problem.id}: {exc.reason}; not graded")
                continue
            if ask not in problem.asks:
                graded.notes.append(f"problem {problem.id}: {ask.label} is not asked; not graded")
                continue
            if ask in given:
                raise AnswerError(
                    f"problem {problem.id}: {ask.label} is answered twice", path=submission.path, item=key
                )
            given[ask] = read_answer(value, item=key, path=submission.path)  # not a number: that item is wrong
        rows = compare(problem.result, problem.asks, given, problem.tolerance)
        each = problem.points / len(problem.asks)
        score = each * sum(row.ok for row in rows)
        graded.problems.append(ProblemResult(problem, Check(problem.result, rows, problem.tolerance), score))
    graded.notes = summarise(graded.notes)
    return graded


def summarise(notes: list[str], limit: int = MAX_NOTES) -> list[str]:
    """The first `limit` notes, then one line that counts the rest (a million unknown keys are not a million lines)."""
    if len(notes) <= limit:
        return notes
    return notes[:limit] + [f"… and {len(notes) - limit:,} more notes like these"]


def submission_files(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[Path]:
    """The answer files: each file as given, and every .toml and .json entry in each folder (sorted, not hidden).

    A folder's entries that are not regular files (a FIFO, a dangling link) are listed too,
    so that each gets a row saying why it was not graded; sub-folders are not entered.
    """
    excluded = {Path(p).resolve() for p in exclude}
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                (
                    f
                    for f in path.iterdir()
                    if f.suffix.lower() in ANSWER_SUFFIXES and not f.name.startswith(".") and not f.is_dir()
                ),
                key=lambda f: f.name,
            )
            found = [f for f in found if f.resolve() not in excluded]
            if not found:
                raise AnswerError("the folder holds no .toml or .json answer files", path=str(path))
            files.extend(found)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            raise AnswerError("no such file or folder", path=str(path))
    return files


def distinct_files(files: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """The files with each file once (the same path twice, or one file by two names: a link, another
    spelling, a hard link), and (left out, the same file kept) for every one left out."""
    import os

    kept: list[Path] = []
    twice: list[tuple[Path, Path]] = []
    seen: dict[Any, Path] = {}
    for item in files:
        path = Path(item)
        try:
            info = os.stat(path)  # follows a link; reads nothing
            identity: Any = (info.st_dev, info.st_ino)
        except (OSError, ValueError):  # a dangling link, say: its own row will say why
            identity = os.path.realpath(path)
        if identity in seen:
            twice.append((path, seen[identity]))
        else:
            seen[identity] = path
            kept.append(path)
    return kept, twice


PARALLEL_FROM = 200  # fewer are graded in one process: starting others (~80 ms) costs more than it saves


def cores() -> int:
    """The processors this process may use (the default for --jobs)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def grade(
    assignment: Assignment,
    files: Iterable[str | Path],
    progress: Callable[[int], None] | None = None,
    *,
    roster=None,
    jobs: int = 1,
) -> list[Graded]:
    """Grade every file; a file that cannot be read or checked is reported in its row and the rest go on.

    A link to a file outside the link's own folder is not followed (a student's
    `mine.toml -> /elsewhere/key.toml`): its row says so. `roster` (canvas.Student rows) tells whose
    variant a file answers; `jobs` > 1 grades on that many processes, with the same results in the
    same order as one.
    """
    files = list(files)
    if jobs > 1 and len(files) >= PARALLEL_FROM:
        graded = _grade_parallel(assignment, files, progress, roster, jobs)
    else:
        graded = []
        for n, path in enumerate(files, 1):
            graded.append(grade_file(assignment, path, roster=roster))
            if progress is not None:
                progress(n)
    _unique_students(graded)
    return graded


# ---------------------------------------------------------------- grading on several processes
# Each worker loads nothing: it gets the assignment once, when it starts, and sends back each
# Graded without its problems' Results (the graph, values and steps are the parent's already),
# which the parent puts back from its own assignment, or from the student's variant.

_WORKER: dict[str, Any] = {}


def _start_worker(assignment: Assignment, roster) -> None:
    import gc

    gc.disable()  # as the CLI does for a command: many acyclic objects, no cycles worth collecting
    _WORKER["assignment"], _WORKER["roster"] = assignment, roster


def _grade_in_worker(path: str):
    graded = grade_file(_WORKER["assignment"], path, roster=_WORKER["roster"])
    parts = [(p.problem.id, p.check.rows, p.check.notes, p.score) for p in graded.problems]
    graded.problems = []
    return graded, parts


def _grade_parallel(assignment: Assignment, files: list, progress, roster, jobs: int) -> list[Graded]:
    from concurrent.futures import ProcessPoolExecutor

    paths = [str(f) for f in files]
    chunk = max(1, min(64, len(paths) // (jobs * 8)))
    graded: list[Graded] = []
    drawn: dict[str, Assignment] = {}
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(assignment, roster)) as pool:
        for n, (g, parts) in enumerate(pool.map(_grade_in_worker, paths, chunksize=chunk), 1):
            source = assignment
            if g.variant is not None:
                source = drawn.get(g.variant) or drawn.setdefault(g.variant, assignment.for_student(g.variant))
            for problem_id, rows, notes, score in parts:
                problem = source.problem(problem_id)
                assert problem is not None
                g.problems.append(ProblemResult(problem, Check(problem.result, rows, problem.tolerance, notes), score))
            graded.append(g)
            if progress is not None:
                progress(n)
    return graded


def grade_file(
    assignment: Assignment, path: str | Path, *, identity: Mapping[str, str] | None = None, roster=None
) -> Graded:
    """Grade one answer file; a file that cannot be read or checked gives a Graded with its `error`.

    For an assignment with variants, whose numbers to use comes from `identity` ({"id": ..., "email": ...,
    "name": ...}, e.g. Gradescope's submitter), else from the roster row (a list of canvas.Student) the
    file matches, else from the file itself.
    No failure of one file escapes (MemoryError included), so the other files are always graded;
    a link to a file outside the link's own folder is not followed.
    """
    path = Path(path)
    submission: Submission | None = None
    followed = False  # whether the file may be read again for the student's name
    try:
        if path.is_symlink() and not inside(path, path.parent):
            raise AnswerError("is a link to a file outside its folder: not followed", path=str(path))
        followed = True
        submission = read_submission(path, assignment)
        if not assignment.randomized:
            return check_submission(assignment, submission)
        if not identity and roster:
            from .canvas import find_student

            fields = {k: str(v) for k, v in submission.identity.items()}
            if submission.named:
                fields["name"] = submission.student
            row = find_student(roster, fields)
            identity = row.fields() if row is not None else None
        key = variant_key(submission, identity)
        graded = check_submission(assignment.for_student(key), submission)
        graded.variant = key
        return graded
    except BpcalcError as exc:
        reason = exc.reason if isinstance(exc, AnswerError) else str(exc)
    except MemoryError:
        reason = "could not be graded: it needs more memory than there is"
    except RecursionError:
        reason = "could not be graded: it is nested too deeply"
    except Exception as exc:  # a bug in bpcalc met by this file: the other files are still graded
        reason = (
            f"could not be graded: internal error {type(exc).__name__}: {str(exc)[:200]} "
            "(a bug in bpcalc; please report it)"
        )
    name = submission.student if submission is not None and submission.named else named_in(path) if followed else None
    return Graded(name or path.stem, str(path), error=reason, max_score=assignment.max_score, named=bool(name),
                  name=name or path.stem, identity=dict(submission.identity) if submission is not None else {})


_STUDENT_TOML = re.compile(r"^[ \t]*student[ \t]*=[^\n]*", re.MULTILINE)  # linear: one try per line start
_STUDENT_JSON = re.compile(r'"student"[ \t\r\n]*:[ \t\r\n]*("(?:[^"\\\n]|\\.)*")')


def named_in(path: Path) -> str | None:
    """The `student = "…"` of an answer file that could not be graded (not valid TOML or JSON as a
    whole, say), so that its row still names the student; None when the file names nobody."""
    try:
        text = read_text(path, kind="answers")
    except BpcalcError:
        return None
    try:
        if path.suffix.lower() == ".json" or (path.suffix.lower() != ".toml" and text.lstrip().startswith("{")):
            found = _STUDENT_JSON.search(text)
            name = json.loads(found[1]) if found else None
        else:
            found = _STUDENT_TOML.search(text)
            name = _tomllib().loads(found[0]).get("student") if found else None
        if isinstance(name, str):
            name.encode("utf-8")  # a lone surrogate from a JSON escape is no name
    except Exception:  # a name line that does not parse: no name
        return None
    return name.strip() if isinstance(name, str) and name.strip() else None


def variant_key(submission: Submission, identity: Mapping[str, str] | None = None) -> str:
    """Whose variant an answer file answers: its `variant`, else the student's id, sis_id, login, email or name.

    `identity` (a roster's row, Gradescope's submitter) comes before what the file claims.
    """
    fields: dict[str, Any] = {"name": submission.student if submission.named else None}
    fields.update(submission.identity)
    key = student_key(dict(identity)) if identity else None
    key = key or student_key(fields)
    if key is None:
        raise AnswerError(
            "the assignment gives each student their own numbers, and this answer file does not say whose it is",
            'add your id at the top, as on your problem sheet: id = "..."',
            path=submission.path,
        )
    return key


def _unique_students(graded: list[Graded]) -> None:
    """Two files that name the same student keep their file names, so no row hides another."""
    seen: dict[str, int] = {}
    for g in graded:
        seen[g.student] = seen.get(g.student, 0) + 1
    for g in graded:
        if seen[g.student] > 1:
            g.student = f"{g.student} ({Path(g.path).name})"


__all__ = [
    "Assignment",
    "Problem",
    "Submission",
    "Graded",
    "ProblemResult",
    "load_assignment",
    "read_submission",
    "check_submission",
    "submission_files",
    "distinct_files",
    "grade",
    "grade_file",
    "read_data",
    "VALUE",
    "GRAD",
]
