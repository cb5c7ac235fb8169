"""Canvas grades: a roster (Canvas's gradebook export, or any CSV of students), matching, and the import CSV.

With a roster, `fill_gradebook` fills in the assignment's column for the
matched students and keeps every other column, row and value as exported
(the "Points Possible" row included). Without one, `new_gradebook` writes the
columns Canvas's import documents: Student, ID, SIS User ID, SIS Login ID,
Section, and a column named after the assignment.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AnswerError
from .text import csv_cell

if TYPE_CHECKING:
    from .assignment import Assignment, Graded

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# A roster column, by any of its usual headers (compared without case), and the field it fills.
_FIELDS = {
    "student": "name",
    "name": "name",
    "student name": "name",
    "id": "id",
    "user id": "id",
    "sis user id": "sis_id",
    "sis_id": "sis_id",
    "student id": "sis_id",
    "student number": "sis_id",
    "sis login id": "login",
    "login": "login",
    "login id": "login",
    "username": "login",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "section": "section",
}
_IDENTIFYING = ("id", "sis_id", "login", "email")
_ASSIGNMENT_HEADER = re.compile(r"(.*) \(([0-9]+)\)")  # Canvas: "Homework 3 (12345)"
_POINTS_POSSIBLE = "points possible"


@dataclass
class Student:
    """One roster row: what identifies the student, and the row's index in the file."""

    row: int
    name: str = ""
    id: str = ""
    sis_id: str = ""
    login: str = ""
    email: str = ""
    section: str = ""

    def fields(self) -> dict[str, str]:
        return {"id": self.id, "sis_id": self.sis_id, "login": self.login, "email": self.email, "name": self.name}


@dataclass
class Roster:
    """A CSV of students as read: the header, every row (students and Canvas's other rows), the students."""

    path: str
    header: list[str]
    rows: list[list[str]]
    students: list[Student]
    bom: bool = False
    newline: str = "\n"


