#!/usr/bin/env python3
"""Fuzzing and sanitizers for QuantBench's readers of untrusted files (not part of CI's default path).

Fuzzing: `qbfuzz` (Sources/qbfuzz, Sources/QBFuzz) runs each target (JPEG/PNG decoders through the C shim,
the ONNX loader + graph checker + optimizer, CSV, JSON Lines, suite, baseline and results files, .npy, IDX)
on seeded mutations of its seed corpus (the committed fixtures) for a time budget. A crash or hang ends the
qbfuzz process: this script keeps the input it was running (qbfuzz writes it to a file before each
execution) as Tests/Fixtures/fuzz/<target>/crash-<sha>.bin (or hang-), which the regression test
(Tests/QBHarnessTests/FuzzRegressionTests.swift) replays, and continues with the next seed.
With --asan the driver is built with AddressSanitizer (Swift and the C shim), so memory errors that do not
trap are findings too (leak detection off in the driver: Foundation keeps a buffer alive at exit). The mutator has no coverage feedback (libFuzzer's driver does not link with
SwiftPM's executable main on Linux); it is the seeded mutation harness the issue allows.

Sanitizers: --sanitize runs `swift test` under AddressSanitizer and UndefinedBehaviorSanitizer (separate
scratch folders) and records the outcome and the first report.

    python3 scripts/fuzz.py [--seconds 60] [--targets image,onnx,...] [--asan] [--sanitize] [--seed 1]
Writes Reports/fuzz-summary.md and .json.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import write_report  # noqa: E402


def build(asan):
    cmd = ["swift", "build", "-c", "release", "--product", "qbfuzz"]
    if asan:
        cmd += ["--scratch-path", ".build-asan-fuzz", "-Xswiftc", "-sanitize=address", "-Xcc", "-fsanitize=address"]
    subprocess.run(cmd, check=True)
    return (".build-asan-fuzz" if asan else ".build") + "/release/qbfuzz"


def fuzz_target(binary, target, seconds, seed):
    """Runs one target for `seconds`, restarting after each crash; returns its summary and findings."""
    findings, runs = [], []
    deadline = time.time() + seconds
    current = os.path.join(tempfile.mkdtemp(prefix="qbfuzz-"), "current.bin")
    while True:
        left = deadline - time.time()
        if left < 1:
            break
        cmd = [binary, "run", target, "--seconds", f"{left:.1f}", "--seed", str(seed), "--current", current]
        # Leak detection off in the driver: Foundation's Data(contentsOf:) keeps a buffer alive at exit, which
        # LeakSanitizer would report as a finding of every run (memory errors are still fatal).
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=left + 60, env=env)
            code, out, err, hang = p.returncode, p.stdout, p.stderr, False
        except subprocess.TimeoutExpired as e:
            code, out, err, hang = None, e.stdout or "", e.stderr or "", True
            if isinstance(out, bytes):
                out, err = out.decode(errors="replace"), (err or b"").decode(errors="replace")
        if code == 0:
            runs.append(json.loads(out.strip().splitlines()[-1]))
            break
        # A finding: keep the input that was running.
        data = open(current, "rb").read() if os.path.exists(current) else b""
        kind = "hang" if hang else "crash"
        folder = os.path.join("Tests", "Fixtures", "fuzz", target)
        os.makedirs(folder, exist_ok=True)
        name = f"{kind}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        lines = [l for l in err.splitlines() if "crashed" in l or "Fatal error" in l or "ERROR: AddressSanitizer" in l or " at /" in l]
        findings.append({"file": os.path.join(folder, name), "kind": kind, "exit": code, "where": lines[:4]})
        print(f"  {target}: {kind} -> {folder}/{name}", flush=True)
        seed += 1
    shutil.rmtree(os.path.dirname(current), ignore_errors=True)
    executions = sum(r["executions"] for r in runs)
    return {"target": target, "executions": executions, "seconds": round(seconds, 1), "crashes": len(findings),
            "seeds": runs[0]["seeds"] if runs else None, "rejected": sum(r["rejected"] for r in runs),
            "errorKinds": runs[-1]["errorKinds"] if runs else {}, "findings": findings}


def sanitize(kind):
    """`swift test` under AddressSanitizer (Swift and C, with LeakSanitizer; the runtime's own allocations
    suppressed by scripts/lsan.supp) or UndefinedBehaviorSanitizer (the C targets: Swift on Linux has no
    -sanitize=undefined; Swift's own checks trap on overflow and bounds anyway)."""
    start = time.time()
    if kind == "address":
        cmd = ["swift", "test", "--sanitize=address", "--scratch-path", ".build-asan"]
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", LSAN_OPTIONS=f"suppressions={os.path.abspath('scripts/lsan.supp')}:print_suppressions=0")
    else:
        cmd = ["swift", "test", "--scratch-path", ".build-ubsan", "-Xcc", "-fsanitize=undefined", "-Xswiftc", "-Xclang-linker",
               "-Xswiftc", "-fsanitize=undefined"]
        env = dict(os.environ, UBSAN_OPTIONS="print_stacktrace=1")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    text = p.stdout + p.stderr
    lines = text.splitlines()
    reports = [l for l in lines if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l or "runtime error:" in l]
    # The first frames in QuantBench's own sources, to say where a report points.
    ours = [l.strip() for l in lines if "/work/" in l and ("Sources/" in l) and " in " in l][:5]
    return {"sanitizer": kind, "exit": p.returncode, "seconds": round(time.time() - start, 1), "reports": len(reports), "first": reports[:3] + ours,
            "tests": next((l.strip() for l in reversed(lines) if "Test run with" in l), "no summary line: " + " / ".join(lines[-3:])[:300])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60, help="per target")
    ap.add_argument("--targets", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--asan", action="store_true", help="build the fuzz driver with AddressSanitizer")
    ap.add_argument("--sanitize", action="store_true", help="also run swift test under ASan and UBSan")
    ap.add_argument("--no-fuzz", action="store_true", help="only the sanitizers")
    ap.add_argument("--out", default="Reports/fuzz-summary")
    args = ap.parse_args()
    binary = None if args.no_fuzz else build(args.asan)
    targets = [] if args.no_fuzz else (args.targets.split(",") if args.targets else
                                        subprocess.run([binary, "list"], check=True, capture_output=True, text=True).stdout.split())
    started = time.strftime("%Y-%m-%d %H:%M")
    results = []
    for t in targets:
        print(f"fuzzing {t} for {args.seconds:.0f} s", flush=True)
        results.append(fuzz_target(binary, t, args.seconds, args.seed))
    sanitizers = [sanitize("address"), sanitize("undefined")] if args.sanitize else []
    lines = ["# Fuzzing and sanitizers", "",
             f"{started}; driver `qbfuzz` ({'AddressSanitizer build' if args.asan else 'release build'}), seeded mutations (no coverage feedback) of "
             f"the committed fixtures, {args.seconds:.0f} s per target, seed {args.seed}. A crash or hang is kept as "
             "`Tests/Fixtures/fuzz/<target>/` and replayed by the regression test.", "",
             "| target | seeds | executions | rejected with an error | crashes/hangs | seconds |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r['target']} | {r['seeds']} | {r['executions']} | {r['rejected']} | {r['crashes']} | {r['seconds']} |")
    for r in results:
        for f in r["findings"]:
            lines.append(f"- {r['target']}: {f['kind']} `{f['file']}` {'; '.join(f['where'])}")
    if sanitizers:
        lines += ["", "| sanitizer | exit | reports | tests | seconds |", "| --- | --- | --- | --- | --- |"]
        for s in sanitizers:
            lines.append(f"| {s['sanitizer']} | {s['exit']} | {s['reports']} | {s['tests']} | {s['seconds']} |")
            for first in s["first"]:
                lines.append(f"- {first}")
    text = "\n".join(lines) + "\n"
    write_report(args.out, text, {"targets": results, "sanitizers": sanitizers, "seconds_per_target": args.seconds, "asan": args.asan})
    print(text)


if __name__ == "__main__":
    main()
