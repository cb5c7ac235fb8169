"""bpcalc autograder and bpcalc variants: an assignment made into Gradescope's zip, or into per-student variants."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from ..errors import InputError
from .common import DEBUG_OPTION, command, exit_codes, out, say


class Visibility(str, Enum):
    visible = "visible"
    hidden = "hidden"
    after_due_date = "after_due_date"
    after_published = "after_published"


class PythonDeps(str, Enum):
    pinned = "pinned"
    latest = "latest"


class VariantFormat(str, Enum):
    jsonl = "jsonl"
    prairielearn = "prairielearn"
    moodle = "moodle"
    canvas_qti = "canvas-qti"


@command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc autograder hw.toml -o autograder.zip\n\n"
        "  bpcalc autograder hw.toml -o autograder.zip --visibility after_due_date\n\n"
        "Upload the zip as a Gradescope programming assignment's autograder.\n\n"
        "Exit codes: 0 written, 2 bad input (the assignment, an option), 3 math undefined in a problem."
    ),
)
def autograder(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    output: Path = typer.Option(..., "-o", "--output", metavar="ZIP", help="The zip to write.", show_default=False),
    visibility: Visibility = typer.Option(
        Visibility.visible, "--visibility", help="When students see their results (Gradescope's setting)."
    ),
    python_deps: PythonDeps = typer.Option(
        PythonDeps.pinned,
        "--python-deps",
        help="pinned: the dependencies' versions in use here; latest: bpcalc's version ranges.",
    ),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Write a Gradescope autograder zip: setup.sh, run_autograder, the assignment and bpcalc itself."""
    with exit_codes(debug):
        from ..autograder import build

        names = build(assignment, output, visibility=visibility.value, python_deps=python_deps.value)
        say(f"wrote {output}: {', '.join(names)}")


@command(
    epilog=(
        "Examples:\n\n"
        "  bpcalc variants hw.toml --students export.csv -o variants.jsonl\n\n"
        "  bpcalc variants hw.toml --n 50 --to prairielearn -o questions/\n\n"
        "  bpcalc variants hw.toml --n 50 --to moodle -o hw.xml\n\n"
        "  bpcalc variants hw.toml --n 50 --to canvas-qti -o hw-qti.zip\n\n"
        "  bpcalc variants hw.toml --students export.csv --markdown sheets/ --latex sheets-tex/\n\n"
        "Exit codes: 0 written, 2 bad input (the assignment, the roster, an output that exists), 3 math undefined."
    ),
)
def variants(
    assignment: Path = typer.Argument(..., metavar="ASSIGNMENT", help="The assignment (TOML).", show_default=False),
    students: Path | None = typer.Option(
        None,
        "--students",
        metavar="ROSTER",
        help="A variant per student of this CSV (Canvas's export works).",
        show_default=False,
    ),
    n: int | None = typer.Option(
        None, "--n", min=1, metavar="N", help="Instead: N numbered variants.", show_default=False
    ),
    to: VariantFormat = typer.Option(VariantFormat.jsonl, "--to", help="The format of -o."),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        metavar="PATH",
        help="A file (jsonl: '-' or none for standard output; moodle: .xml; canvas-qti: .zip); prairielearn: a folder.",
        show_default=False,
    ),
    markdown: Path | None = typer.Option(
        None, "--markdown", metavar="DIR", help="Also write a problem sheet per variant (Markdown).", show_default=False
    ),
    latex: Path | None = typer.Option(
        None, "--latex", metavar="DIR", help="Also write a problem sheet per variant (LaTeX).", show_default=False
    ),
    force: bool = typer.Option(False, "--force", help="Replace an output folder that exists."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Draw a variant of the assignment per student (or N of them): keys, platform exports, problem sheets."""
    with exit_codes(debug):
        if (students is None) == (n is None):
            raise InputError("give either --students ROSTER or --n N")
        from ..assignment import load_assignment
        from ..export import exporters, make_variants
        from ..files import write_file, write_folder

        homework = load_assignment(assignment)
        roster = None
        if students is not None:
            from ..canvas import read_roster

            roster = read_roster(students)
        made, warnings = make_variants(homework, students=roster.students if roster else None, n=n)
        for warning in warnings:
            say(f"warning: {warning}")
        inputs = [assignment] + ([students] if students is not None else [])
        formats = exporters()
        sheets = markdown is not None or latex is not None
        if output is None and to is not VariantFormat.jsonl and not sheets:
            raise InputError(
                f"--to {to.value} needs -o PATH", "e.g. -o questions/ for prairielearn, -o hw.xml for moodle"
            )
        if to is VariantFormat.prairielearn and (output is None or output == "-"):
            raise InputError("--to prairielearn writes a folder: give it with -o FOLDER")
        if output is not None or not sheets:  # JSON lines on standard output unless only sheets were asked for
            files = formats[to.value](homework, made)
            if to is VariantFormat.prairielearn:
                write_folder(str(output), files, force=force)
            else:
                (data,) = files.values()
                if output is None or output == "-":
                    out(data.decode("utf-8"))
                else:
                    write_file(output, data, inputs=inputs)
        for folder, name in ((markdown, "markdown"), (latex, "latex")):
            if folder is not None:
                write_folder(folder, formats[name](homework, made), force=force)
        say(f"{len(made)} variant{'s' if len(made) != 1 else ''} of {homework.title}")
