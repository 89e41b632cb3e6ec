#!/usr/bin/env python3
"""Operator fixtures run by onnxruntime, for operators the ONNX node tests of this machine do not cover.

Writes Tests/Fixtures/onnx-ort/<model>.onnx, <model>.x.npy (the input), <model>.<output>.npy per graph output, and
manifest.json (each output marked exact or not). Seeded (numpy default_rng); onnxruntime with every graph
optimization off, one thread.

- qdq4: 4-bit QuantizeLinear / DequantizeLinear (opset 21). Weight codes in raw_data, zero points in int32_data
  (both packings of the spec).
  - w: int4 weights [32, 8] dequantized blocked along axis 0 (block 16) with int4 zero points;
  - v: uint4 codes [5, 3] (15 codes: the last byte half used) per axis 0 with uint4 zero points;
  - xd: X through QuantizeLinear to uint4 (scale 0.05, zero point 8) and back, per tensor (saturates);
  - xs: X through QuantizeLinear to int4 per axis 1 ([32] scales, int4 zero points) and back;
  - y: MatMul(X, w), a float result.
- window3d: 3-D windows on X [2, 4, 5, 6, 7] (opset 17).
  - c: Conv 3-D, 4 -> 6 channels in 2 groups, kernel 3x2x3, strides 2x1x2, dilations 1x2x1, pads, bias;
  - p, i: MaxPool 3-D (kernel 2x3x2, strides 2x2x1, pads 0 1 1 / 1 0 0) with its Indices;
  - i2: the Indices of a 2-D MaxPool (X reshaped to [2, 4, 30, 7]) with storage_order 1 (column-major numbering);
  - a: AveragePool 3-D with count_include_pad and ceil_mode;
  - u: MaxUnpool of (p, i) back to X's shape (output_shape given).

    pip install onnx onnxruntime numpy
    python3 scripts/make_ort_op_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "onnx-ort"


def tensor(name, dtype, values):
    """Codes in int32_data (two 4-bit codes per entry, as onnx.helper packs them)."""
    values = np.asarray(values)
    return helper.make_tensor(name, dtype, values.shape, values.flatten().tolist())


def raw_tensor(name, dtype, codes):
    """4-bit codes in raw_data: two per byte, the first in the low nibble."""
    flat = [int(c) & 0xF for c in np.asarray(codes).flatten()] + [0]
    packed = bytes(flat[i] | (flat[i + 1] << 4) for i in range(0, len(flat) - 1, 2))
    return helper.make_tensor(name, dtype, np.asarray(codes).shape, packed, raw=True)


def qdq4():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.3, size=(3, 32)).astype(np.float32)
    w_codes = rng.integers(-8, 8, size=(32, 8))
    w_scale = rng.uniform(0.01, 0.1, size=(2, 8)).astype(np.float32)
    w_zero = rng.integers(-8, 8, size=(2, 8))
    v_codes = rng.integers(0, 16, size=(5, 3))
    v_scale = rng.uniform(0.1, 1.0, size=(5,)).astype(np.float32)
    v_zero = rng.integers(0, 16, size=(5,))
    s_scale = rng.uniform(0.02, 0.2, size=(32,)).astype(np.float32)
    s_zero = rng.integers(-3, 4, size=(32,))
    inits = [
        raw_tensor("w_codes", TensorProto.INT4, w_codes), tensor("w_scale", TensorProto.FLOAT, w_scale),
        tensor("w_zero", TensorProto.INT4, w_zero), raw_tensor("v_codes", TensorProto.UINT4, v_codes),
        tensor("v_scale", TensorProto.FLOAT, v_scale), tensor("v_zero", TensorProto.UINT4, v_zero),
        tensor("x_scale", TensorProto.FLOAT, np.float32(0.05)), tensor("x_zero", TensorProto.UINT4, np.int64(8)),
        tensor("s_scale", TensorProto.FLOAT, s_scale), tensor("s_zero", TensorProto.INT4, s_zero),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["w_codes", "w_scale", "w_zero"], ["w"], axis=0, block_size=16),
        helper.make_node("DequantizeLinear", ["v_codes", "v_scale", "v_zero"], ["v"], axis=0),
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zero"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zero"], ["xd"]),
        helper.make_node("QuantizeLinear", ["x", "s_scale", "s_zero"], ["sq"], axis=1),
        helper.make_node("DequantizeLinear", ["sq", "s_scale", "s_zero"], ["xs"], axis=1),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    outputs = {"w": ([32, 8], True), "v": ([5, 3], True), "xd": ([3, 32], True), "xs": ([3, 32], True),
               "y": ([3, 8], False)}
    return x, inits, nodes, outputs, 21


def window3d():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, size=(2, 4, 5, 6, 7)).astype(np.float32)
    inits = [
        tensor("cw", TensorProto.FLOAT, rng.normal(0, 0.3, size=(6, 2, 3, 2, 3)).astype(np.float32)),
        tensor("cb", TensorProto.FLOAT, rng.normal(0, 0.1, size=(6,)).astype(np.float32)),
        tensor("shape", TensorProto.INT64, np.array([2, 4, 5, 6, 7])),
        tensor("shape4", TensorProto.INT64, np.array([2, 4, 30, 7])),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "cw", "cb"], ["c"], group=2, strides=[2, 1, 2], dilations=[1, 2, 1],
                         pads=[1, 0, 1, 0, 1, 1]),
        helper.make_node("MaxPool", ["x"], ["p", "i"], kernel_shape=[2, 3, 2], strides=[2, 2, 1],
                         pads=[0, 1, 1, 1, 0, 0]),
        helper.make_node("Reshape", ["x", "shape4"], ["x4"]),
        helper.make_node("MaxPool", ["x4"], ["p2", "i2"], kernel_shape=[2, 2], strides=[2, 2], storage_order=1),
        helper.make_node("AveragePool", ["x"], ["a"], kernel_shape=[2, 2, 3], strides=[2, 2, 2], pads=[1, 0, 1, 0, 1, 0],
                         count_include_pad=1, ceil_mode=1),
        helper.make_node("MaxUnpool", ["p", "i", "shape"], ["u"], kernel_shape=[2, 3, 2], strides=[2, 2, 1],
                         pads=[0, 1, 1, 1, 0, 0]),
    ]
    outputs = {"c": (None, False), "p": (None, True), "i": (None, True), "i2": (None, True), "a": (None, False),
               "u": (None, True)}
    return x, inits, nodes, outputs, 17


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "models": []}
    for name, build in [("qdq4", qdq4), ("window3d", window3d)]:
        x, inits, nodes, outputs, opset = build()
        infos = []
        for o, (shape, _) in outputs.items():
            elem = TensorProto.INT64 if o.startswith("i") else TensorProto.FLOAT
            infos.append(helper.make_tensor_value_info(o, elem, shape))
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))], infos,
            initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="make_ort_op_fixtures")
        model.ir_version = 10 if opset >= 21 else 8
        path = OUT / f"{name}.onnx"
        onnx.save(model, path)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        results = session.run(list(outputs), {"x": x})
        np.save(OUT / f"{name}.x.npy", x)
        entry = {"model": path.name, "input": f"{name}.x.npy", "outputs": []}
        for o, value in zip(outputs, results):
            file = f"{name}.{o}.npy"
            np.save(OUT / file, value if value.dtype == np.int64 else value.astype(np.float32))
            entry["outputs"].append({"name": o, "file": file, "exact": outputs[o][1], "shape": list(value.shape)})
        manifest["models"].append(entry)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}: wrote {OUT}")


if __name__ == "__main__":
    main()
