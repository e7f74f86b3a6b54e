"""Exercise `auc`: the area under the ROC curve, as scikit-learn's roc_auc_score gives it.

AUC = P(score of a random positive > score of a random negative), a tie counting 1/2:
AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N), ties taking average ranks.
"""

from __future__ import annotations

import time

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student, StudentError, time_scale
from fcnet.learn.exercises._util import scalar

_FORMULA = N_(
    "AUC = (sum of the positives' ranks - P(P+1)/2) / (P N), the fraction of "
    "(positive, negative) pairs ordered right"
)
_TIES = N_("a tied (positive, negative) pair counts 1/2: give tied scores their average rank")


def _sklearn_auc(y, s) -> float:
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError:  # scikit-learn is in fcnet's dev extras; fcnet's own agrees with it
        from fcnet.metrics import roc_auc

        return roc_auc(y, s)
    return float(roc_auc_score(y, s))


def _auc(student: Student, y, s, where: str) -> float:
    value = student.call("roc_auc", y.copy(), s.copy())
    value = scalar(value, f"roc_auc on {where}")
    return value


def _cases(ties: bool):
    rng = np.random.default_rng(7 if ties else 8)
    for n, p in ((10, 0.5), (101, 0.3), (2000, 0.05), (5000, 0.5)):
        y = (rng.random(n) < p).astype(int)
        y[:2] = [0, 1]  # both classes
        s = rng.standard_normal(n) + y
        if ties:
            s = np.round(s, 1)  # many tied scores, across the classes
        yield n, y, s


def check_by_hand(student: Student) -> str:
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    got = _auc(student, y, s, "y = [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]")
    if not abs(got - 0.75) <= 1e-12:
        raise CheckFailed(
            _(
                "roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = {got:.6g}, expected 0.75: 3 of the "
                "4 pairs are ordered right; {formula}"
            ).format(got=got, formula=_(_FORMULA)),
            tag="auc_pairs_wrong",
        )
    flipped = _auc(student, y, -s, "negated scores")
    if not abs(flipped - 0.25) <= 1e-12:
        raise CheckFailed(
            _(
                "with the scores negated roc_auc = {flipped:.6g}, expected 1 - 0.75 = 0.25: higher "
                "scores mean more positive"
            ).format(flipped=flipped),
            tag="auc_direction",
        )
    return _("0.75 on the 4-sample example, 0.25 with the scores negated")


def _compare(student: Student, ties: bool) -> str:
    for n, y, s in _cases(ties):
        where = (
            _("{n} samples ({positive} positive, tied scores)")
            if ties
            else _("{n} samples ({positive} positive)")
        ).format(n=n, positive=int(y.sum()))
        got = _auc(student, y, s, where)
        want = _sklearn_auc(y, s)
        if not abs(got - want) <= 1e-12:
            hint = _TIES if ties else _FORMULA
            raise CheckFailed(
                _(
                    "roc_auc = {got:.12g} on {where}, scikit-learn {want:.12g} (off by "
                    "{difference:.1e}): {hint}"
                ).format(got=got, where=where, want=want, difference=abs(got - want), hint=_(hint)),
                tag="auc_ties" if ties else "auc_differs",
            )
    return _("within 1e-12 of scikit-learn's roc_auc_score (4 cases, 10 to 5000 samples)")


def check_no_ties(student: Student) -> str:
    return _compare(student, ties=False)


def check_ties(student: Student) -> str:
    return _compare(student, ties=True)


def check_one_class(student: Student) -> str:
    for label in (0, 1):
        y = np.full(5, label)
        s = np.linspace(0, 1, 5)
        try:
            got = student.call("roc_auc", y, s)
        except StudentError as exc:
            if exc.is_a("ValueError"):
                continue
            raise CheckFailed(
                _(
                    "roc_auc raised {type} for labels all {label}: raise a ValueError saying both "
                    "classes are needed"
                ).format(type=exc.error, label=label),
                tag="auc_one_class_error",
            ) from None
        raise CheckFailed(
            _(
                "roc_auc returned {got!r} for labels all {label}: AUC needs both classes (P N = 0 "
                "pairs); raise ValueError"
            ).format(got=got, label=label),
            tag="auc_one_class_accepted",
        )
    return _("ValueError when only one class is present")


SLOWER = 10  # how many times scikit-learn's time the speed check allows, at least 1 s


def check_speed(student: Student) -> str:
    rng = np.random.default_rng(9)
    n = 10**6
    y = (rng.random(n) < 0.3).astype(int)
    s = rng.random(n) + 0.2 * y
    s = np.round(s, 4)  # ties too
    t0 = time.perf_counter()
    got = _auc(student, y, s, "10^6 scores")
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    want = _sklearn_auc(y, s)
    reference = time.perf_counter() - t0  # the same work, on this machine, at this load
    if not abs(got - want) <= 1e-12:
        raise CheckFailed(
            _("roc_auc = {got:.12g} on 10^6 scores, scikit-learn {want:.12g}: {ties}").format(
                got=got, want=want, ties=_(_TIES)
            ),
            tag="auc_ties",
        )
    # 1 s, or SLOWER times scikit-learn's time where the machine is busy (a loaded machine
    # slows both; a pairwise or Python-loop AUC stays far slower than either)
    bound = max(1.0, SLOWER * reference) * time_scale()
    if seconds > bound:
        raise CheckFailed(
            _(
                "{seconds:.2f} s for 10^6 scores, need under {bound:.2g} s: sort once (np.argsort, "
                "O(n log n)) rather than compare every pair or loop in Python"
            ).format(seconds=seconds, bound=bound),
            tag="auc_slow",
        )
    return _("{ms:.0f} ms for 10^6 scores").format(ms=seconds * 1000)


MISTAKES = {
    "auc_pairs_wrong": N_("the AUC of a 4-sample example is wrong"),
    "auc_direction": N_("higher scores are not taken as more positive"),
    "auc_differs": N_("the AUC differs from scikit-learn's"),
    "auc_ties": N_("tied scores are not counted 1/2"),
    "auc_one_class_error": N_("one class raises an error other than ValueError"),
    "auc_one_class_accepted": N_("one class is accepted (AUC needs both)"),
    "auc_slow": N_("10^6 scores take more than the bound"),
}

EXERCISE = Exercise(
    version="2",
    mistakes=MISTAKES,
    # roc_auc_score, and SciPy's Mann-Whitney U (AUC = U / (P N)) and tie-averaged ranks
    forbidden=("sklearn", "scipy", "torchmetrics"),
    name="auc",
    title="area under the ROC curve",
    section="binary classification (AUC)",
    functions=("roc_auc",),
    checks=(
        Check("by hand", check_by_hand, ("roc_auc",)),
        Check("against scikit-learn", check_no_ties, ("roc_auc",)),
        Check("ties", check_ties, ("roc_auc",)),
        Check("one class raises ValueError", check_one_class, ("roc_auc",)),
        Check("speed", check_speed, ("roc_auc",)),
    ),
)
