#!/usr/bin/env python3
"""Make independent NumPy/SciPy/scikit-learn reference values for QuantBench's quantizer tests.

Produces, in Tests/Fixtures/quant/ (deterministic: re-running with the same package versions on the same
machine rewrites identical bytes):
  calibration.json  two real activation tensors of Models/fmnist-resnet/model.onnx (onnxruntime, the first 64
                    images of Datasets/fashion-mnist-calib-512), one post-ReLU (non-negative) and one signed
                    (a Conv output before the residual Add): a strided subsample of each (float32, exact), its
                    min / max / absMax, the 2048-bin histogram of |x|, and for bits 8 and 4 the percentile, mse and
                    entropy (TensorRT) thresholds and the resulting ranges, plus the `max` range
  ternary.json      FGQ ternarization (Mellempudi et al. 2017) of the first Conv weight with >= 64 input channels:
                    the exact threshold for groups of 4 (first 200 groups) and of 64 (first 20 groups), and TWN's
                    Delta = 0.7 mean|w| for groups of 4 (first 200 groups); the exact method is checked against
                    exhaustive search over all subsets of every group of 4 of the layer
  gmm.json          Focused Quantization's two-component 1-D Gaussian mixture, fitted with scikit-learn's
                    GaussianMixture on every Conv weight initializer with >= 1,000 weights: weights, means, stds,
                    convergence, the Wasserstein separation and the predicted component of the first 100 weights
  README.md         what each file holds, the definitions, versions and this command

Definitions (the ones QBQuant implements, re-derived here from the text, not from the Swift code):

Calibration, on the stored values x (float32):
  absMax = max |x|; signed = min x < 0; levels = 2^(bits-1) if signed else 2^bits
  histogram: scale = float32(2048) / float32(absMax); bin = min(int(float32(|x|) * scale), 2047) in float32;
  width = absMax / 2048 in float64.
  percentile: the first bin i with cumulative count >= 0.9999 * total; T = (i + 1) * width.
  mse: for i in [min(levels, 2048), 2048]: T_i = i * width, step = T_i / (levels - 1); for bins j with h_j > 0,
       c_j = (j + 0.5) * width, q_j = min(round_half_away(c_j / step), levels - 1) * step;
       err_i = sum h_j (c_j - q_j)^2; the first i with the smallest err; T = i * width.
  entropy: for i in [min(levels, 2048), 2048]: P = h[0:i] with sum(h[i:]) added to P[i-1]; Q: for g in
       0..<levels, [start, end) = [g*i//levels, (g+1)*i//levels), the non-empty bins of the group share the
       group's sum evenly (empty bins 0); KL(P||Q) of the normalized P, Q over bins with P > 0, where an empty Q
       bin counts as 1e-4 / sum(Q); the first i with the smallest KL; T = (i + 0.5) * width.
  ranges: (-T, T) if signed else (0, T); method max: (min(min x, 0), max(max x, 0)).
  Sums over bins run in bin order (like a plain loop); every choice is re-checked with math.fsum (exactly
  rounded sums) and the script stops if the chosen bin would differ.

FGQ exact threshold of a group w (float32): order = |w| sorted descending, ties by position; S_k = sum of the
k largest |w| (float64, in that order); keep the k maximizing S_k^2 / k (first on ties); alpha = S_k / k;
codes = sign(w) on the kept positions, 0 elsewhere (a zero weight is never kept). TWN: Delta = 0.7 mean |w|
(float64), keep |w| > Delta, alpha = mean kept |w| (0 if none). Groups: for output channel r, tap
t = ki * kw + kj, input channels c0..c0+N-1 (c0 = 0, N, 2N, ...), in (r, t, c0) order with c0 innermost.

FQ mixture: sklearn.mixture.GaussianMixture(n_components=2, covariance_type="spherical", tol=1e-12, max_iter=200,
reg_covar=0, random_state=0, weights_init=[0.5, 0.5], means_init=[[mean of w < 0], [mean of w > 0]],
precisions_init=[1 / var(w < 0), 1 / var(w > 0)] (population variances)) on the float64 weights of the layer.
separation = ((mu1 - mu2)^2 + (s1 - s2)^2) / var(w), var the population variance of all weights.

The weights are the initializers as stored in model.onnx: the graph has no BatchNormalization node (PyTorch's
exporter already folded BN into the Conv weights and biases when the model was exported), and this script folds
nothing further.

Floats are written so that they read back exactly: float32 data with the shortest decimal that rounds to the
same float32 (checked both directly and through a float64 parse), everything else as Python float64 repr.

Needs: Python 3.11, numpy, scipy, scikit-learn, onnx, onnxruntime; Models/fmnist-resnet/model.onnx and
Datasets/fashion-mnist-calib-512 (scripts/make_calibration_set.py). Run from anywhere:
    python3 scripts/make_quant_references.py
"""

