#!/usr/bin/env python3
"""Determinism of the whole default suite: run it with 1 thread, with 2 threads, and with 2 threads again,
and compare the JSON results byte for byte once the timing fields are removed (wall-clock seconds,
calibration and sensitivity seconds, kernel GOP/s and speedups, whether a cache was hit) and the kernel level
the run used. Every metric, count, size, SQNR, R^2 and mixed-precision choice must be identical.

With --max-isa LEVEL,LEVEL,... the runs are instead one per kernel ISA level (2 threads each, QB_MAX_ISA =
portable, avx2, avx512, vnni or native): one answer on every CPU path.

Run from the project folder after `swift build -c release` (about 3 x 6 minutes on 2 cores):
    python3 scripts/check_determinism.py [--suite Suites/default.json] [--max-isa avx2,native]
Writes Reports/determinism.md and .json (or Reports/determinism-isa.* with --max-isa); exits 1 when the runs
differ.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import write_report  # noqa: E402

TIMING = {"seconds", "calibration_seconds", "kernel_gops", "kernel_speedup", "model_speedup", "cached"}
# Which kernel path ran: differs between --max-isa runs by design, and is not a figure.
MACHINE = {"kernels"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in TIMING and k not in MACHINE and not k.lower().endswith("seconds")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def run(suite, threads, folder, cache, isa=None):
    start = time.time()
    command = [".build/release/quantbench", "run", suite, "--threads", str(threads), "--reports", folder, "--cache", cache]
    p = subprocess.run(command + (["--max-isa", isa] if isa else []), capture_output=True, text=True)
    if p.returncode not in (0, 2, 3, 4):
        raise SystemExit(f"run failed ({p.returncode}): {p.stderr[-2000:]}")
    name = json.load(open(suite))["name"]
    data = json.load(open(os.path.join(folder, f"{name}.json")))
    return json.dumps(strip(data), sort_keys=True, indent=1), time.time() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default="Suites/default.json")
    ap.add_argument("--out", default=None)
    ap.add_argument("--max-isa", default=None, help="comma-separated kernel ISA levels, one run each (2 threads)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="qb-determinism-")
    runs = []
    if args.max_isa:
        plan = [(f"QB_MAX_ISA={level}", 2, level) for level in args.max_isa.split(",")]
        args.out = args.out or "Reports/determinism-isa"
    else:
        plan = [("1 thread", 1, None), ("2 threads", 2, None), ("2 threads again", 2, None)]
        args.out = args.out or "Reports/determinism"
    for label, threads, isa in plan:
        # A fresh cache each time: a cached sensitivity must give the same bytes as a computed one, but here
        # every run computes everything.
        slug = label.replace(" ", "-").replace("=", "-")
        text, seconds = run(args.suite, threads, os.path.join(tmp, slug), os.path.join(tmp, "cache-" + slug), isa)
        runs.append((label, text, seconds))
        print(f"{label}: {seconds:.0f} s", flush=True)
    same = all(r[1] == runs[0][1] for r in runs)
    diffs = []
    if not same:
        a = runs[0][1].splitlines()
        for label, text, _ in runs[1:]:
            b = text.splitlines()
            diffs += [f"{label}: line {i + 1}: {x.strip()} != {y.strip()}" for i, (x, y) in enumerate(zip(a, b)) if x != y][:10]
    lines = ["# Determinism of the default suite", "", f"{time.strftime('%Y-%m-%d %H:%M')}; `{args.suite}` run {len(plan)} times; the JSON results "
             "compared byte for byte without the timing fields (" + ", ".join(sorted(TIMING)) + ", *Seconds) and the kernel level.", "",
             "| run | seconds | bytes compared | identical to the first |", "| --- | --- | --- | --- |"]
    for label, text, seconds in runs:
        lines.append(f"| {label} | {seconds:.0f} | {len(text)} | {'yes' if text == runs[0][1] else 'NO'} |")
    lines += ["", "Result: " + ("identical." if same else "DIFFERENT:")] + [f"- {d}" for d in diffs]
    write_report(args.out, "\n".join(lines) + "\n", {"identical": same, "runs": [{"label": l, "seconds": s, "bytes": len(t)} for l, t, s in runs],
                                                    "diffs": diffs})
    shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(lines))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
