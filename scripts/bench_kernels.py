#!/usr/bin/env python3
"""The quantized variants' kernels beside their peers, in one run, interleaved: for each GEMM shape
(1024^3 and the suite CNNs' real layer shapes at batch 64), QuantBench's fp32, int8 (exact, with
requantization), FGQ ternary and power-of-two kernels against onnxruntime's fp32 MatMul, MatMulInteger
(u8 x s8 -> int32) and QLinearMatMul (u8 x s8 -> u8, requantization included), same thread count.
Medians over rounds; quote the ratios (the machine is shared).

Run from the project folder after `swift build -c release`:
    pip install numpy onnx onnxruntime
    python3 scripts/bench_kernels.py [--rounds 3] [--threads 1,2]
Writes Reports/bench-kernels.md and .json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import isa_note, ort_seconds, write_report  # noqa: E402

BIN = ".build/release/quantbench"
MODELS = ["Models/fmnist-resnet", "Models/fmnist-mobilenet"]


def quantbench(threads, shapes, models):
    cmd = [BIN, "bench", "kernels", "--threads", str(threads), "--shapes", shapes, "--reps", "5"]
    for m in models:
        cmd += ["--model", m]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.strip().splitlines()]


def ort_model(kind, rows, cols, depth):
    """Y[cols, rows] = X[cols, depth] x W[depth, rows]: W constant, as deployed."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    if kind == "fp32":
        inits.append(numpy_helper.from_array(rng.standard_normal((depth, rows)).astype(np.float32), "W"))
        nodes.append(helper.make_node("MatMul", ["X", "W"], ["Y"]))
        xt, yt = TensorProto.FLOAT, TensorProto.FLOAT
    else:
        inits.append(numpy_helper.from_array(rng.integers(-127, 128, (depth, rows)).astype(np.int8), "W"))
        if kind == "MatMulInteger":
            inits += [numpy_helper.from_array(np.array(128, np.uint8), "xz"), numpy_helper.from_array(np.array(0, np.int8), "wz")]
            nodes.append(helper.make_node("MatMulInteger", ["X", "W", "xz", "wz"], ["Y"]))
            yt = TensorProto.INT32
        else:
            inits += [numpy_helper.from_array(np.array(0.02, np.float32), "xs"), numpy_helper.from_array(np.array(128, np.uint8), "xz"),
                      numpy_helper.from_array(np.array(0.01, np.float32), "ws"), numpy_helper.from_array(np.array(0, np.int8), "wz"),
                      numpy_helper.from_array(np.array(0.5, np.float32), "ys"), numpy_helper.from_array(np.array(0, np.uint8), "yz")]
            nodes.append(helper.make_node("QLinearMatMul", ["X", "xs", "xz", "W", "ws", "wz", "ys", "yz"], ["Y"]))
            yt = TensorProto.UINT8
        xt = TensorProto.UINT8
    g = helper.make_graph(nodes, "k", [helper.make_tensor_value_info("X", xt, [cols, depth])],
                          [helper.make_tensor_value_info("Y", yt, [cols, rows])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def ort_gops(kind, rows, cols, depth, threads, reps=5):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((cols, depth)).astype(np.float32) if kind == "fp32" else rng.integers(0, 256, (cols, depth)).astype(np.uint8)
    return 2 * rows * cols * depth / ort_seconds(ort_model(kind, rows, cols, depth).SerializeToString(), x, threads, reps) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shapes", default="1024x1024x1024")
    ap.add_argument("--out", default="Reports/bench-kernels")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    peers = ["fp32", "MatMulInteger", "QLinearMatMul"]
    data = {}  # (threads, shape) -> {tool: [gops]}
    info = {}
    load = [os.getloadavg()[0]]
    for r in range(args.rounds):
        for t in threads:
            for row in quantbench(t, args.shapes, MODELS):
                key = (t, row["shape"])
                info[row["shape"]] = (row["rows"], row["cols"], row["depth"])
                data.setdefault(key, {}).setdefault("qb-" + row["kernel"], []).append(row["gops"])
            for shape, (m, n, k) in info.items():
                for p in peers:
                    data[(t, shape)].setdefault("ort-" + p, []).append(ort_gops(p, m, n, k, t))
        print(f"round {r} done", flush=True)
    load.append(os.getloadavg()[0])
    med = lambda v: statistics.median(v)
    lines = ["# Quantized kernels: QuantBench vs onnxruntime", "", isa_note(), "",
             f"Interleaved in one run, medians of {args.rounds} rounds, {time.strftime('%Y-%m-%d %H:%M')}; onnxruntime {ort.__version__}; "
             f"load average {load[0]:.2f} -> {load[1]:.2f}. GOP/s count 2 operations per multiply-accumulate of the dense layer "
             "(ternary and shift kernels do fewer multiplications; the figure is dense-equivalent). A grouped convolution is shown as one "
             "GEMM with the group's rows and all groups' columns.", "",
             "Shapes are ROWS (output channels) x COLS (output positions) x DEPTH (weights per row).", "",
             "| shape | threads | fp32 | int8 | ternary | shift | ORT fp32 MatMul | ORT MatMulInteger | ORT QLinearMatMul | int8 / ORT QLinearMatMul | int8 / our fp32 | ternary / int8 | shift / int8 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    summary = {}
    for (t, shape), v in sorted(data.items(), key=lambda kv: (kv[0][0], list(info).index(kv[0][1]))):
        g = {k: med(x) for k, x in v.items()}
        m, n, k = info[shape]
        ratios = (g["qb-int8"] / g["ort-QLinearMatMul"], g["qb-int8"] / g["qb-fp32"], g["qb-ternary"] / g["qb-int8"], g["qb-shift"] / g["qb-int8"])
        summary[f"{t}|{shape}"] = {"gops": g, "ratios": ratios}
        lines.append(f"| {shape} ({m}x{n}x{k}) | {t} | {g['qb-fp32']:.1f} | {g['qb-int8']:.1f} | {g['qb-ternary']:.1f} | {g['qb-shift']:.1f} | "
                     f"{g['ort-fp32']:.1f} | {g['ort-MatMulInteger']:.1f} | {g['ort-QLinearMatMul']:.1f} | "
                     + " | ".join(f"{x:.2f}x" for x in ratios) + " |")
    text = "\n".join(lines) + "\n"
    write_report(args.out, text, {"summary": summary, "load": load})
    print(text)


if __name__ == "__main__":
    main()