from __future__ import annotations

import itertools
import json
import math
import platform
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import scipy
import scipy.special
import sklearn
from onnx import numpy_helper
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, rel, sha256_file, write_text  # noqa: E402
from _onnx_ref import activations, idx_images  # noqa: E402

MODEL = REPO / "Models" / "fmnist-resnet" / "model.onnx"
CALIB_IMAGES = REPO / "Datasets" / "fashion-mnist-calib-512" / "images-idx3-ubyte.gz"
OUT = REPO / "Tests" / "Fixtures" / "quant"

N_IMAGES = 64
# 20,000 values per tensor would make calibration.json ~330 KB even with the shortest float32 decimals; 10,000
# keep the file under 200 KB.
N_VALUES = 10_000
RELU_TENSOR = "/layers/layers.1/Relu_1_output_0"  # block 1 output: ReLU(c2 + downsample)
SIGNED_TENSOR = "/layers/layers.1/c2/Conv_output_0"  # block 1 second Conv, the residual Add's first input
BINS = 2048
BITS = (8, 4)

TERNARY_GROUPS_4 = 200
TERNARY_GROUPS_64 = 20
GMM_MIN_WEIGHTS = 1000
GMM_PREDICT = 100


# ---------------------------------------------------------------- float formatting

def f32_text(v: np.float32) -> str:
    """Shortest decimal that reads back as exactly this float32, both parsed directly to float32 (correctly
    rounded) and parsed to float64 and then rounded to float32; falls back to the float64 repr."""
    v = np.float32(v)
    assert np.isfinite(v)
    s = np.format_float_positional(v, unique=True, trim="0")
    if float(np.float32(float(s))) == float(v) and nearest_f32(Fraction(s)) == v:
        return s
    return repr(float(v))


def nearest_f32(x: Fraction) -> np.float32:
    """The float32 nearest to the rational x (ties to even), by exact comparison with the neighbours."""
    c = np.float32(float(x))  # within a couple of float32 ulps of the answer
    best = None
    for cand in (np.nextafter(np.nextafter(c, np.float32(-np.inf)), np.float32(-np.inf)),
                 np.nextafter(c, np.float32(-np.inf)), c, np.nextafter(c, np.float32(np.inf)),
                 np.nextafter(np.nextafter(c, np.float32(np.inf)), np.float32(np.inf))):
        d = abs(Fraction(float(cand)) - x)
        even = (int(np.float32(cand).view(np.uint32)) & 1) == 0
        if best is None or d < best[0] or (d == best[0] and even):
            best = (d, cand)
    return np.float32(best[1])


class Raw(str):
    """A pre-formatted JSON number."""


def is_flat(obj) -> bool:
    """A number, string, bool, or a list of those."""
    if isinstance(obj, (list, tuple)):
        return all(isinstance(x, (Raw, int, float, bool, str)) for x in obj)
    return isinstance(obj, (Raw, int, float, bool, str))


