"""Write benchmarks/RESULTS.md from benchmarks/results.json: tables, headline ratios, targets
(each section module's own: `targets(result)`, gathered by `section_targets`).

    python -m benchmarks.report [--results benchmarks/results.json] [--out benchmarks/RESULTS.md]
        [--also another_run.json]

Everything is generated from the JSON except the text between the markers
`<!-- notes -->` and `<!-- /notes -->` in the existing file (what limits a missed
target, what was tried), which is carried over as it is.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks import SECTIONS
from benchmarks._common import REPO_ROOT, Target, fmt
from benchmarks.bench_mnist import roofline_text

RESULTS = REPO_ROOT / "benchmarks" / "results.json"
OUT = REPO_ROOT / "benchmarks" / "RESULTS.md"
NOTES_START, NOTES_END = "<!-- notes -->", "<!-- /notes -->"
CONTESTANTS = ("fcnet-numpy", "fcnet-torch", "fcnet-tensorflow", "pytorch", "keras", "sklearn")


_f = fmt


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("**met**" if flag else "**missed**")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def section_targets(r: dict[str, Any]) -> list[Target]:
    """Every section's targets, in the sections' order: each section module owns its own
    (`targets(result) -> list[Target]`); a section without targets adds none."""
    out: list[Target] = []
    for key, name in SECTIONS.items():
        fn = getattr(importlib.import_module(name), "targets", None)
        if fn is not None:
            section = r.get(key)
            out += fn(section if isinstance(section, dict) else {})
    return out


def _target_tables(r: dict[str, Any]) -> list[str]:
    """One "## Targets (issue N)" table per issue, in the order the issues first appear."""
    by_issue: dict[int, list[Target]] = {}
    for t in section_targets(r):
        by_issue.setdefault(t.issue, []).append(t)
    lines: list[str] = []
    for issue, ts in by_issue.items():
        lines += [f"## Targets (issue {issue})", ""]
        lines += _table(["target", "measured", ""], [[t.text, t.measured, _ok(t.met)] for t in ts])
        lines += [""]
    return lines


def _mnist_rows(m: dict[str, Any]) -> list[list[str]]:
    rows = []
    for c in [c for c in CONTESTANTS if c in m] or CONTESTANTS:
        e = m.get(c, {})
        if "error" in e or not e:
            rows.append([c, f"error: {e.get('error', 'not run')}", *["-"] * 7])
            continue
        rows.append(
            [
                f"`{c}`",
                _f(e.get("s_per_epoch"), ".3f"),
                _f(e.get("s_to_target"), ".1f", "never"),
                _f(e.get("test_accuracy"), ".4f"),
                _f(e.get("gflops"), ".1f"),
                _f(e.get("fraction_of_peak"), ".0%"),
                _f(e.get("gemm_share"), ".0%"),
                _f(e.get("peak_rss_mb"), ".0f"),
                str(e.get("dtype", "-")),
            ]
        )
    return rows


def _busy_lines(busy: dict[str, Any]) -> list[str]:
    if "fcnet-numpy" not in busy:
        return [_missing(busy)]
    st = busy.get("settings", {})
    rows = []
    for c in ("fcnet-numpy", "pytorch"):
        e = busy.get(c, {})
        rows.append(
            [
                f"`{c}`",
                _f(e.get("quiet_s_per_epoch"), ".3f"),
                _f(e.get("busy_s_per_epoch"), ".3f"),
                _f(e.get("slowdown"), ".2f"),
                f"{_loads(e.get('quiet_load_average'))} / {_loads(e.get('busy_load_average'))}",
            ]
        )
    return [
        f"{st.get('network')}, {st.get('epochs')} epochs on {st.get('n_train')} samples, "
        f"each run in its own process; busy: {st.get('neighbour')}. s/epoch is the median "
        "over epochs 2.. .",
        "",
        *_table(
            ["contestant", "quiet s/epoch", "busy s/epoch", "slowdown", "load (quiet / busy)"],
            rows,
        ),
    ]


def _gpu_lines(gpu: dict[str, Any]) -> list[str]:
    if "skipped" in gpu or "error" in gpu:
        return [_missing(gpu) if "error" in gpu else gpu["skipped"]]
    rows = []
    for section in ("mnist_mlp", "mnist_mlp_big"):
        r = gpu.get(section, {})
        for c in ("fcnet-torch", "pytorch"):
            e = r.get(c, {})
            rows.append(
                [
                    section,
                    f"`{c}`",
                    _f(e.get("s_per_epoch"), ".3f"),
                    _f(e.get("s_to_target"), ".1f", "never"),
                    _f(r.get("best_cpu_s_per_epoch"), ".3f"),
                    _f(r.get("gpu_vs_best_cpu"), ".1f"),
                ]
            )
    return [
        f"{gpu.get('device_name')}; the whole training set on the GPU.",
        "",
        *_table(
            ["section", "contestant", "s/epoch", "s to 97.5%", "best CPU s/epoch", "speed-up"],
            rows,
        ),
    ]


def _mnist_lines(m: dict[str, Any], heading: str) -> list[str]:
    """The MNIST section: settings, the contestants' table, the ratio."""
    lines: list[str] = []
    st = m.get("settings", {})
    lines += [
        heading,
        "",
        f"{st.get('network')}, batch {st.get('batch')}, {st.get('optimizer')}, float32, "
        f"shuffled, {st.get('epochs')} epochs on {st.get('n_train')} samples, test accuracy "
        f"on {st.get('n_test')} after every epoch (not timed). {st.get('repetitions')} "
        f"repetition(s) of the whole training per contestant, each in its own process, "
        f"order alternating; s/epoch is the median over epochs 2 to {st.get('epochs')} of "
        f"all repetitions. {st.get('repetitions_note') or ''}",
        "",
    ]
    lines += _table(
        [
            "contestant",
            "s/epoch",
            "s to 97.5%",
            "test acc",
            "GFLOP/s",
            "of peak",
            "GEMM share",
            "peak RSS MB",
            "dtype",
        ],
        _mnist_rows(m),
    )
    lines += [
        "",
        "fcnet-numpy / pytorch seconds per epoch: "
        f"**{_f(m.get('ratio_numpy_vs_pytorch'), '.2f')}**. "
        f"GFLOP/s counts 3 GEMMs per layer per batch (forward, dW, dX; not the first "
        f"layer's dX); the peak is the GEMM section's best square product "
        f"({_f(st.get('peak_gflops'), '.0f')} GFLOP/s). GEMM share: the seconds the "
        f"epoch's products need at the best rate measured for each of their shapes "
        f"({_f(st.get('gemm_floor_s_per_epoch'), '.3f')} s) over the measured s/epoch. "
        f"Roofline floor: **{_f(m.get('roofline_floor_s'), '.3f')} s** per epoch "
        f"({roofline_text(m)}); fcnet-numpy / roofline floor: "
        f"**{_f(m.get('ratio_numpy_vs_roofline_floor'), '.2f')}**.",
    ]
    return lines


