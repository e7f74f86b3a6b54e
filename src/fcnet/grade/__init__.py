"""`fcnet grade`: a whole class's submissions of one exercise, checked and scored.

- `submissions.py`: finding and reading the submissions (a folder, per-student folders,
  a zip) within bounds;
- `points.py`: points and visibility per check, and the `--points` TOML file;
- `gradebook.py`: a student's row (scores, status, mistakes), gradebook.csv/.json;
- `feedback.py`: feedback/<student>.md and gradescope/<student>/results.json;
- `mistakes.py`: how many students made each mistake (mistakes.csv, mistakes.png);
- `similarity.py`: pairs of submissions alike after the skeleton is removed;
- `run.py`: `grade(options)`, the run (resume, threads, progress, Ctrl-C, grade.json).
"""

from __future__ import annotations

from fcnet.grade.run import GradeOptions, Summary, grade

__all__ = ["GradeOptions", "Summary", "grade"]