def dumps(obj, indent: int = 0, in_list: bool = False) -> str:
    """JSON with 2-space indentation, except that lists of numbers, short lists of lists and the flat records of
    a list (one group, one tensor entry) stay on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, Raw):
        return str(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if in_list and all(is_flat(v) for v in obj.values()):
            return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in obj.items()) + "}"
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(isinstance(x, (Raw, int, float, bool)) or x is None for x in obj) or \
                all(isinstance(x, (list, tuple)) and len(x) <= 64 for x in obj) and len(obj) <= 4:
            return "[" + ",".join(dumps(x) for x in obj) + "]"
        return "[\n" + ",\n".join(inner + dumps(x, indent + 1, in_list=True) for x in obj) + "\n" + pad + "]"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)
    return json.dumps(obj)


def f32(v) -> Raw:
    return Raw(f32_text(v))


def f64(v) -> float:
    return float(v)


def fp16(v: float) -> float:
    """v rounded to float32 and then to IEEE fp16 (how a stored group scale is kept), as a float."""
    return float(np.float16(np.float32(v)))


# ---------------------------------------------------------------- inputs

def load_images() -> np.ndarray:
    return (idx_images(CALIB_IMAGES, N_IMAGES).astype(np.float32) / np.float32(255)).astype(np.float32)


def producer(model: onnx.ModelProto, tensor: str) -> onnx.NodeProto:
    (node,) = [n for n in model.graph.node if tensor in n.output]
    return node


# ---------------------------------------------------------------- calibration

def histogram(x: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """2048-bin histogram of |x| over [0, absMax], bin arithmetic in float32."""
    x = x.astype(np.float32)
    abs_max = np.float32(np.max(np.abs(x)))
    scale = np.float32(BINS) / abs_max
    assert scale.dtype == np.float32
    prod = (np.abs(x).astype(np.float32) * scale).astype(np.float32)
    assert prod.dtype == np.float32
    b = np.minimum(np.trunc(prod).astype(np.int64), BINS - 1)
    h = np.bincount(b, minlength=BINS).astype(np.float64)
    return h, abs_max


def seq_sum(terms: np.ndarray) -> float:
    """The sum in index order (what a plain loop gives): the last element of the sequential cumulative sum."""
    return float(np.cumsum(terms)[-1]) if len(terms) else 0.0


def round_half_away(v: np.ndarray) -> np.ndarray:
    t = np.trunc(v)
    frac = v - t  # exact
    return t + np.where(np.abs(frac) >= 0.5, np.sign(v), 0.0)


def mse_errors(h: np.ndarray, width: float, levels: int, exact: bool) -> dict[int, float]:
    nz = np.nonzero(h > 0)[0]
    hj = h[nz]
    c = (nz.astype(np.float64) + 0.5) * width
    errs = {}
    for i in range(min(levels, BINS), BINS + 1):
        t = float(i) * width
        step = t / float(levels - 1)
        q = np.minimum(round_half_away(c / step), float(levels - 1)) * step
        terms = hj * (c - q) * (c - q)
        errs[i] = math.fsum(terms) if exact else seq_sum(terms)
    return errs


def kl_divergences(h: np.ndarray, levels: int, exact: bool) -> dict[int, float]:
    total_cs = np.concatenate([[0.0], np.cumsum(h)])  # integers: exact
    kls = {}
    for i in range(min(levels, BINS), BINS + 1):
        bins = h[:i]
        p = bins.copy()
        p[i - 1] += total_cs[BINS] - total_cs[i]
        g = np.arange(levels)
        starts, ends = g * i // levels, (g + 1) * i // levels
        cs = np.concatenate([[0.0], np.cumsum(bins)])
        cnz = np.concatenate([[0], np.cumsum(bins > 0)])
        s = cs[ends] - cs[starts]
        nz = cnz[ends] - cnz[starts]
        share = np.where(nz > 0, s / np.maximum(nz, 1), 0.0)
        group_of = np.repeat(g, ends - starts)
        assert len(group_of) == i
        q = np.where(bins > 0, share[group_of], 0.0)
        # Check the vectorized Q against the definition, group by group, for a few i.
        if i in (min(levels, BINS), 1000, BINS):
            q2 = np.zeros(i)
            for gg in range(levels):
                a, e = gg * i // levels, (gg + 1) * i // levels
                if e > a:
                    ssum = float(np.sum(bins[a:e]))
                    n = int(np.count_nonzero(bins[a:e] > 0))
                    if n > 0:
                        for j in range(a, e):
                            if bins[j] > 0:
                                q2[j] = ssum / n
            assert np.array_equal(q, q2)
        ps = math.fsum(p) if exact else seq_sum(p)
        qs = math.fsum(q) if exact else seq_sum(q)
        if ps <= 0 or qs <= 0:
            kls[i] = math.inf
            continue
        on = p > 0
        pj = p[on] / ps
        qj = np.where(q[on] > 0, q[on] / qs, 1e-4 / qs)
        terms = scipy.special.rel_entr(pj, qj)  # pj * log(pj / qj), natural log
        kls[i] = math.fsum(terms) if exact else seq_sum(terms)
    return kls


def first_min(scores: dict[int, float]) -> tuple[int, float, float]:
    """(the first key with the smallest score, that score, the relative gap to the second-smallest score)."""
    best = min(scores, key=lambda k: (scores[k], k))
    rest = sorted(v for k, v in scores.items() if k != best)
    gap = (rest[0] - scores[best]) / abs(scores[best]) if rest and scores[best] != 0 else math.inf
    return best, scores[best], gap


def calibrate(name: str, node: onnx.NodeProto, full: np.ndarray) -> dict:
    flat = full.reshape(-1)
    stride = flat.size // N_VALUES
    values = flat[::stride][:N_VALUES].astype(np.float32)
    assert values.size == N_VALUES and np.all(np.isfinite(values))
    lo, hi = np.float32(values.min()), np.float32(values.max())
    signed = bool(lo < 0)
    h, abs_max = histogram(values)
    assert abs_max == max(abs(lo), abs(hi)) and abs_max > 0
    # Per-value check of the binning with float32 scalars.
    scale = np.float32(BINS) / abs_max
    h2 = np.zeros(BINS)
    for v in values:
        h2[min(int(np.float32(abs(v)) * scale), BINS - 1)] += 1
    assert np.array_equal(h, h2)
    width = float(abs_max) / BINS
    total = float(h.sum())
    assert total == N_VALUES

    per_bits = {}
    for bits in BITS:
        levels = 2 ** (bits - 1) if signed else 2 ** bits
        cum = np.cumsum(h)
        p_idx = int(np.argmax(cum >= 0.9999 * total))
        assert cum[p_idx] >= 0.9999 * total and (p_idx == 0 or cum[p_idx - 1] < 0.9999 * total)
        m_idx, m_err, m_gap = first_min(mse_errors(h, width, levels, exact=False))
        assert first_min(mse_errors(h, width, levels, exact=True))[0] == m_idx, (name, bits, "mse")
        e_idx, e_kl, e_gap = first_min(kl_divergences(h, levels, exact=False))
        assert first_min(kl_divergences(h, levels, exact=True))[0] == e_idx, (name, bits, "entropy")
        t = {
            "percentile": (p_idx + 1) * width,
            "mse": m_idx * width,
            "entropy": (e_idx + 0.5) * width,
        }
        entry = {"levels": levels}
        for method, idx, crit, gap in (("percentile", p_idx, None, None), ("mse", m_idx, m_err, m_gap),
                                       ("entropy", e_idx, e_kl, e_gap)):
            tf = np.float32(t[method])
            e = {"bin": idx, "threshold": f64(t[method]), "threshold_float32": f32(tf),
                 "range": [f32(-tf) if signed else f32(np.float32(0)), f32(tf)]}
            if crit is not None:
                e["criterion"] = f64(crit)
                e["relative_gap_to_runner_up"] = f64(gap)
            entry[method] = e
        per_bits[str(bits)] = entry

    return {
        "name": name,
        "producer": f"{node.op_type} {node.name}".strip(),
        "shape": list(full.shape),
        "stride": stride,
        "count": N_VALUES,
        "signed": signed,
        "min": f32(lo),
        "max": f32(hi),
        "absMax": f32(abs_max),
        "width": f64(width),
        "max_range": [f32(min(lo, np.float32(0))), f32(max(hi, np.float32(0)))],
        "bits": per_bits,
        "histogram": [int(c) for c in h],
        "values": [f32(v) for v in values],
    }


# ---------------------------------------------------------------- FGQ

def exact_ternary(w: np.ndarray) -> tuple[list[int], float, int]:
    mags = np.abs(w.astype(np.float32))
    order = sorted(range(len(w)), key=lambda j: (-float(mags[j]), j))  # descending, ties by position
    s, best_score, best_k, best_s = 0.0, 0.0, 0, 0.0
    for k, j in enumerate(order, start=1):
        s += float(mags[j])
        score = s * s / k
        if score > best_score:
            best_score, best_k, best_s = score, k, s
    keep = set(order[:best_k])
    codes = [int(np.sign(w[j])) if j in keep and mags[j] > 0 else 0 for j in range(len(w))]
    alpha = best_s / best_k if best_k else 0.0
    return codes, alpha, best_k


def brute_force(w: np.ndarray) -> tuple[float, set[int]]:
    """max over nonempty subsets I of (sum_I |w|)^2 / |I| (exact rationals), with the maximizing subsets."""
    mags = [Fraction(float(abs(v))) for v in w.astype(np.float32)]
    best, arg = None, []
    for r in range(1, len(w) + 1):
        for sub in itertools.combinations(range(len(w)), r):
            sc = sum((mags[j] for j in sub), Fraction(0)) ** 2 / r
            if best is None or sc > best:
                best, arg = sc, [set(sub)]
            elif sc == best:
                arg.append(set(sub))
    return best, arg


def twn_ternary(w: np.ndarray) -> tuple[list[int], float, float, float]:
    mags = np.abs(w.astype(np.float32)).astype(np.float64)
    delta = 0.7 * float(np.mean(mags))
    keep = mags > delta
    codes = [int(np.sign(w[j])) if keep[j] else 0 for j in range(len(w))]
    alpha = float(np.mean(mags[keep])) if keep.any() else 0.0
    # Distance of the nearest |w| to Delta, relative to Delta (how far the decision is from a float tie).
    margin = float(np.min(np.abs(mags - delta)) / delta) if delta > 0 else math.inf
    return codes, alpha, delta, margin


def groups(w: np.ndarray, n: int):
    """(r, t, c0, values) in (r, t, c0) order, c0 innermost."""
    out_c, in_c, kh, kw = w.shape
    for r in range(out_c):
        for ki in range(kh):
            for kj in range(kw):
                for c0 in range(0, in_c, n):
                    yield r, ki * kw + kj, c0, w[r, c0:c0 + n, ki, kj]


def ternary(model: onnx.ModelProto) -> tuple[dict, dict]:
    inits = {i.name: i for i in model.graph.initializer}
    node = next(n for n in model.graph.node
                if n.op_type == "Conv" and numpy_helper.to_array(inits[n.input[1]]).shape[1] >= 64)
    name = node.input[1]
    w = numpy_helper.to_array(inits[name]).astype(np.float32)
    assert w.dtype == np.float32 and w.ndim == 4

    # Brute-force check over every group of 4 in the layer.
    checked = ties = 0
    for _, _, _, g in groups(w, 4):
        codes, alpha, k = exact_ternary(g)
        best, arg = brute_force(g)
        kept = {j for j, c in enumerate(codes) if c != 0}
        s = sum((Fraction(float(abs(g[j]))) for j in kept), Fraction(0))
        # exact_ternary's float64 score may differ from the rational one in the last bits only
        assert kept in arg or abs(float(s * s / len(kept)) - float(best)) <= 1e-12 * float(best), (g, codes, arg)
        ties += len(arg) > 1
        checked += 1

    def section(n: int, limit: int, method: str) -> list[dict]:
        rows = []
        for r, t, c0, g in itertools.islice(groups(w, n), limit):
            row = {"r": r, "t": t, "c0": c0}
            if method == "exact":
                codes, alpha, k = exact_ternary(g)
                row.update(codes=codes, alpha=f64(alpha), alpha_fp16=fp16(alpha), kept=k)
            else:
                codes, alpha, delta, margin = twn_ternary(g)
                row.update(codes=codes, alpha=f64(alpha), alpha_fp16=fp16(alpha), delta=f64(delta),
                           delta_margin=f64(margin))
            row["weights"] = [f32(v) for v in g]
            rows.append(row)
        return rows

    twn = section(4, TERNARY_GROUPS_4, "twn")
    meta = {"initializer": name, "node": node.name, "shape": list(w.shape), "brute_force_groups": checked,
            "brute_force_ties": ties, "twn_min_margin": min(r["delta_margin"] for r in twn)}
    return {
        "initializer": name,
        "conv_node": node.name,
        "shape": list(w.shape),
        "brute_force_checked_groups": checked,
        "exact_4": section(4, TERNARY_GROUPS_4, "exact"),
        "exact_64": section(64, TERNARY_GROUPS_64, "exact"),
        "twn_4": twn,
    }, meta


# ---------------------------------------------------------------- FQ mixture

def numpy_em(x: np.ndarray, w0, m0, v0, max_iter: int, rel_tol: float):
    """Plain EM with the stopping rule of QBQuant's doc comment (relative log-likelihood gain < rel_tol)."""
    wt, mu, var = np.array(w0, float), np.array(m0, float), np.array(v0, float)
    prev = -math.inf
    it = 0
    for it in range(1, max_iter + 1):
        dens = wt * np.exp(-0.5 * (x[:, None] - mu) ** 2 / var) / np.sqrt(2 * np.pi * var)
        tot = dens.sum(1)
        ll = float(np.log(tot).sum())
        r = dens / tot[:, None]
        n = r.sum(0)
        mu = (r * x[:, None]).sum(0) / n
        var = (r * x[:, None] ** 2).sum(0) / n - mu ** 2
        wt = n / len(x)
        if ll - prev < rel_tol * abs(ll):
            break
        prev = ll
    return wt, mu, np.sqrt(var), it