def read_roster(path: str | Path) -> Roster:
    """A roster CSV: Canvas's gradebook export or any CSV with a name column and an id, login or email column."""
    from .files import read_bytes

    path = Path(path)
    raw = read_bytes(path, kind="roster")  # a regular file, 16 MB at most
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswerError(
            "the roster is not UTF-8 text (save it from the spreadsheet as CSV UTF-8)", path=str(path)
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise AnswerError(f"the roster is not valid CSV: {exc}", path=str(path)) from None
    if not rows:
        raise AnswerError("the roster is empty", path=str(path))
    header = rows[0]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _FIELDS.get(name.strip().lower())
        if key is not None and key not in columns:
            columns[key] = index
    if "name" not in columns or not any(k in columns for k in _IDENTIFYING):
        raise AnswerError(
            "the roster lacks the expected columns: it needs a Student (or Name) column and one of "
            f"ID, SIS User ID, SIS Login ID or Email; it has {', '.join(repr(h) for h in header[:12]) or 'none'}",
            "export the gradebook from Canvas (Grades, Export), or add those headers",
            path=str(path),
        )
    students = []
    for number, row in enumerate(rows[1:], 1):
        cells = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        if cells.get("name", "").lower() == _POINTS_POSSIBLE or not any(cells.get(k) for k in _IDENTIFYING):
            continue  # Canvas's "Points Possible" and posting-policy rows
        students.append(Student(number, **cells))
    newline = "\r\n" if "\r\n" in text[: text.find("\n") + 1 or len(text)] else "\n"
    return Roster(str(path), header, rows, students, bom, newline)


def _normal_name(name: str) -> str:
    """A name for matching: Canvas's "Lovelace, Ada" as "ada lovelace", spaces and case ignored."""
    name = " ".join(name.split()).casefold()
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip()
    return name


@dataclass
class Match:
    """Which submission goes with which roster row, and what did not match."""

    rows: dict[int, Graded] = field(default_factory=dict)  # roster row index -> the student's submission
    unmatched: list[Graded] = field(default_factory=list)  # submissions no row names
    missing: list[Student] = field(default_factory=list)  # roster students without a submission
    twice: list[tuple[Student, list[Graded]]] = field(default_factory=list)  # a student in two files


def identity(graded: Graded) -> dict[str, str]:
    """What a graded answer file says about who wrote it."""
    found = {k: str(v).strip() for k, v in graded.identity.items() if str(v).strip()}
    if graded.named:
        found["name"] = graded.name or graded.student
    return found


def find_student(students: Iterable[Student], fields: dict[str, str]) -> Student | None:
    """The roster row an answer file names: by id, SIS id, login or email, then by name (when unambiguous)."""
    students = list(students)
    for key in _IDENTIFYING:
        value = fields.get(key, "")
        if not value:
            continue
        folded = value.casefold()
        hits = [s for s in students if getattr(s, key) and getattr(s, key).casefold() == folded]
        if key == "email" and not hits:  # a login is often the email address
            hits = [s for s in students if s.login.casefold() == folded]
        if len(hits) == 1:
            return hits[0]
    name = _normal_name(fields.get("name", ""))
    if name:
        hits = [s for s in students if _normal_name(s.name) == name]
        if len(hits) == 1:
            return hits[0]
    return None


def match(roster: Roster, graded: Iterable[Graded]) -> Match:
    """Pair submissions with roster rows; a row named by two submissions is set aside, with both."""
    by_row: dict[int, list[Graded]] = {}
    result = Match()
    for g in graded:
        student = find_student(roster.students, identity(g))
        if student is None:
            result.unmatched.append(g)
        else:
            by_row.setdefault(student.row, []).append(g)
    for student in roster.students:
        found = by_row.get(student.row, [])
        if len(found) == 1:
            result.rows[student.row] = found[0]
        elif found:
            result.twice.append((student, found))
        else:
            result.missing.append(student)
    return result


def assignment_column(roster: Roster, title: str, column: str | None = None) -> int:
    """The assignment's gradebook column: `column` by its header (with or without Canvas's " (id)"), else the title."""
    wanted = column if column is not None else title
    hits = [i for i, h in enumerate(roster.header) if h.strip() == wanted.strip()]
    if not hits:
        hits = [
            i
            for i, h in enumerate(roster.header)
            if (m := _ASSIGNMENT_HEADER.fullmatch(h.strip())) and m.group(1) == wanted.strip()
        ]
    if len(hits) == 1:
        return hits[0]
    listed = [h for h in roster.header if _ASSIGNMENT_HEADER.fullmatch(h.strip())]
    how = (
        f"column '{column}'"
        if column is not None
        else f"column for the assignment '{title}' (its title followed by Canvas's ' (id)')"
    )
    if hits:
        raise AnswerError(
            f"the roster has {len(hits)} columns named '{wanted}'",
            "name the one to fill with --column",
            path=roster.path,
        )
    raise AnswerError(
        f"the roster has no {how}",
        ("its assignment columns: " + ", ".join(listed[:10]) + "; choose one with --column NAME")
        if listed
        else "create the assignment in Canvas and export the gradebook again, or use --column NAME",
        path=roster.path,
    )


def score_cell(value: float | None) -> str:
    """A score as Canvas reads it: 7.5, 7, 2.33."""
    from .render.check_text import score_text

    return score_text(value)


def _csv(rows: Iterable[list[str]], *, newline: str = "\n", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    return ("\ufeff" if bom else "").encode("utf-8") + buffer.getvalue().encode("utf-8")


def fill_gradebook(
    roster: Roster, matched: Match, assignment: Assignment, *, column: str | None = None, bom: bool | None = None
) -> bytes:
    """The roster with the assignment's column filled for matched students; all else as exported."""
    index = assignment_column(roster, assignment.title, column)
    rows = [list(row) for row in roster.rows]
    for row_number, g in matched.rows.items():
        if g.error is not None:
            continue  # not graded: the cell stays as exported
        row = rows[row_number]
        row.extend([""] * (index + 1 - len(row)))
        row[index] = csv_cell(score_cell(g.score))
    return _csv(rows, newline=roster.newline, bom=roster.bom if bom is None else bom)


def same_student(graded: Iterable[Graded]) -> list[list[Graded]]:
    """Answer files that give the same SIS id, id, login or email: one student in several files."""
    groups: dict[tuple[str, str], list[Graded]] = {}
    for g in graded:
        who = identity(g)
        for key in _IDENTIFYING:
            if who.get(key):
                groups.setdefault((key, who[key].casefold()), []).append(g)
    found: list[list[Graded]] = []
    for files in groups.values():
        if len(files) > 1 and not any(set(map(id, files)) <= set(map(id, other)) for other in found):
            found.append(files)
    return found


def new_gradebook(graded: Iterable[Graded], assignment: Assignment, *, bom: bool = False) -> bytes:
    """A Canvas import CSV from the answer files alone: Canvas's student columns, a Points Possible row, the scores.

    A student in several files (the same SIS id, id, login or email) is left out: see `same_student`.
    """
    graded = list(graded)
    twice = {id(g) for files in same_student(graded) for g in files}
    rows = [
        [*CANVAS_COLUMNS, assignment.title],
        ["Points Possible", "", "", "", "", score_cell(assignment.max_score)],
    ]
    for g in graded:
        if g.error is not None or id(g) in twice:
            continue
        who = identity(g)
        rows.append(
            [
                csv_cell(cell)
                for cell in (
                    g.student,
                    who.get("id", ""),
                    who.get("sis_id", ""),
                    who.get("login", who.get("email", "")),
                    "",
                    score_cell(g.score),
                )
            ]
        )
    rows[0] = [csv_cell(cell) for cell in rows[0]]
    return _csv(rows, bom=bom)


__all__ = [
    "CANVAS_COLUMNS",
    "Match",
    "Roster",
    "Student",
    "assignment_column",
    "fill_gradebook",
    "find_student",
    "identity",
    "match",
    "new_gradebook",
    "read_roster",
]
