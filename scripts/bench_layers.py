#!/usr/bin/env python3
"""Every quantized layer of the suite models beside onnxruntime's same operator, in one run, interleaved.

For each layer `quantbench bench layers` reports (real input from one calibration batch, whole layer:
input quantization, patches, integer kernel, requantization, dequantization), this builds the same
operator in onnxruntime with the layer's geometry (weight shape, strides, pads, dilations, group) and input
shape, and times, with the same thread count:
  - FP32: Conv + bias + Relu (fused by onnxruntime), or MatMul + bias;
  - int8 as deployed by onnxruntime's static quantization (QDQ, float in and out): QuantizeLinear ->
    QLinearConv / QLinearMatMul (u8 activations, s8 per-channel weights) -> DequantizeLinear; the same work
    as our layer;
  - the bare QLinearConv / QLinearMatMul on u8 input (u8 out), for reference.
Medians over rounds; quote the ratios (the machine is shared).

Run from the project folder after `swift build -c release`:
    pip install numpy onnx onnxruntime
    python3 scripts/bench_layers.py [--rounds 3] [--threads 1,2]
Writes Reports/bench-layers.md and .json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import isa_note, ort_seconds, write_report  # noqa: E402

BIN = ".build/release/quantbench"
MODELS = ["Models/fmnist-resnet", "Models/fmnist-mobilenet", "Models/finefoods-transformer", "Models/austen-lm"]


def quantbench(model, threads, reps):
    out = subprocess.run([BIN, "bench", "layers", model, "--threads", str(threads), "--reps", str(reps)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["layer"] for line in out.strip().splitlines()]


def init(name, array):
    return numpy_helper.from_array(array, name)


def ort_model(layer, kind):
    """The layer as an onnxruntime graph: kind fp32, qdq (float in/out) or bare (u8 in/out)."""
    rng = np.random.default_rng(0)
    w_shape, x_shape, y_shape = layer["weight"], layer["input"], layer["output"]
    conv = layer["op"] == "Conv"
    rows = w_shape[0] if conv else (w_shape[0] if layer["op"] == "Gemm" else w_shape[1])
    inits, nodes = [], []
    attrs = {}
    if conv:
        attrs = {"group": layer["group"]}
        for key in ("strides", "pads", "dilations"):
            if layer[key]:
                attrs[key] = layer[key]
    # Weights as MatMul wants them: [depth, rows].
    mm_shape = w_shape if not conv and layer["op"] == "MatMul" else list(reversed(w_shape)) if not conv else w_shape
    if kind == "fp32":
        inits += [init("W", rng.standard_normal(mm_shape).astype(np.float32)), init("B", rng.standard_normal(rows).astype(np.float32))]
        if conv:
            nodes += [helper.make_node("Conv", ["X", "W", "B"], ["C"], **attrs), helper.make_node("Relu", ["C"], ["Y"])]
        else:
            nodes += [helper.make_node("MatMul", ["X", "W"], ["M"]), helper.make_node("Add", ["M", "B"], ["Y"])]
        xt, yt = TensorProto.FLOAT, TensorProto.FLOAT
    else:
        inits += [init("W", rng.integers(-127, 128, mm_shape).astype(np.int8)),
                  init("xs", np.array(0.02, np.float32)), init("xz", np.array(128, np.uint8)),
                  init("ys", np.array(0.05, np.float32)), init("yz", np.array(0, np.uint8))]
        if conv:
            inits += [init("ws", np.full(rows, 0.01, np.float32)), init("wz", np.zeros(rows, np.int8)),
                      init("B", rng.integers(-1000, 1000, rows).astype(np.int32))]
            q = helper.make_node("QLinearConv", ["Xq", "xs", "xz", "W", "ws", "wz", "ys", "yz", "B"], ["Yq"], **attrs)
        else:
            inits += [init("ws", np.array(0.01, np.float32)), init("wz", np.array(0, np.int8))]
            q = helper.make_node("QLinearMatMul", ["Xq", "xs", "xz", "W", "ws", "wz", "ys", "yz"], ["Yq"])
        if kind == "qdq":
            nodes += [helper.make_node("QuantizeLinear", ["X", "xs", "xz"], ["Xq"]), q, helper.make_node("DequantizeLinear", ["Yq", "ys", "yz"], ["Y"])]
            xt, yt = TensorProto.FLOAT, TensorProto.FLOAT
        else:
            q.input[0] = "X"
            q.output[0] = "Y"
            nodes.append(q)
            xt, yt = TensorProto.UINT8, TensorProto.UINT8
    g = helper.make_graph(nodes, "layer", [helper.make_tensor_value_info("X", xt, x_shape)],
                          [helper.make_tensor_value_info("Y", yt, y_shape)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), xt


def ort_layer_seconds(layer, kind, threads, reps):
    model, xt = ort_model(layer, kind)
    rng = np.random.default_rng(1)
    x = (rng.random(layer["input"], dtype=np.float32) * 4 - 1) if xt == TensorProto.FLOAT else rng.integers(0, 256, layer["input"]).astype(np.uint8)
    return ort_seconds(model.SerializeToString(), x, threads, reps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", default="Reports/bench-layers")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    models = args.models.split(",")
    data, info = {}, {}  # (model, threads, layer) -> {tool: [seconds]}; (model, layer) -> layer
    load = [os.getloadavg()[0]]
    for r in range(args.rounds):
        for t in threads:
            for m in models:
                name = os.path.basename(m)
                for layer in quantbench(m, t, args.reps):
                    if layer["fp32Seconds"] == 0:  # QwT compensation layers have no FP32 twin
                        continue
                    key = (name, t, layer["name"])
                    info[(name, layer["name"])] = layer
                    d = data.setdefault(key, {})
                    d.setdefault("qb-fp32", []).append(layer["fp32Seconds"])
                    d.setdefault("qb-int8", []).append(layer["quantizedSeconds"])
                    for kind in ("fp32", "qdq", "bare"):
                        d.setdefault("ort-" + kind, []).append(ort_layer_seconds(layer, kind, t, args.reps))
        print(f"round {r} done", flush=True)
    load.append(os.getloadavg()[0])
    med = statistics.median
    lines = ["# Quantized layers: QuantBench vs onnxruntime, layer by layer", "", isa_note(), "",
             f"Interleaved in one run, medians of {args.rounds} rounds of {args.reps} repetitions, {time.strftime('%Y-%m-%d %H:%M')}; "
             f"onnxruntime {ort.__version__}; load average {load[0]:.2f} -> {load[1]:.2f}. Each layer on its real input shape (one calibration "
             "batch: 64 images, one review, 16 windows of 128 tokens). Our int8 layer = input quantization + integer kernel + requantization "
             "+ dequantization; its peer is onnxruntime's QDQ form of the same operator (QuantizeLinear -> QLinearConv/QLinearMatMul -> "
             "DequantizeLinear, u8 x s8 per-channel), the same work; the bare QLinear operator (u8 in, u8 out) is shown for reference. "
             "FP32 peer: Conv + bias + Relu (fused) or MatMul + bias. Ratios > 1 mean QuantBench is faster.", ""]
    summary = {}
    for t in threads:
        for m in models:
            name = os.path.basename(m)
            keys = [k for k in data if k[0] == name and k[1] == t]
            if not keys:
                continue
            lines += [f"## {name}, {t} thread{'s' if t > 1 else ''}", "",
                      "| layer | op | input | weight | our fp32 ms | ORT fp32 ms | ORT/our fp32 | our int8 ms | ORT QDQ ms | ORT bare QLinear ms | ORT QDQ/our int8 | our fp32/our int8 |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            tot = {}
            for k in keys:
                g = {tool: med(v) for tool, v in data[k].items()}
                for tool, v in g.items():
                    tot[tool] = tot.get(tool, 0) + v
                L = info[(name, k[2])]
                lines.append(f"| {k[2]} | {L['op']} | {'x'.join(map(str, L['input']))} | {'x'.join(map(str, L['weight']))} | "
                             f"{g['qb-fp32'] * 1e3:.3f} | {g['ort-fp32'] * 1e3:.3f} | {g['ort-fp32'] / g['qb-fp32']:.2f}x | "
                             f"{g['qb-int8'] * 1e3:.3f} | {g['ort-qdq'] * 1e3:.3f} | {g['ort-bare'] * 1e3:.3f} | "
                             f"{g['ort-qdq'] / g['qb-int8']:.2f}x | {g['qb-fp32'] / g['qb-int8']:.2f}x |")
            lines.append(f"| **all layers** | | | | {tot['qb-fp32'] * 1e3:.2f} | {tot['ort-fp32'] * 1e3:.2f} | {tot['ort-fp32'] / tot['qb-fp32']:.2f}x | "
                         f"{tot['qb-int8'] * 1e3:.2f} | {tot['ort-qdq'] * 1e3:.2f} | {tot['ort-bare'] * 1e3:.2f} | "
                         f"{tot['ort-qdq'] / tot['qb-int8']:.2f}x | {tot['qb-fp32'] / tot['qb-int8']:.2f}x |")
            lines.append("")
            summary[f"{name}|{t}"] = {k: v for k, v in tot.items()}
    text = "\n".join(lines) + "\n"
    write_report(args.out, text, {"summary": summary, "load": load})
    print(text)


if __name__ == "__main__":
    main()