def gmm(model: onnx.ModelProto) -> tuple[dict, list[dict]]:
    inits = {i.name: i for i in model.graph.initializer}
    layers, summary = [], []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        name = node.input[1]
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        if w.size < GMM_MIN_WEIGHTS:
            continue
        x = w.reshape(-1).astype(np.float64)
        neg, pos = x[x < 0], x[x > 0]
        m_init = [float(neg.mean()), float(pos.mean())]
        v_init = [float(neg.var(ddof=0)), float(pos.var(ddof=0))]
        g = GaussianMixture(n_components=2, covariance_type="spherical", tol=1e-12, max_iter=200, reg_covar=0.0,
                            random_state=0, weights_init=[0.5, 0.5], means_init=[[m_init[0]], [m_init[1]]],
                            precisions_init=[1.0 / v_init[0], 1.0 / v_init[1]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            g.fit(x.reshape(-1, 1))
        weights = [float(v) for v in g.weights_]
        means = [float(v) for v in g.means_[:, 0]]
        stds = [math.sqrt(float(v)) for v in g.covariances_]
        var_all = float(x.var(ddof=0))
        sep = ((means[0] - means[1]) ** 2 + (stds[0] - stds[1]) ** 2) / var_all
        pred = [int(v) for v in g.predict(x[:GMM_PREDICT].reshape(-1, 1))]
        # Independent check of scikit-learn with plain NumPy EM run for the same number of iterations.
        ew, em, es, _ = numpy_em(x, [0.5, 0.5], m_init, v_init, int(g.n_iter_), rel_tol=-math.inf)
        assert np.allclose(ew, weights, rtol=1e-9, atol=0) and np.allclose(em, means, rtol=1e-9, atol=0) and \
            np.allclose(es, stds, rtol=1e-9, atol=0), (name, ew, em, es, weights, means, stds)
        # The same EM stopped by a relative log-likelihood gain < 1e-9 (QBQuant's documented rule).
        rw, rm, rs, rit = numpy_em(x, [0.5, 0.5], m_init, v_init, 200, rel_tol=1e-9)
        layers.append({
            "initializer": name,
            "conv_node": node.name,
            "shape": list(w.shape),
            "count": int(w.size),
            "negative_count": int(neg.size),
            "positive_count": int(pos.size),
            "variance": var_all,
            "init": {"weights": [0.5, 0.5], "means": m_init, "stds": [math.sqrt(v) for v in v_init]},
            "weights": weights,
            "means": means,
            "stds": stds,
            "converged": bool(g.converged_),
            "n_iter": int(g.n_iter_),
            "lower_bound": float(g.lower_bound_),
            "separation": sep,
            "predict_first_100": pred,
            "em_relative_tol_1e-9": {"n_iter": rit, "weights": [float(v) for v in rw],
                                     "means": [float(v) for v in rm], "stds": [float(v) for v in rs]},
        })
        summary.append({"initializer": name, "shape": list(w.shape), "converged": bool(g.converged_),
                        "n_iter": int(g.n_iter_), "em_n_iter": rit,
                        "max_rel_diff_em": float(max(np.max(np.abs(np.array(rm) - means) / np.abs(means)),
                                                     np.max(np.abs(np.array(rs) - stds) / np.array(stds)),
                                                     np.max(np.abs(np.array(rw) - weights) / np.array(weights))))})
    return {"layers": layers}, summary


# ---------------------------------------------------------------- main

def versions() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__}


def main() -> None:
    model = onnx.load(str(MODEL))
    assert not any(n.op_type == "BatchNormalization" for n in model.graph.node)
    source = {"model": rel(MODEL), "model_sha256": sha256_file(MODEL)}

    x = load_images()
    names = [RELU_TENSOR, SIGNED_TENSOR]
    acts = activations(model, names, x)
    assert producer(model, RELU_TENSOR).op_type == "Relu" and producer(model, SIGNED_TENSOR).op_type == "Conv"
    tensors = [calibrate(n, producer(model, n), a) for n, a in zip(names, acts)]
    assert not tensors[0]["signed"] and tensors[1]["signed"]
    calibration = {
        "source": {**source, "images": rel(CALIB_IMAGES), "images_sha256": sha256_file(CALIB_IMAGES),
                   "images_used": N_IMAGES, "preprocessing": "pixel / 255 as float32, shape [64, 1, 28, 28]",
                   "subsample": "flattened tensor (NCHW), every `stride`-th element from index 0, first `count`"},
        "versions": versions(),
        "bins": BINS,
        "tensors": tensors,
    }
    tern, tmeta = ternary(model)
    tern = {"source": source, "versions": versions(), **tern}
    mix, gsummary = gmm(model)
    mix = {"source": source, "versions": versions(), **mix}

    OUT.mkdir(parents=True, exist_ok=True)
    files = {"calibration.json": calibration, "ternary.json": tern, "gmm.json": mix}
    for fname, obj in files.items():
        text = dumps(obj) + "\n"
        assert json.loads(text) is not None
        write_text(OUT / fname, text)

    # Read back: every stored float32 value parses to the same float32.
    back = json.loads((OUT / "calibration.json").read_text())
    for t, a in zip(back["tensors"], acts):
        flat = a.reshape(-1)[:: t["stride"]][: t["count"]]
        assert np.array_equal(np.array(t["values"], dtype=np.float64).astype(np.float32), flat)

    sizes = {f: (OUT / f).stat().st_size for f in files}
    for f, s in sizes.items():
        assert s < 200_000, (f, s)
    write_text(OUT / "README.md", readme(calibration, tmeta, mix, gsummary, sizes))
    for f, s in sizes.items():
        print(f"{rel(OUT / f)}: {s} bytes")
    for t in tensors:
        for bits in ("8", "4"):
            b = t["bits"][bits]
            print(f"{t['name']} bits={bits}: " + ", ".join(f"{m}={b[m]['threshold']:.6g} (bin {b[m]['bin']})"
                                                         for m in ("percentile", "mse", "entropy")))
    for s in gsummary:
        print("gmm", s)
    print("ternary", tmeta)


def readme(cal: dict, tmeta: dict, mix: dict, gsummary: list[dict], sizes: dict) -> str:
    v = cal["versions"]
    tens = cal["tensors"]
    trows = "\n".join(
        f"| `{t['name']}` | {t['producer']} | {t['shape']} | {t['stride']} | {'yes' if t['signed'] else 'no'} | "
        f"{t['min']} | {t['max']} | "
        + " | ".join(f"{t['bits'][b][m]['threshold']:.6g}" for b in ("8", "4") for m in ("percentile", "mse", "entropy"))
        + " |" for t in tens)
    grows = "\n".join(
        f"| `{l['initializer']}` | {l['shape']} | {l['weights'][0]:.4f}, {l['weights'][1]:.4f} | "
        f"{l['means'][0]:.5f}, {l['means'][1]:.5f} | {l['stds'][0]:.5f}, {l['stds'][1]:.5f} | "
        f"{'yes' if l['converged'] else 'no'} | {l['n_iter']} | {s['em_n_iter']} | {s['max_rel_diff_em']:.1e} | "
        f"{l['separation']:.4f} |"
        for l, s in zip(mix["layers"], gsummary))
    return f"""# Quantizer reference values

Made by `python3 scripts/make_quant_references.py` (see its docstring for the exact definitions) from
`{cal['source']['model']}`
(sha256 `{cal['source']['model_sha256']}`)
and, for the activations, `{cal['source']['images']}`.
Independent of the Swift code: NumPy / SciPy / scikit-learn / onnxruntime re-implementations of the definitions
QBQuant documents. Re-running with the same package versions on the same
machine rewrites identical bytes (onnxruntime's Conv results may differ in the last bits on another CPU; the
thresholds are computed from the stored values, so each file is self-consistent either way).

| | |
| --- | --- |
| Python | {v['python']} |
| NumPy | {v['numpy']} |
| SciPy | {v['scipy']} |
| scikit-learn | {v['scikit-learn']} |
| onnx | {v['onnx']} |
| onnxruntime | {v['onnxruntime']} (CPU, graph optimizations off, 1 thread) |

Floats: float32 data (activations, weights, float32 thresholds and ranges) are written as the shortest decimal
that reads back as the same float32, whether parsed straight to Float or to Double first; everything else is
float64 (Python `repr`). The weights are the initializers as stored in `model.onnx`: the graph has no
BatchNormalization node (PyTorch's exporter folded BN into the Conv weights and biases), and nothing further is
folded.

## calibration.json ({sizes['calibration.json']:,} bytes)

`tensors`: two activations of the model on the first {cal['source']['images_used']} calibration images (pixel / 255, input `input`),
exposed as extra graph outputs. Each holds `values`: {tens[0]['count']:,} float32 values, every
`stride`-th element of the flattened NCHW tensor from index 0 (20,000 values per tensor would make the file about
330 KB even with the shortest decimals); `min`, `max`, `absMax` (= max |x|, float32), `signed` (min < 0), `width`
(absMax / 2048, float64), `histogram` (the 2048 counts of |x|, bin = min(int(float32(|x|) * (float32(2048) /
absMax)), 2047) in float32), `max_range` ((min(min, 0), max(max, 0))), and per `bits` ("8", "4"): `levels`
(2^(bits-1) signed, 2^bits otherwise) and for `percentile`, `mse`, `entropy`: `bin` (the chosen bin index i),
`threshold` (float64: (i + 1) * width, i * width, (i + 0.5) * width respectively), `threshold_float32`, `range`
((-T, T) signed, (0, T) otherwise, float32), and for mse / entropy the minimized `criterion` (sum of squared error
over the histogram / KL(P || Q)) and its `relative_gap_to_runner_up` (how far the second-best candidate is; the
choice was re-checked with exactly rounded sums).

| tensor | producer | shape | stride | signed | min | max | 8-bit percentile | mse | entropy | 4-bit percentile | mse | entropy |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{trows}

## ternary.json ({sizes['ternary.json']:,} bytes)

FGQ ternarization of `{tmeta['initializer']}` (shape {tmeta['shape']}, weight of Conv `{tmeta['node']}`,
the first Conv with at least 64 input channels). Groups: output channel `r`, tap `t` = ki * kw + kj, input channels
`c0`..<`c0` + N, in (r, t, c0) order, c0 innermost. Every entry has `r`, `t`, `c0`, `codes` (-1 / 0 / +1 in the
group's channel order), `alpha` (float64), `alpha_fp16` (alpha rounded to float32 and then to IEEE fp16, as a
stored group scale) and the group's `weights` (float32).

- `exact_4`: the first 200 groups of N = 4, exact threshold (keep the top-k |w| maximizing S_k^2 / k, sort
  descending with ties by position, first k on ties; alpha = S_k / k); `kept` = k.
- `exact_64`: the first 20 groups of N = 64 (one group per (r, t)), same method.
- `twn_4`: the first 200 groups of N = 4 with TWN's Delta = 0.7 mean |w| (float64; keep |w| > Delta, alpha = mean
  kept |w|); `delta` and `delta_margin` = min |(|w| - Delta)| / Delta (smallest here: {tmeta['twn_min_margin']:.2e}, so
  computing Delta in float32 picks the same weights).
- Checked: for all {tmeta['brute_force_groups']:,} groups of 4 of the layer, the exact method's subset attains the
  maximum of (sum_I |w|)^2 / |I| over all 15 nonempty subsets (exhaustive search with exact rationals);
  {tmeta['brute_force_ties']} groups have tied optima.

## gmm.json ({sizes['gmm.json']:,} bytes)

Focused Quantization's two-component mixture for every Conv weight initializer with at least 1,000 weights, fitted
with `sklearn.mixture.GaussianMixture(n_components=2, covariance_type="spherical", tol=1e-12, max_iter=200,
reg_covar=0, random_state=0, weights_init=[0.5, 0.5], means_init=[[mean(w < 0)], [mean(w > 0)]],
precisions_init=[1 / var(w < 0), 1 / var(w > 0)])` on the float64 weights (population variances). Per layer:
`initializer`, `conv_node`, `shape`, `count`, `variance` (population variance of all weights), `init`, the fitted
`weights`, `means`, `stds` (sqrt of the spherical variances), `converged`, `n_iter`, `lower_bound` (scikit-learn's
mean log-likelihood), `separation` = ((mu1 - mu2)^2 + (s1 - s2)^2) / variance, and `predict_first_100` (the
component with the larger posterior for the first 100 weights in NCHW order). scikit-learn's result is checked
against plain NumPy EM run for the same number of iterations (agreement to 1e-9 relative).
`em_relative_tol_1e-9` is that NumPy EM stopped instead when the log-likelihood gains less than 1e-9 relative (the
rule QBQuant documents); it shows how far an earlier stop lands from scikit-learn's (tol 1e-12, absolute on the
mean log-likelihood).

| initializer | shape | weights | means | stds | converged | n_iter | n_iter (rel. 1e-9 stop) | max rel. diff, rel. 1e-9 stop vs scikit-learn | separation |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{grows}
"""


if __name__ == "__main__":
    main()
