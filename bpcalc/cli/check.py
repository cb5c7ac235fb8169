"""bpcalc check, grade and key: answers checked, submissions graded, answer keys printed.

Each command gathers its options, calls bpcalc.check or bpcalc.assignment, and hands the
result to a renderer in bpcalc/render/check_*.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..errors import BpcalcError, ExitCode, InputError
from ..render.progress import PROGRESS_AT
from .common import (
    AT_OPTION,
    DEBUG_OPTION,
    FILE_OPTION,
    MAX_WARNINGS,
    VALUES_OPTION,
    Tie,
    command,
    exit_codes,
    out,
    point_of,
    read_source,
    say,
    tolerance,
    warn,
    write,
)


@command(
    context_settings={"ignore_unknown_options": True},
    epilog=(
        "Examples:\n\n"
        '  bpcalc check "q = x + y; f = q * z" --at x=-2,y=5,z=-4 '
        '--expect "q=3, f=-12, df/dq=-4, df/dx=-4, df/dy=-4, df/dz=3"\n\n'
        '  bpcalc check "x*x + x" --at x=3 --expect "d/dx=6"\n\n'
        '  bpcalc check "max(0, 1 - w*phi*y)" --at w=0.5,phi=1,y=1 --answers mine.toml --places 2\n\n'
        '  bpcalc check "max(0, 1 - (w @ phi)*y)" --values point.json --expect "df/dw=[-1, -2]"\n\n'
        "  bpcalc check --assignment hw.toml --answers student1.toml\n\n"
        "Answers: a name for a value (q=3), df/dq or d/dq for the gradient of the output f.\n\n"
        "Exit codes: 0 all right, 1 some answer wrong or missing, 2 bad input, 3 math undefined at the point."
    ),
)
def check(
    expr: list[str] | None = typer.Argument(
        None, metavar="[EXPR]", help="Expression or program; '-' reads standard input.", show_default=False
    ),
    at: list[str] | None = AT_OPTION,
    expect: list[str] | None = typer.Option(
        None, "--expect", metavar="ANSWERS", help='The answers to check: "q=3, f=-12, df/dq=-4"; may repeat.',
        show_default=False,
    ),
    answers: Path | None = typer.Option(
        None, "--answers", metavar="FILE", help="Answers from a TOML or JSON file.", show_default=False
    ),
    assignment: Path | None = typer.Option(
        None, "--assignment", metavar="FILE", help="Check --answers against every problem of this assignment (TOML).",
        show_default=False,
    ),
    file: Path | None = FILE_OPTION,
    values: Path | None = VALUES_OPTION,
    rtol: float | None = typer.Option(
        None, "--rtol", metavar="R",
        help="Relative tolerance: right when |given − right| ≤ atol + rtol·|right| (default 0.01).",
        show_default=False,
    ),
    atol: float | None = typer.Option(
        None, "--atol", metavar="A", help="Absolute tolerance (default 0.001).", show_default=False
    ),
    places: int | None = typer.Option(
        None, "--places", min=0, max=12, metavar="N", help="Instead: right when equal after rounding to N decimals.",
        show_default=False,
    ),
    tie: Tie | None = typer.Option(
        None, "--tie", help="Rule at a max/min tie (default indicator, or the assignment's).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the verdicts as one JSON object."),
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table (JSON is exact)."
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Check hand-computed values and gradients, and name the mistakes behind wrong ones."""
    with exit_codes(debug):
        settings = tolerance(rtol, atol, places)
        tie_rule = tie.value if tie else None
        if assignment is not None:
            if expr or file is not None or at or values is not None:
                raise InputError(
                    "with --assignment, the expressions and points come from the assignment: "
                    "drop EXPR, --file, --at and --values"
                )
            if expect:
                raise InputError("with --assignment, the answers come from a file: use --answers FILE, not --expect")
            if answers is None:
                raise InputError("--assignment needs the student's answers: add --answers FILE")
            ok = check_assignment(assignment, answers, settings, tie_rule, json_out, precision)
        else:
            source = read_source(expr, file)
            ok = check_answers(source, point_of(at, values), expect, answers, settings, tie_rule, json_out, precision)
        if not ok:
            raise typer.Exit(int(ExitCode.WRONG))


