#!/usr/bin/env python3
"""Make independent NumPy/SciPy reference values for QuantBench's QwT ridge-regression solver test.

QwT ("Quantization without Tears", Fu et al. 2025) adds to each block a linear compensation module, a 1x1
convolution whose weights and bias are the closed-form ridge regression from the block's input X to the residual
between the FP32 block output and the quantized one. This script fixes the solver itself: it fits that 1x1
convolution from a real block input X to a real block output T (here the FP32 output itself, so the fixture needs
no quantized model) and records the solution and its fit.

Produces, in Tests/Fixtures/qwt/ (deterministic: re-running with the same package versions on the same machine
rewrites identical bytes):
  x.npy           block input X = '/layers/layers.1/Relu_1_output_0' of Models/fmnist-resnet/model.onnx on the
                  first 8 images of Datasets/fashion-mnist-calib-512, float32 [8, 32, 14, 14] (~200 KB)
  t.npy           target T = block output Y = '/layers/layers.2/Relu_1_output_0', float32 [8, 64, 7, 7] (~100 KB)
  reference.json  for each case (lambda, groups): the fitted 1x1 conv weights W [64, 32/G, 1, 1] and bias b [64],
                  r2, ss_res, ss_tot, sum_t2 and the row count

Both .npy files are np.save's format version 1.0, little-endian float32, C order.

Definitions (the ones the Swift solver implements, re-derived here from the paper, not from the Swift code).
X and T are read back from the stored float32 arrays and promoted to float64; everything below is float64.
  stride s = 14 / 7 = 2: the compensation is a 1x1 convolution with stride 2 and no padding, so Xs = X[:, :, ::2, ::2]
  ([8, 32, 7, 7]). Rows run over (n, oh, ow), n outermost, ow innermost: 8 * 49 = 392 rows.
  groups G: input channels per group k = 32 / G, output channels per group m = 64 / G; group g uses input channels
  [g*k, (g+1)*k) and output channels [g*m, (g+1)*m).
  Per group: X_rows [392, k] = Xs[n, group inputs, oh, ow], T_rows [392, m] = T[n, group outputs, oh, ow];
  Xt = [X_rows, 1] (bias column LAST); A = Xt^T Xt + lambda * I_(k+1) (the identity covers the bias column too, as
  the paper's code does); B = Xt^T T_rows; beta = scipy.linalg.solve(A, B, assume_a='pos') ([k+1, m]);
  W_group = beta[:-1].T ([m, k]), b_group = beta[-1]. W stacks the groups' output channels in order.
  That = conv2d(X, W, b, stride 2, groups G) in float64 (an einsum over Xs, independent of the row layout);
  ss_res = sum (T - That)^2 over all elements; ss_tot = sum over output channels c of sum over rows of
  (T[:, c] - mean_c)^2, mean_c the mean of channel c over all 392 rows; r2 = 1 - ss_res / ss_tot;
  sum_t2 = sum T^2.
  Cross-checks (printed, and stored for lambda = 0): numpy.linalg.solve on the same A, B for every case;
  scipy.linalg.lstsq(Xt, T_rows) for lambda = 0. (scikit-learn's Ridge does not penalize the intercept, so it
  would solve a different problem and is not used.)

Preprocessing as the project's `fmnist` preset (Sources/QBIngest/Preprocessing.swift, Preprocessor.swift):
28 x 28 gray, no resize or crop at this size, x = v * mul + add in float32 with mul = Float(1/255) / 1 and
add = -0 / 1, i.e. x = float32(v) * float32(1/255), input [8, 1, 28, 28].

Floats in reference.json are Python float64 repr (they read back exactly).

Needs: Python 3.11, numpy, scipy, onnx, onnxruntime; Models/fmnist-resnet/model.onnx and
Datasets/fashion-mnist-calib-512 (scripts/make_calibration_set.py). Run from anywhere:
    python3 scripts/make_qwt_reference.py
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import scipy
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, rel, sha256_file, write_text  # noqa: E402
from _onnx_ref import activations, idx_images  # noqa: E402

MODEL = REPO / "Models" / "fmnist-resnet" / "model.onnx"
CALIB_IMAGES = REPO / "Datasets" / "fashion-mnist-calib-512" / "images-idx3-ubyte.gz"
OUT = REPO / "Tests" / "Fixtures" / "qwt"

X_VALUE = "/layers/layers.1/Relu_1_output_0"  # block 2 input, [N, 32, 14, 14]
Y_VALUE = "/layers/layers.2/Relu_1_output_0"  # block 2 output, [N, 64, 7, 7]
N_IMAGES = 8
CASES = (
    {"name": "ridge-1e-3-g1", "lambda": 1e-3, "groups": 1},
    {"name": "ridge-1e-3-g2", "lambda": 1e-3, "groups": 2},
    {"name": "ols-g1", "lambda": 0.0, "groups": 1},
)


# ---------------------------------------------------------------- inputs

def load_images(n_images: int) -> np.ndarray:
    """The first n_images calibration images, preprocessed as the `fmnist` preset: v * Float(1/255)."""
    pixels = idx_images(CALIB_IMAGES, n_images)
    mul = np.float32(1.0 / 255.0) / np.float32(1.0)  # scale / std
    add = -np.float32(0.0) / np.float32(1.0)  # -mean / std
    x = pixels.astype(np.float32) * mul + add
    assert x.dtype == np.float32
    return np.ascontiguousarray(x)


# ---------------------------------------------------------------- ridge fit

def rows_of(a: np.ndarray, channels: slice) -> np.ndarray:
    """[N, C, H, W] -> [N*H*W, C'] for the channel slice, rows in (n, h, w) order."""
    sub = a[:, channels]
    return np.ascontiguousarray(sub.transpose(0, 2, 3, 1).reshape(-1, sub.shape[1]))


def fit(x: np.ndarray, t: np.ndarray, lam: float, groups: int, stride: int) -> tuple[dict, dict]:
    xs = x[:, :, ::stride, ::stride]
    assert xs.shape[2:] == t.shape[2:], (xs.shape, t.shape)
    cin, cout = x.shape[1], t.shape[1]
    assert cin % groups == 0 and cout % groups == 0
    k, m = cin // groups, cout // groups
    w = np.zeros((cout, k, 1, 1))
    b = np.zeros(cout)
    diag = {"cond": [], "max_abs_beta": 0.0, "max_diff_numpy": 0.0, "max_diff_lstsq": None}
    for g in range(groups):
        xr = rows_of(xs, slice(g * k, (g + 1) * k))
        tr = rows_of(t, slice(g * m, (g + 1) * m))
        xt = np.concatenate([xr, np.ones((xr.shape[0], 1))], axis=1)
        a = xt.T @ xt + lam * np.eye(k + 1)
        bb = xt.T @ tr
        beta = scipy.linalg.solve(a, bb, assume_a="pos")
        beta_np = np.linalg.solve(a, bb)
        diag["max_diff_numpy"] = max(diag["max_diff_numpy"], float(np.max(np.abs(beta - beta_np))))
        if lam == 0:
            beta_ls, *_ = scipy.linalg.lstsq(xt, tr)
            d = float(np.max(np.abs(beta - beta_ls)))
            diag["max_diff_lstsq"] = max(diag["max_diff_lstsq"] or 0.0, d)
        diag["cond"].append(float(np.linalg.cond(a)))
        diag["max_abs_beta"] = max(diag["max_abs_beta"], float(np.max(np.abs(beta))))
        w[g * m:(g + 1) * m, :, 0, 0] = beta[:-1].T
        b[g * m:(g + 1) * m] = beta[-1]

    # Prediction: grouped strided 1x1 conv, computed directly on the NCHW tensor.
    that = np.empty(t.shape)
    for g in range(groups):
        that[:, g * m:(g + 1) * m] = np.einsum("ok,nkhw->nohw", w[g * m:(g + 1) * m, :, 0, 0],
                                               xs[:, g * k:(g + 1) * k]) + b[g * m:(g + 1) * m, None, None]
    ss_res = float(np.sum((t - that) ** 2))
    trows = rows_of(t, slice(0, cout))
    ss_tot = float(np.sum((trows - trows.mean(axis=0)) ** 2))
    n_rows = trows.shape[0]
    result = {
        "lambda": lam,
        "groups": groups,
        "stride": stride,
        "rows": n_rows,
        "r2": 1.0 - ss_res / ss_tot,
        "ss_res": ss_res,
        "ss_tot": ss_tot,
        "sum_t2": float(np.sum(t ** 2)),
        "weights_shape": list(w.shape),
        "weights": [float(v) for v in w.reshape(-1)],
        "bias": [float(v) for v in b],
    }
    if lam == 0:
        result["lstsq_max_abs_diff"] = diag["max_diff_lstsq"]
    return result, diag


# ---------------------------------------------------------------- output

def dumps(obj, indent: int = 0) -> str:
    """JSON with 2-space indentation; lists of numbers or strings stay on one line; floats as float64 repr."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(x, (dict, list, tuple)) for x in obj):
            return "[" + ",".join(dumps(x) for x in obj) + "]"
        return "[\n" + ",\n".join(inner + dumps(x, indent + 1) for x in obj) + "\n" + pad + "]"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)
    return json.dumps(obj)


def versions() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "onnx": onnx.__version__, "onnxruntime": ort.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {rel(OUT)})")
    args = ap.parse_args()
    out: Path = args.out

    model = onnx.load(str(MODEL))
    x_in = load_images(N_IMAGES)
    assert x_in.shape == (N_IMAGES, 1, 28, 28)
    x32, y32 = activations(model, [X_VALUE, Y_VALUE], x_in)
    assert x32.dtype == np.float32 and y32.dtype == np.float32
    assert x32.shape == (N_IMAGES, 32, 14, 14) and y32.shape == (N_IMAGES, 64, 7, 7), (x32.shape, y32.shape)

    out.mkdir(parents=True, exist_ok=True)
    x_path, t_path = out / "x.npy", out / "t.npy"
    np.save(x_path, np.ascontiguousarray(x32.astype("<f4")), allow_pickle=False)
    np.save(t_path, np.ascontiguousarray(y32.astype("<f4")), allow_pickle=False)
    # Fit from the stored arrays, so the fixture is self-consistent.
    x = np.load(x_path).astype(np.float64)
    t = np.load(t_path).astype(np.float64)
    assert np.array_equal(x, x32) and np.array_equal(t, y32)
    stride = x.shape[2] // t.shape[2]
    assert stride == 2 and (x.shape[2] - 1) // stride + 1 == t.shape[2]  # 14 -> 7, 1x1 kernel, no padding

    cases, diags = [], []
    for c in CASES:
        res, diag = fit(x, t, c["lambda"], c["groups"], stride)
        cases.append({"name": c["name"], **res})
        diags.append(diag)

    ref = {
        "model": rel(MODEL),
        "model_sha256": sha256_file(MODEL),
        "values": {"x": X_VALUE, "t": Y_VALUE},
        "images": N_IMAGES,
        "dataset": rel(CALIB_IMAGES),
        "preprocessing": "float32(v) * float32(1/255) (fmnist preset: scale 1/255, mean 0, std 1), [8, 1, 28, 28]",
        "versions": versions(),
        "how": ("Xs = X[:, :, ::2, ::2]; rows (n, oh, ow), n outermost; per group g: Xt = [X_rows, 1] (bias last), "
                "A = Xt^T Xt + lambda * I (bias included), B = Xt^T T_rows, beta = scipy.linalg.solve(A, B, "
                "assume_a='pos'), W_g = beta[:-1].T, b_g = beta[-1]; weights [64, 32/G, 1, 1] C order; "
                "That = conv2d(X, W, b, stride 2, groups G) in float64; ss_res = sum (T - That)^2; "
                "ss_tot = sum_c sum_rows (T_c - mean_c)^2; r2 = 1 - ss_res / ss_tot; sum_t2 = sum T^2. "
                "Made by scripts/make_qwt_reference.py."),
        "cases": cases,
    }
    text = dumps(ref) + "\n"
    back = json.loads(text)
    for cb, c in zip(back["cases"], cases):
        assert cb["weights"] == c["weights"] and cb["bias"] == c["bias"]
    write_text(out / "reference.json", text)

    for f in ("x.npy", "t.npy", "reference.json"):
        print(f"{rel(out / f)}: {(out / f).stat().st_size} bytes")
    for c, d in zip(cases, diags):
        extra = f", lstsq diff {d['max_diff_lstsq']:.3g}" if d["max_diff_lstsq"] is not None else ""
        print(f"{c['name']}: rows {c['rows']}, r2 {c['r2']:.6f}, ss_res {c['ss_res']:.6g}, "
              f"ss_tot {c['ss_tot']:.6g}, max|beta| {d['max_abs_beta']:.4g}, "
              f"cond(A) {', '.join(f'{v:.3g}' for v in d['cond'])}, "
              f"numpy.linalg.solve diff {d['max_diff_numpy']:.3g}{extra}")


if __name__ == "__main__":
    main()
