"""Helpers shared by the reference-fixture scripts that run a suite model with onnxruntime
(make_quant_references.py, make_qwt_reference.py): reading IDX images and dumping intermediate values.

Not a script. Needs numpy, onnx and onnxruntime (unlike _common.py, which the data scripts import).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import shape_inference


def idx_images(path: Path, count: int) -> np.ndarray:
    """The first `count` 28 x 28 images of a gzip IDX file as uint8 [count, 1, 28, 28]."""
    raw = gzip.decompress(path.read_bytes())
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    assert magic == 0x00000803 and (h, w) == (28, 28) and n >= count, (magic, n, h, w)
    return np.frombuffer(raw, np.uint8, count=n * h * w, offset=16).reshape(n, 1, h, w)[:count]


def activations(model: onnx.ModelProto, names: list[str], x: np.ndarray) -> list[np.ndarray]:
    """Runs the model (1 thread, no graph optimizations) with `names` added as graph outputs (types and
    shapes from shape inference) and returns their values."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inferred = shape_inference.infer_shapes(m)
    info = {v.name: v for v in inferred.graph.value_info}
    for name in names:
        m.graph.output.append(info[name])
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    (input_name,) = [i.name for i in m.graph.input]
    return sess.run(names, {input_name: x})