def check_assignment(
    assignment: Path, answers: Path, settings: dict[str, Any], tie: str | None, json_out: bool, precision: int
) -> bool:
    """Check a student's answer file against every problem of an assignment; True if all are right."""
    from ..assignment import check_submission, load_assignment, read_submission

    homework = load_assignment(assignment, tolerance=settings, tie=tie)
    graded = check_submission(homework, read_submission(answers, homework))
    for note in graded.notes:
        say(f"warning: {note}")
    if json_out:
        from ..render.check_json import dumps, graded_dict

        out(dumps(graded_dict(graded)) + "\n")
    else:
        from ..render.check_table import graded_report, print_renderable

        print_renderable(graded_report(graded, homework, precision))
    return bool(graded.ok)


def check_answers(
    source: str,
    at: list[Any],
    expect: list[str] | None,
    answers: Path | None,
    settings: dict[str, Any],
    tie: str | None,
    json_out: bool,
    precision: int,
) -> bool:
    """Check the answers given with --expect and --answers for one expression; True if all are right."""
    items: list[Any] = list(expect or [])
    if answers is not None:
        from ..assignment import read_data

        items.append(read_data(answers))
    from ..check import Tolerance
    from ..check import check as run_check

    checked = run_check(source, at, items, tolerance=Tolerance(**settings), tie=tie or "indicator")
    warn(checked.warnings)
    if json_out:
        from ..render.check_json import check_dict, dumps

        out(dumps(check_dict(checked)) + "\n")
    else:
        from ..render.check_table import check_report, print_renderable

        print_renderable(check_report(checked, precision))
    return bool(checked.ok)


