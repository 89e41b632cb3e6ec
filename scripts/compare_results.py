#!/usr/bin/env python3
"""Compares two suite results files (Reports/<suite>.json) without their timing fields.

Usage: python3 scripts/compare_results.py A.json B.json [--ignore METRIC ...]

Prints every (model, variant, field) that differs once the wall-clock and speed figures are removed (row `seconds`,
`kernel_speedup`, `kernel_gops`, `model_speedup`, `calibration_seconds`, QwT blocks' `seconds`, mixed precision's
`sensitivitySeconds` and `cached`), and exits 1 when anything differs, 0 when the two runs agree. Used to show that a
refactoring leaves every figure unchanged, and that runs at different ISA caps agree.
"""
import argparse
import json
import sys

TIMING_METRICS = {"kernel_speedup", "kernel_gops", "calibration_seconds", "model_speedup"}


def normalized(row, ignored):
    row = json.loads(json.dumps(row))
    row.pop("seconds", None)
    row["metrics"] = {k: v for k, v in row["metrics"].items() if k not in TIMING_METRICS | ignored}
    for block in row.get("blocks") or []:
        block.pop("seconds", None)
    if row.get("mixed"):
        row["mixed"].pop("sensitivitySeconds", None)
        row["mixed"].pop("cached", None)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--ignore", nargs="*", default=[], help="metrics to leave out as well")
    args = parser.parse_args()
    ignored = set(args.ignore)
    runs = []
    for path in (args.first, args.second):
        with open(path) as f:
            runs.append({(r["model"], r["variant"]): normalized(r, ignored) for r in json.load(f)["rows"]})
    first, second = runs
    differences = 0
    for key in sorted(set(first) | set(second)):
        if key not in first or key not in second:
            print(f"{key[0]} [{key[1]}]: only in {args.first if key in first else args.second}")
            differences += 1
            continue
        a, b = first[key], second[key]
        for metric in sorted(set(a["metrics"]) | set(b["metrics"])):
            if a["metrics"].get(metric) != b["metrics"].get(metric):
                print(f"{key[0]} [{key[1]}] {metric}: {a['metrics'].get(metric)} vs {b['metrics'].get(metric)}")
                differences += 1
        for field in sorted((set(a) | set(b)) - {"metrics"}):
            if a.get(field) != b.get(field):
                print(f"{key[0]} [{key[1]}] {field} differs")
                differences += 1
    print(f"{len(first)} and {len(second)} rows; {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