def _gemm_lines(gemm: dict[str, Any]) -> list[str]:
    """The GEMM section's table."""
    lines: list[str] = []
    libs = [
        k
        for k in ("numpy", "torch")
        if isinstance(gemm.get(k), dict) and "square_gflops" in gemm[k]
    ]
    if libs:
        n = gemm.get("square_n")
        rows = [[f"square {n}^3", *(_f(gemm[lib]["square_gflops"], ".1f") for lib in libs)]]
        for name in gemm[libs[0]].get("mlp_shapes_gflops", {}):
            rows.append(
                [name, *(_f(gemm[lib]["mlp_shapes_gflops"].get(name), ".1f") for lib in libs)]
            )
        rows.append(
            [
                "GEMM seconds of one MNIST epoch",
                *(_f(gemm[lib]["mlp_epoch_gemm_s"], ".3f") for lib in libs),
            ]
        )
        lines += _table(["product", *libs], rows)
    else:
        lines.append(_missing(gemm))

    return lines


def render(r: dict[str, Any], notes: str, also: list[dict[str, Any]] = ()) -> str:
    """RESULTS.md's text for results `r`, with `notes` carried over between the markers.

    `also`: results of further runs (e.g. `--threads 1 --only gemm,mnist`) whose MNIST
    and GEMM tables follow the main ones.
    """
    gemm = r.get("gemm", {})
    env = gemm.get("environment", {})
    v = env.get("versions", {})
    blas = ", ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('library')})"
        for b in env.get("blas", [])
        if b.get("user_api") == "blas"
    )
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks.report` from `benchmarks/results.json` (`make bench`);",
        "rerun both to refresh. The machine is shared with other work and noisy: ratios from",
        "one run matter more than absolute seconds.",
        "",
        f"- Machine: {env.get('cpu_model', '?')}, {env.get('cpu_count', '?')} cores; "
        f"{env.get('threads', '?')} threads for every framework",
        f"- Date: {env.get('date', '?')}; load average (1, 5, 15 min) at the start "
        f"{_loads(env.get('load_average_at_start'))}, at the end {_loads(env.get('load_average'))}",
        f"- numpy {v.get('numpy')}, torch {v.get('torch')}, tensorflow {v.get('tensorflow')} "
        f"(keras {v.get('keras')}), scikit-learn {v.get('scikit-learn')}, fcnet {v.get('fcnet')}",
        f"- BLAS: {blas or '?'}",
        f"- OpenMP: {env.get('omp_wait_policy', '?')}",
        "",
    ]
    lines += _target_tables(r)
    lines += [NOTES_START, notes.strip("\n"), NOTES_END, ""]

    lines += _mnist_lines(r.get("mnist_mlp", {}), "## MNIST MLP")
    lines += [""]
    lines += _mnist_lines(r.get("mnist_mlp_big", {}), "## MNIST MLP, big (`mnist_mlp_big`)")
    lines += ["", "## A busy neighbour (`busy`)", ""]
    lines += _busy_lines(r.get("busy", {}))
    lines += ["", "## GPU (`gpu`)", ""]
    lines += _gpu_lines(r.get("gpu", {}))
    lines += ["", "## GEMM peak (float32, GFLOP/s, median)", ""]
    lines += _gemm_lines(gemm)
    for other in also:
        env2 = other.get("gemm", {}).get("environment", {})
        m2 = other.get("mnist_mlp", {})
        lines += [""]
        lines += _mnist_lines(
            m2,
            f"## Second run: MNIST MLP with {env2.get('threads', '?')} thread(s) "
            f"({env2.get('date', '?')}, load at the start "
            f"{_loads(env2.get('load_average_at_start'))})",
        )
        lines += ["", "Its GEMM section:", ""]
        lines += _gemm_lines(other.get("gemm", {}))
    fit = r.get("fit", {})
    fst = fit.get("settings", {})
    lines += [
        "",
        "## Function fitting",
        "",
        f"{fst.get('function')}, {fst.get('n_train')} training points, "
        f"{fst.get('network')}, {fst.get('optimizer')}, batch {fst.get('batch')}, "
        f"{fst.get('steps')} steps for everyone; test MSE on {fst.get('n_test')} grid points; "
        f"medians of {fst.get('repetitions')} repetitions (seeds differ).",
        "",
    ]
    rows = []
    for c in ("fcnet-numpy", "pytorch", "sklearn"):
        e = fit.get(c, {})
        rows.append(
            [f"`{c}`", _f(e.get("test_mse"), ".3g"), _f(e.get("seconds"), ".2f")]
            if "error" not in e
            else [f"`{c}`", f"error: {e['error']}", "-"]
        )
    lines += _table(["contestant", "test MSE", "seconds"], rows)

    idx = r.get("idx_read", {})
    lines += ["", "## IDX reading", ""]
    if "raw" in idx:
        raw, gz = idx["raw"], idx["gz"]
        lines += _table(
            ["case", "read_idx s", "other s", "ratio", "read_idx peak MiB", "other peak MiB"],
            [
                [
                    "raw vs course struct loader",
                    _f(raw.get("read_idx_s"), ".4f"),
                    _f(raw.get("course_struct_s"), ".3f"),
                    f"{_f(raw.get('speedup'), '.0f')}x faster",
                    _f(raw.get("read_idx_peak_mib"), ".0f"),
                    _f(raw.get("course_struct_peak_mib"), ".0f"),
                ],
                [
                    "gz vs `gzip -dc > /dev/null`",
                    _f(gz.get("read_idx_s"), ".4f"),
                    _f(gz.get("gzip_dc_s"), ".4f"),
                    f"{_f(gz.get('vs_gzip_dc'), '.2f')}x the time",
                    _f(gz.get("read_idx_peak_mib"), ".0f"),
                    "-",
                ],
            ],
        )
    else:
        lines.append(_missing(idx))

    auc = r.get("auc", {})
    lines += ["", "## ROC AUC", ""]
    if "cases" in auc:
        lines += _table(
            ["case", "distinct scores", "fcnet s", "sklearn s", "speedup", "abs diff"],
            [
                [
                    name,
                    f"{c.get('distinct_scores'):,}",
                    _f(c.get("fcnet_s"), ".4f"),
                    _f(c.get("sklearn_s"), ".4f"),
                    f"{_f(c.get('speedup'), '.1f')}x",
                    _f(c.get("max_abs_diff"), ".1e"),
                ]
                for name, c in auc["cases"].items()
            ],
        )
        lines += ["", f"{auc.get('n'):,} scores; medians of {auc.get('repeats')}."]
    else:
        lines.append(_missing(auc))

    lines += ["", "## scikit-learn estimators (`sklearn_api`, issue 17)", ""]
    lines += _sklearn_lines(r.get("sklearn_api", {}))

    ag = r.get("agreement", {})
    lines += ["", "## Backend agreement (float64, per-step loss, relative to numpy)", ""]
    rows = []
    for name, c in ag.get("cases", {}).items():
        if "error" in c:
            rows.append([name, f"error: {c['error']}", "-", "-"])
            continue
        rows.append(
            [
                name,
                _f(c["torch"]["max_loss_rel_diff"], ".1e"),
                _f(c["tensorflow"]["max_loss_rel_diff"], ".1e"),
                " / ".join(
                    _f(c[b]["s_per_step"] * 1e3, ".2f") for b in ("numpy", "torch", "tensorflow")
                ),
            ]
        )
    if rows:
        lines += _table(["case", "torch", "tensorflow", "ms/step numpy / torch / tf"], rows)
        lines += ["", f"{ag.get('settings', {}).get('steps')} steps per case."]
    else:
        lines.append(_missing(ag))
    return "\n".join(lines) + "\n"


def _sklearn_lines(sk: dict[str, Any]) -> list[str]:
    """FCNetClassifier against MLPClassifier: one row per data set and estimator."""
    sets = {k: v for k, v in sk.items() if isinstance(v, dict) and "fcnet" in v}
    if not sets:
        return [_missing(sk)]
    rows = []
    for name, d in sets.items():
        for key, label in (("fcnet", "FCNetClassifier"), ("sklearn", "MLPClassifier")):
            e = d.get(key, {})
            rows.append(
                [
                    f"{name} ({d.get('n_samples')} x {d.get('n_features')}, {d.get('hidden')}, "
                    f"{d.get('epochs')}, {d.get('batch_size')})"
                    if key == "fcnet"
                    else "",
                    label,
                    _f(e.get("accuracy"), ".4f"),
                    _f(e.get("roc_auc"), ".4f"),
                    _f(e.get("wall_s"), ".1f"),
                    _f(e.get("cpu_s"), ".1f"),
                    _f(d.get("time_ratio"), ".2f") if key == "fcnet" else "",
                ]
            )
    mnist = sets.get("mnist", {})
    return [
        f"{sk.get('folds')}-fold cross-validation, {sk.get('threads')} BLAS thread(s), "
        f"scikit-learn {sk.get('sklearn_version')}; one ReLU layer, Adam, the same epochs and "
        "batch for both; accuracy and ROC AUC are fold means, times for the whole "
        "cross-validation.",
        "",
        *_table(
            [
                "data set (n x d, hidden, epochs, batch)",
                "estimator",
                "accuracy",
                "ROC AUC",
                "wall s",
                "CPU s",
                "time ratio",
            ],
            rows,
        ),
        "",
        f"Target: on MNIST at least as accurate and at most {sk.get('target_time_ratio')}x "
        f"the time: accuracy {_f(mnist.get('accuracy_diff'), '+.4f')}, time "
        f"{_f(mnist.get('time_ratio'), '.2f')}x, {_ok(sk.get('target_met'))}.",
    ]


def _missing(section: dict[str, Any]) -> str:
    if "error" in section:
        return f"error: {section['error']}"
    return f"not run in this run ({section.get('skipped', 'no figures')})"


def _loads(v: Any) -> str:
    return ", ".join(f"{x:.1f}" for x in v) if isinstance(v, list) else "?"


def _notes(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    if NOTES_START in text and NOTES_END in text:
        return text.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0]
    return ""


def main(argv: list[str] | None = None) -> int:
    """Render RESULTS.md from results.json."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.report", description=__doc__.splitlines()[0]
    )
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another run's results.json whose MNIST and GEMM tables to add",
    )
    args = p.parse_args(argv)
    loaded = []
    for path in [args.results, *args.also]:
        try:
            loaded.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            p.error(f"{path}: expected the JSON `python -m benchmarks` writes ({exc})")
    r, also = loaded[0], loaded[1:]
    from fcnet._fileio import atomic_write_text

    atomic_write_text(args.out, render(r, _notes(args.out), also))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