@command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc grade hw.toml submissions/\n\n"
        "  bpcalc grade hw.toml submissions/ --csv grades.csv --jsonl grades.jsonl\n\n"
        "  bpcalc grade hw.toml alice.toml bob.json --csv -\n\n"
        "  bpcalc grade hw.toml submissions/ --roster export.csv --canvas grades.csv\n\n"
        "  bpcalc grade hw.toml submissions/ --jobs 2 --csv grades.csv --excel\n\n"
        "Exit codes: 0 every submission graded, 2 bad input (the assignment, or a submission that could not be read: "
        "the others are still graded and written), 3 math undefined in a problem."
    ),
)
def grade(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    submissions: list[Path] = typer.Argument(
        ..., metavar="SUBMISSIONS...", help="Answer files (TOML or JSON), or folders of them.", show_default=False
    ),
    csv_out: str | None = typer.Option(
        None, "--csv", metavar="FILE", help="Write the scores as CSV ('-' for standard output).", show_default=False
    ),
    jsonl: str | None = typer.Option(
        None, "--jsonl", metavar="FILE", help="Write one JSON line per student ('-' for standard output).",
        show_default=False,
    ),
    gradescope: str | None = typer.Option(
        None, "--gradescope", metavar="FILE", help="Write Gradescope's results.json for the one submission.",
        show_default=False,
    ),
    canvas: str | None = typer.Option(
        None, "--canvas", metavar="FILE", help="Write a CSV for Canvas's gradebook import ('-' for standard output).",
        show_default=False,
    ),
    roster: Path | None = typer.Option(
        None, "--roster", metavar="FILE",
        help="Canvas's gradebook export (or any CSV of students): --canvas fills in its column; it tells whose variant"
        " a file is.",
        show_default=False,
    ),
    column: str | None = typer.Option(
        None, "--column", metavar="NAME",
        help="The roster's column to fill (default: the assignment's title and Canvas's ' (id)').",
        show_default=False,
    ),
    excel: bool = typer.Option(
        False, "--excel", help="Write --csv and --canvas as UTF-8 with a byte-order mark, as Excel needs."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", min=0, metavar="N", help="Grade on N processes (default 1; 0: one per core): the same output.",
        show_default=False,
    ),
    rtol: float | None = typer.Option(
        None, "--rtol", metavar="R", help="Override the assignment's relative tolerance.", show_default=False
    ),
    atol: float | None = typer.Option(
        None, "--atol", metavar="A", help="Override the assignment's absolute tolerance.", show_default=False
    ),
    places: int | None = typer.Option(
        None, "--places", min=0, max=12, metavar="N", help="Override: right when equal after rounding to N decimals.",
        show_default=False,
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress",
        help=f"A progress bar on stderr (default: from {PROGRESS_AT} submissions, on a terminal).", show_default=False,
    ),
    precision: int = typer.Option(6, "--precision", min=1, max=17, metavar="N", help="Significant digits in reports."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Grade many students' answer files against an assignment: a score table, CSV, JSON lines, Gradescope."""
    with exit_codes(debug):
        from ..assignment import cores, distinct_files, load_assignment, submission_files
        from ..assignment import grade as grade_all
        from ..files import refuse_inputs

        # Before anything is written: never an output over an input, nor over any file in a graded folder.
        inputs = [assignment, *submissions, *([roster] if roster is not None else [])]
        inputs += [entry for folder in submissions if folder.is_dir() for entry in folder.iterdir()]
        for output in (csv_out, jsonl, gradescope, canvas):
            if output is not None and output != "-":
                refuse_inputs(output, inputs)
        to_stdout = [name for name, o in (("--csv", csv_out), ("--jsonl", jsonl), ("--gradescope", gradescope),
                                          ("--canvas", canvas)) if o == "-"]
        if len(to_stdout) > 1:  # two formats mixed on one stream could not be read back
            raise InputError(
                f"{' and '.join(to_stdout)} both ask for standard output ('-'), and only one output can go there",
                f"write all but one to files, e.g. {to_stdout[0]} - {to_stdout[1]} grades.{to_stdout[1][2:]}",
            )
        if column is not None and roster is None:
            raise InputError("--column names a column of the roster: add --roster FILE")
        homework = load_assignment(assignment, tolerance=tolerance(rtol, atol, places))
        students = None
        if roster is not None:
            from ..canvas import read_roster

            students = read_roster(roster)
        # One process unless asked: on the shared 2-core machine two were slower at every size
        # (benchmarks/grade_bench.py, benchmarks/README.md).
        processes = 1 if jobs is None else jobs if jobs > 0 else cores()
        try:
            files, given_twice = distinct_files(submission_files(submissions, exclude=[assignment]))
            for left_out, kept in given_twice[:MAX_WARNINGS]:
                same = "given twice" if str(left_out) == str(kept) else f"the same file as {kept}"
                say(f"warning: {left_out} is {same}: graded once")
            if len(given_twice) > MAX_WARNINGS:
                say(f"warning: … and {len(given_twice) - MAX_WARNINGS} more files given twice, each graded once")
            if gradescope is not None and len(files) != 1:
                raise InputError(
                    f"--gradescope writes the results of one submission, and {len(files)} answer files were found",
                    "give one file, or a folder that holds one",
                )
        except BpcalcError as exc:
            if gradescope is not None:  # the student still sees why on Gradescope
                from ..render.check_json import dumps, gradescope_unreadable

                write(gradescope, dumps(gradescope_unreadable(exc)) + "\n")
            raise
        from ..render.check_text import unreadable_items
        from ..render.progress import bar

        with bar(len(files), progress) as tick:
            graded = grade_all(
                homework, files, progress=tick, roster=students.students if students else None, jobs=processes
            )
        for g in graded:
            if g.error is not None:
                say(f"error: {g.path}: {g.error} (not graded; the others are)")
            unread = [item.split(": ", 1)[0] for item in unreadable_items(g)]
            if unread:
                are = "s are not numbers" if len(unread) != 1 else " is not a number"
                say(f"warning: {g.path}: {len(unread)} answer{are}, graded as wrong: {', '.join(unread)}"
                    " (--csv and --jsonl say why)")
            for note in g.notes:
                say(f"warning: {g.path}: {note}")
        if csv_out is not None:
            from ..render.check_text import grades_csv

            write_encoded(csv_out, grades_csv(graded, homework), bom=excel)
        twice = 0
        if canvas is not None:
            text, twice = canvas_csv(homework, graded, students, column)
            write_encoded(canvas, text, bom=excel or bool(students and students.bom))
        if jsonl is not None:
            from ..render.check_json import grades_jsonl

            write(jsonl, grades_jsonl(graded))
        if gradescope is not None:
            from ..render.check_json import dumps
            from ..render.check_json import gradescope as results

            write(gradescope, dumps(results(graded[0], precision)) + "\n")
        if "-" not in (csv_out, jsonl, gradescope, canvas):
            from ..render.check_table import grades_table, print_renderable

            print_renderable(grades_table(graded, homework))
        if twice or any(g.error is not None for g in graded):
            raise typer.Exit(int(ExitCode.BAD_INPUT))


@command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc key hw.toml\n\n"
        "  bpcalc key hw.toml --markdown > key.md\n\n"
        "  bpcalc key hw.toml --json | jq '.problems[0].answers'\n\n"
        "  bpcalc key hw.toml --toml > key.toml   # an answer file that scores full marks\n\n"
        "  bpcalc key hw.toml --student S1234   # the key of one student's variant\n\n"
        "Exit codes: 0 ok, 2 bad input, 3 math undefined in a problem."
    ),
)
def key(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="Print the key as one JSON object (exact numbers)."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the key as Markdown."),
    toml: bool = typer.Option(False, "--toml", help="Print the key as an answer file (TOML, exact numbers)."),
    student: str | None = typer.Option(
        None, "--student", metavar="ID",
        help="The key of this student's variant (their SIS id, id, login, email or name; #N for variant N).",
        show_default=False,
    ),
    precision: int = typer.Option(
        6, "--precision", min=1, max=17, metavar="N", help="Significant digits in the table and Markdown."
    ),
    exact: bool = typer.Option(
        False, "--exact",
        help="Exact fractions (7/12) where every number and op is rational; JSON adds them as strings.",
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Print the answer key of an assignment: every asked value and gradient."""
    with exit_codes(debug):
        if json_out + markdown + toml > 1:
            raise InputError("give one of --json, --markdown and --toml")
        from ..assignment import load_assignment

        homework = load_assignment(assignment)
        if student is not None:
            if not student.strip():
                raise InputError("--student needs the student's id (or name)")
            if not homework.randomized:
                say("warning: no problem of the assignment draws its numbers: every student has this key")
            homework = homework.for_student(student.strip())
        if exact:
            from ..exact import exact_key

            homework = exact_key(homework)
        if json_out:
            from ..render.check_json import dumps, key_dict

            out(dumps(key_dict(homework)) + "\n")
        elif markdown:
            from ..render.check_text import key_markdown

            out(key_markdown(homework, precision))
        elif toml:
            from ..render.check_text import key_toml

            variant = student.strip() if student is not None and homework.randomized else None
            out(key_toml(homework, variant))
        else:
            from ..render.check_table import key_report, print_renderable

            print_renderable(key_report(homework, precision))


def write_encoded(path: str, text: str, *, bom: bool) -> None:
    """An output as UTF-8, with a byte-order mark for Excel when asked; '-' is standard output."""
    if bom:
        text = "\ufeff" + text
    write(path, text)


def canvas_csv(homework: Any, graded: list[Any], roster: Any, column: str | None) -> tuple[str, int]:
    """--canvas: the roster with the assignment's column filled, or Canvas's import columns; and how many
    students are in two files. Who did not match is said on stderr."""
    from ..canvas import fill_gradebook, match, new_gradebook

    if roster is None:
        from ..canvas import same_student

        twice = same_student(graded)
        for files in twice:
            say(f"error: one student is in {len(files)} files ({', '.join(f.path for f in files)}): not in --canvas")
        return new_gradebook(graded, homework).decode("utf-8"), len(twice)
    paired = match(roster, graded)
    for g in paired.unmatched:
        say(f"warning: {g.path}: no student of the roster matches it ({g.student}): not in --canvas")
    for student, files in paired.twice:
        say(f"error: {student.name or student.id} is in {len(files)} files ({', '.join(f.path for f in files)}): "
            "their cell is left as exported")
    missing = [s.name or s.id for s in paired.missing]
    if missing:
        say(f"warning: {len(missing)} student{'s' if len(missing) != 1 else ''} of the roster without an answer file: "
            + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""))
    return fill_gradebook(roster, paired, homework, column=column, bom=False).decode("utf-8"), len(paired.twice)
