"""`fcnet grade NAME SUBMISSIONS --out DIR`: a class's submissions graded (`fcnet.grade`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fcnet import i18n
from fcnet.i18n import gettext as _


@click.command("grade")
@click.argument("name")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The grade folder: gradebook, feedback, Gradescope files, mistakes, similarity.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Submissions checked at once. [default: the number of cores]",
)
@click.option(
    "--points",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='TOML file: [checks."CHECK NAME"] points = 2, visibility = "hidden".',
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help=(
        "Fixes the checks' hidden inputs. "
        "[default: the previous run's, else drawn afresh; recorded in grade.json]"
    ),
)
@click.option(
    "--lang",
    "feedback_lang",
    type=click.Choice(i18n.LANGUAGES, case_sensitive=False),
    default=None,
    help="Language of the feedback, messages and mistakes chart. [default: fcnet's language]",
)
@click.option("--force", is_flag=True, help="Check every submission again, changed or not.")
@click.option(
    "--unsafe-no-sandbox",
    is_flag=True,
    help="Grade even where the sandbox's protections are missing (trusted files only).",
)
@click.option("--quick", is_flag=True, hidden=True, help="fit and mnist on small slices (tests).")
def grade(
    name: str,
    submissions: Path,
    out: Path,
    jobs: int | None,
    points: Path | None,
    seed: int | None,
    feedback_lang: str | None,
    force: bool,
    unsafe_no_sandbox: bool,
    quick: bool,
) -> None:
    """Grade exercise NAME for a whole class: SUBMISSIONS is a folder with one file
    (s01.py, s02.ipynb), one folder (s03/NAME.py) or one .zip per student, or a .zip of one.

    Writes DIR/gradebook.csv and .json, feedback/<student>.md, gradescope/<student>/results.json,
    mistakes.csv and .png, similarity.csv and grade.json. Running again checks only the
    submissions that changed; Ctrl-C keeps what is graded.
    """
    from fcnet.grade import GradeOptions
    from fcnet.grade import grade as run

    options = GradeOptions(
        name=name,
        submissions=submissions,
        out=out,
        jobs=jobs or 0,
        points=points,
        seed=seed,
        lang=feedback_lang,
        force=force,
        unsafe_no_sandbox=unsafe_no_sandbox,
        quick=quick,
    )
    summary = run(options)
    scores = [r.score for r in summary.rows]
    best = max((r.max_score for r in summary.rows), default=0.0)
    mean = sum(scores) / len(scores) if scores else 0.0
    if summary.interrupted:
        click.echo(
            _(
                "interrupted: {n} submissions graded are kept in {out}; run the same command "
                "again to grade the rest"
            ).format(n=len(summary.rows), out=out),
            err=True,
        )
        sys.exit(130)
    click.echo(
        _(
            "graded {students} students ({checked} checked, {reused} unchanged) "
            "in {seconds:.1f} s: "
            "mean {mean:.2f} of {best:g}; {pairs} similar pairs; wrote {out}"
        ).format(
            students=len(summary.rows),
            checked=summary.checked,
            reused=summary.reused,
            seconds=summary.seconds,
            mean=mean,
            best=best,
            pairs=len(summary.pairs),
            out=out,
        )
    )


COMMANDS = [grade]
