#!/usr/bin/env python3
"""Quantizes the project's zoo models with onnxruntime's own quantizer and records how well onnxruntime runs them.

    python3 scripts/make_ort_variants.py                       # all four models
    python3 scripts/make_ort_variants.py fmnist-resnet ...     # only these (folder names under Models/)

Writes, next to each Models/<model>/model.onnx (each file written atomically: a temporary file, then a rename):

  fmnist-resnet/, fmnist-mobilenet/ (the two CNNs, input "input" [batch, 1, 28, 28]):
    ort-int8-qdq.onnx      quantize_static, QuantFormat.QDQ, per-channel weights QInt8 (symmetric), activations QUInt8
                           (asymmetric), CalibrationMethod.MinMax: QuantizeLinear/DequantizeLinear pairs around float
                           Conv/Gemm/Add/... (onnxruntime fuses them to its integer kernels when it loads the model)
    ort-int8-qop.onnx      quantize_static, QuantFormat.QOperator, same types and calibration: QLinearConv plus the
                           com.microsoft QLinearAdd, QLinearGlobalAveragePool, QGemm (the classifier) and, in
                           fmnist-mobilenet, QLinearMul (the HardSwish product); QuantizeLinear / DequantizeLinear
                           around what stays float (the input, HardSigmoid, the logits). Neither CNN has a Concat, so
                           no QLinearConcat appears
    ort-int8-dynamic.onnx  quantize_dynamic, weights QInt8 per tensor: DynamicQuantizeLinear + ConvInteger /
                           MatMulInteger (onnxruntime 1.32 runs ConvInteger with int8 weights, checked by the evaluation
                           below, so QUInt8 weights are not needed)
  finefoods-transformer/, austen-lm/ (the text models):
    ort-int8-dynamic.onnx  quantize_dynamic, weights QInt8 per tensor: DynamicQuantizeLinear + MatMulInteger for every
                           MatMul with a constant weight (the attention products of two activations stay float), and
                           the token embedding stored as uint8 per tensor (Gather, then DequantizeLinear). If
                           onnxruntime cannot quantize or load a text model, the script says so, writes no .onnx for
                           it and records the reason in the card.
  every model processed:
    ort-variants.json      the card: for each variant its file, bytes, sha256, the onnxruntime / onnx / numpy versions,
                           the exact quantizer call and options, the pre-processing, the calibration set and count,
                           the operators (counts by op type; default-domain ops by bare name, others as
                           `domain.OpType`, e.g. `com.microsoft.QLinearAdd`, the engine's convention), the opsets,
                           and onnxruntime's figure on the model's evaluation set beside the FP32 figure (recomputed
                           here with the same code, and as the model's card.json gives it).

Steps, per model:
  1. onnxruntime.quantization.shape_inference.quant_pre_process(model.onnx, <tmp>/pre.onnx): symbolic shape
     inference, onnxruntime's basic graph optimizations (constant folding and the like), then ONNX shape inference,
     as onnxruntime's quantization guide recommends; the quantizer reads <tmp>/pre.onnx. Defaults for the CNNs;
     auto_merge=True for the text models, where the defaults stop with "Incomplete symbolic shape inference".
     Side effects worth knowing: the optimizer inlines HardSwish (an ONNX function) as HardSigmoid + Mul, because
     onnxruntime's CPU provider has no HardSwish kernel, and the written model imports every opset domain
     onnxruntime knows (ai.onnx.ml, com.microsoft, ...), which the quantized files inherit.
  2. The quantizer writes into a temporary folder; the bytes are then copied to Models/<model>/.
  3. Evaluation with onnxruntime 1.32 (CPUExecutionProvider, default graph optimizations, 1 intra-op thread):
     - CNNs: top-1 over the 2,000 PNGs of Datasets/fashion-mnist-test-200 (ImageFolder: label = index of the sorted
       class folder, images in file-name order, i.e. test index ascending). The PNGs are decoded here with zlib
       (8-bit gray, no interlace; Pillow is not needed) and the decoded pixels are checked against the card's pixel
       sha256. Preprocessing as the `fmnist` preset: x = float32(v) * float32(1/255), NCHW float32, batches of 200.
     - finefoods-transformer: top-1 over the 1,000 reviews of Datasets/fine-foods/test.csv, WordPiece ids from
       transformers' BertTokenizerLegacy (Datasets/vocab/minilm-vocab.txt, lower-cased, [CLS] text [SEP], max 128),
       one review per run without padding, as scripts/train_text_classifier.py measures it.
     - austen-lm: perplexity on Datasets/austen/austen_persuasion.txt, consecutive 128-byte windows (tail dropped),
       every byte after the first of a window predicted, NLL summed in float64, batches of 64, as
       scripts/train_lm.py measures it (whole book, and the first 256 windows).

Calibration (CNNs only): the first 128 images of Datasets/fashion-mnist-calib-512/images-idx3-ubyte.gz in file order
(ascending training index), preprocessed as above, fed one image per run ([1, 1, 28, 28]) in that order. The text
models are quantized dynamically, so they need no calibration set.

Determinism: the calibration data and order are fixed, the quantizer has no random state, MinMax ranges are the
minimum / maximum over the calibration outputs, and the cards hold no timestamps or paths outside the repository.
With the same package versions on the same machine, a second run rewrites byte-identical .onnx files and cards
(checked: three runs, identical sha256s); the script prints, for each file, whether its bytes changed.

Needs: Python 3.11, numpy, onnx, onnxruntime 1.32 (with sympy, for the symbolic shape inference), transformers
(finefoods-transformer only). Run from anywhere; about 1.5 minutes on 2 cores (austen-lm's two whole-book
evaluations are half of it).
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import math
import os
import platform
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, rel, sha256_file, write_json  # noqa: E402
from _onnx_ref import idx_images  # noqa: E402

CNNS = ["fmnist-resnet", "fmnist-mobilenet"]
TEXT = ["finefoods-transformer", "austen-lm"]
CALIB_IMAGES = REPO / "Datasets/fashion-mnist-calib-512/images-idx3-ubyte.gz"
CALIB_COUNT = 128
TEST_200 = REPO / "Datasets/fashion-mnist-test-200"
# "pixel sha256" of Datasets/fashion-mnist-test-200/CARD.md: the 784 raw bytes of every image, class 0..9, test
# index ascending.
TEST_200_PIXEL_SHA256 = "80f041a1db53aeefce90d32bb6094e616abf55eed82a9c247b6c2a44a773acf7"
SCALE = np.float32(1 / 255)
EVAL_THREADS = 1
# quant_pre_process's defaults stop on the text models with "Incomplete symbolic shape inference" (their sequence
# dimension meets sliced position tables and Shape/Gather/Concat arithmetic); auto_merge=True lets the symbolic
# inference merge the conflicting symbolic dims, after which both models pre-process.
PRE_PROCESS_OPTIONS = {"finefoods-transformer": {"auto_merge": True}, "austen-lm": {"auto_merge": True}}


# ---------------------------------------------------------------------------------------------------- data

def read_gray_png(data: bytes, name: str) -> np.ndarray:
    """An 8-bit gray, non-interlaced PNG as uint8 [h, w] (all five PNG row filters)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{name}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or header[2:] != (8, 0, 0, 0, 0):
        raise SystemExit(f"{name}: expected an 8-bit gray, non-interlaced PNG, got IHDR {header}")
    w, h = header[0], header[1]
    raw = zlib.decompress(b"".join(idat))
    if len(raw) != h * (w + 1):
        raise SystemExit(f"{name}: {len(raw)} bytes of image data for {w} x {h}")
    out = np.zeros((h, w), np.int32)
    prev = np.zeros(w, np.int32)
    for y in range(h):
        f = raw[y * (w + 1)]
        line = np.frombuffer(raw, np.uint8, w, y * (w + 1) + 1).astype(np.int32)
        if f == 0:
            row = line
        elif f == 1:
            row = np.cumsum(line) & 255
        elif f == 2:
            row = (line + prev) & 255
        elif f in (3, 4):
            row = np.zeros(w, np.int32)
            for x in range(w):
                a = int(row[x - 1]) if x else 0
                b = int(prev[x])
                if f == 3:
                    pred = (a + b) >> 1
                else:
                    c = int(prev[x - 1]) if x else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[x] = (int(line[x]) + pred) & 255
        else:
            raise SystemExit(f"{name}: unknown PNG row filter {f}")
        out[y] = row
        prev = row
    return out.astype(np.uint8)


def fmnist_test_200() -> tuple[np.ndarray, np.ndarray]:
    """Datasets/fashion-mnist-test-200 as uint8 [2000, 1, 28, 28] and int64 labels, pixels checked against the card."""
    if not TEST_200.is_dir():
        raise SystemExit(f"missing {rel(TEST_200)}: run scripts/prepare_datasets.py")
    classes = sorted(p.name for p in TEST_200.iterdir() if p.is_dir())
    images, labels = [], []
    for label, folder in enumerate(classes):
        for path in sorted((TEST_200 / folder).glob("*.png")):
            images.append(read_gray_png(path.read_bytes(), rel(path)))
            labels.append(label)
    x = np.stack(images)[:, None]
    digest = hashlib.sha256(x.tobytes()).hexdigest()
    if len(classes) != 10 or len(images) != 2000 or digest != TEST_200_PIXEL_SHA256:
        raise SystemExit(f"{rel(TEST_200)}: {len(classes)} classes, {len(images)} images, pixel sha256 {digest}; "
                         f"the card says 10, 2000, {TEST_200_PIXEL_SHA256}")
    return x, np.array(labels, np.int64)


def preprocess(pixels: np.ndarray) -> np.ndarray:
    """The `fmnist` preset: float32(v) * float32(1/255)."""
    return pixels.astype(np.float32) * SCALE


class ImageReader(CalibrationDataReader):
    """Feeds the calibration images one per run ([1, 1, 28, 28]), in file order."""

    def __init__(self, x: np.ndarray):
        self.x = x
        self.i = 0

    def get_next(self):
        if self.i >= len(self.x):
            return None
        self.i += 1
        return {"input": self.x[self.i - 1:self.i]}

    def rewind(self):
        self.i = 0

    def __len__(self):
        return len(self.x)


# ---------------------------------------------------------------------------------------------------- evaluation

def session(model: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = EVAL_THREADS
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def eval_cnn(model: Path, data) -> dict:
    x, y = data
    s = session(model)
    correct = 0
    for i in range(0, len(x), 200):
        logits = s.run(None, {"input": preprocess(x[i:i + 200])})[0]
        correct += int((logits.argmax(1) == y[i:i + 200]).sum())
    return {"correct": correct, "count": len(x), "accuracy": correct / len(x)}


_FINEFOODS = None


def finefoods_data():
    global _FINEFOODS
    if _FINEFOODS is None:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

        tok = BertTokenizerLegacy(vocab_file=str(REPO / "Datasets/vocab/minilm-vocab.txt"), do_lower_case=True)
        with open(REPO / "Datasets/fine-foods/test.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        ids = [tok(r["review"], truncation=True, max_length=128)["input_ids"] for r in rows]
        labels = np.array([["great", "other"].index(r["score"]) for r in rows])
        _FINEFOODS = (ids, labels)
    return _FINEFOODS


def eval_finefoods(model: Path) -> dict:
    ids, labels = finefoods_data()
    s = session(model)
    preds = [int(s.run(None, {"input_ids": np.array([t], np.int64)})[0].argmax(1)[0]) for t in ids]
    correct = int((np.array(preds) == labels).sum())
    return {"correct": correct, "count": len(labels), "accuracy": correct / len(labels)}


def persuasion_windows() -> np.ndarray:
    data = (REPO / "Datasets/austen/austen_persuasion.txt").read_bytes()
    n = len(data) // 128
    return np.frombuffer(data[:n * 128], np.uint8).astype(np.int64).reshape(n, 128)


def eval_lm(model: Path, windows: np.ndarray) -> dict:
    """Per-window NLL sums (float64) -> the whole-book figure and the first-256-windows figure."""
    s = session(model)
    per_window = []
    for i in range(0, len(windows), 64):
        x = windows[i:i + 64]
        logits = s.run(None, {"input_ids": x})[0].astype(np.float64)[:, :-1]
        m = logits.max(-1, keepdims=True)
        logp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
        per_window.extend(-np.take_along_axis(logp, x[:, 1:, None], 2)[..., 0].sum(1))
    per_window = np.array(per_window)
    out = {}
    for key, k in (("persuasion", len(windows)), ("persuasion_first_256_windows", 256)):
        total, count = float(per_window[:k].sum()), k * 127
        out[key] = {"windows": k, "predicted_bytes": count, "nll_sum": total, "perplexity": math.exp(total / count),
                    "bits_per_byte": total / count / math.log(2)}
    return out


# ---------------------------------------------------------------------------------------------------- quantizing

def fmt(v) -> str:
    if isinstance(v, (QuantFormat, QuantType, CalibrationMethod)):
        return f"{type(v).__name__}.{v.name}"
    return repr(v)


def call_text(fn: str, args: list[str], kwargs: dict) -> str:
    return f"{fn}(" + ", ".join(args + [f"{k}={fmt(v)}" for k, v in kwargs.items()]) + ")"


def operators(model: onnx.ModelProto) -> dict:
    c = collections.Counter(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}"
                            for n in model.graph.node)
    return dict(sorted(c.items()))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def variant_specs(name: str):
    """(variant, function, kwargs) for one model, in the order written."""
    dynamic = dict(per_channel=False, reduce_range=False, weight_type=QuantType.QInt8, use_external_data_format=False)
    if name in CNNS:
        static = dict(per_channel=True, reduce_range=False, activation_type=QuantType.QUInt8,
                      weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                      use_external_data_format=False)
        return [("ort-int8-qdq", "quantize_static", dict(quant_format=QuantFormat.QDQ, **static)),
                ("ort-int8-qop", "quantize_static", dict(quant_format=QuantFormat.QOperator, **static)),
                ("ort-int8-dynamic", "quantize_dynamic", dynamic)]
    return [("ort-int8-dynamic", "quantize_dynamic", dynamic)]


def process(name: str, calib: np.ndarray | None, cnn_data, lm_windows) -> None:
    folder = REPO / "Models" / name
    src = folder / "model.onnx"
    card_path = folder / "card.json"
    if not src.is_file() or not card_path.is_file():
        raise SystemExit(f"missing {rel(src)} or {rel(card_path)}: train the model first (see Models/README.md)")
    card = json.loads(card_path.read_text())
    src_sha = sha256_file(src)
    if src_sha != card["onnx"]["sha256"]:
        raise SystemExit(f"{rel(src)}: sha256 {src_sha} differs from its card ({card['onnx']['sha256']})")
    print(f"== {name}", flush=True)

    if name in CNNS:
        evaluate = lambda p: eval_cnn(p, cnn_data)  # noqa: E731
        eval_desc = {"dataset": "Datasets/fashion-mnist-test-200", "kind": "image-classification", "metric": "top-1",
                     "preprocessing": "fmnist preset: float32(v) * float32(1/255), NCHW, batches of 200",
                     "card_fp32": {"onnxruntime_correct": card["fp32"]["test_200_per_class"]["onnxruntime_correct"],
                                   "count": card["fp32"]["test_200_per_class"]["count"]}}
    elif name == "finefoods-transformer":
        evaluate = eval_finefoods
        eval_desc = {"dataset": "Datasets/fine-foods/test.csv", "kind": "text-classification", "metric": "top-1",
                     "preprocessing": "WordPiece (transformers BertTokenizerLegacy, Datasets/vocab/minilm-vocab.txt, "
                                      "lower-cased), [CLS] text [SEP], max length 128, one review per run, no padding",
                     "card_fp32": {"onnxruntime_correct": card["fp32"]["test_1000"]["onnxruntime_correct"],
                                   "count": card["fp32"]["test_1000"]["count"]}}
    else:
        evaluate = lambda p: eval_lm(p, lm_windows)  # noqa: E731
        fp, first = card["fp32"], card["fp32"]["persuasion_first_256_windows"]
        eval_desc = {"dataset": "Datasets/austen/austen_persuasion.txt", "kind": "perplexity", "window": 128,
                     "preprocessing": "UTF-8 bytes, consecutive 128-byte windows (tail dropped), every byte after the "
                                      "first of a window predicted, NLL summed in float64, batches of 64",
                     "card_fp32": {"persuasion": {"onnxruntime_nll_sum": fp["persuasion"]["onnxruntime_nll_sum"],
                                                  "onnxruntime_perplexity": fp["persuasion"]["onnxruntime_perplexity"]},
                                   "persuasion_first_256_windows": {
                                       "onnxruntime_nll_sum": first["onnxruntime_nll_sum"],
                                       "onnxruntime_perplexity": first["onnxruntime_perplexity"]}}}
    eval_desc["session"] = (f"onnxruntime.InferenceSession, CPUExecutionProvider, default graph optimizations, "
                            f"intra_op_num_threads={EVAL_THREADS}, inter_op_num_threads=1")
    t = time.time()
    eval_desc["fp32_onnxruntime"] = evaluate(src)
    print(f"  fp32 model.onnx: {summary(eval_desc['fp32_onnxruntime'])} ({time.time() - t:.0f} s)", flush=True)

    variants = []
    with tempfile.TemporaryDirectory(prefix="qb-ort-variants.") as tmp:
        tmp = Path(tmp)
        pre = tmp / "pre.onnx"
        pre_kwargs = PRE_PROCESS_OPTIONS.get(name, {})
        pre_error = None
        # When symbolic shape inference stops, onnxruntime saves sym_shape_infer_temp.onnx (and its external data)
        # into the working directory: run it from the temporary folder (every path here is absolute).
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            quant_pre_process(str(src), str(pre), **pre_kwargs)
        except Exception as e:  # noqa: BLE001 - reported below for a text model, fatal for a CNN
            if name in CNNS:
                raise
            pre_error = e
        finally:
            os.chdir(cwd)
        for variant, fn, kwargs in variant_specs(name):
            out_tmp = tmp / f"{variant}.onnx"
            dest = folder / f"{variant}.onnx"
            entry = {"name": variant, "file": dest.name, "quantizer": {"function": f"onnxruntime.quantization.{fn}"}}
            if fn == "quantize_static":
                args = ["model_input=<quant_pre_process output>", "model_output=<temporary file>",
                        "calibration_data_reader=<the calibration images, one per run>"]
                entry["calibration"] = {
                    "dataset": rel(CALIB_IMAGES), "count": CALIB_COUNT,
                    "selection": f"the first {CALIB_COUNT} images in file order (ascending training index)",
                    "preprocessing": "fmnist preset: float32(v) * float32(1/255)", "batch": 1}
            else:
                args = ["model_input=<quant_pre_process output>", "model_output=<temporary file>"]
                entry["calibration"] = None
            entry["quantizer"]["call"] = call_text(fn, args, kwargs)
            entry["quantizer"]["options"] = {k: fmt(v) if not isinstance(v, bool) else v for k, v in kwargs.items()}
            entry["quantizer"]["defaults_left"] = ("op_types_to_quantize, nodes_to_quantize, nodes_to_exclude, "
                                                   "extra_options: None (every operator type the quantizer supports)")
            try:
                if pre_error is not None:
                    raise pre_error
                if fn == "quantize_static":
                    quantize_static(str(pre), str(out_tmp), ImageReader(calib), **kwargs)
                else:
                    quantize_dynamic(str(pre), str(out_tmp), **kwargs)
                t = time.time()
                result = evaluate(out_tmp)
            except Exception as e:  # noqa: BLE001 - a text model onnxruntime cannot quantize or run is skipped
                if name in CNNS:
                    raise
                stage = "quant_pre_process" if pre_error is not None else fn
                msg = f"{stage}: {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
                print(f"  {variant}: SKIPPED, onnxruntime failed: {msg}", flush=True)
                entry["skipped"] = f"onnxruntime {ort.__version__} failed: {msg}"
                dest.unlink(missing_ok=True)
                variants.append(entry)
                continue
            data = out_tmp.read_bytes()
            model = onnx.load_from_string(data)
            old = sha256_file(dest) if dest.is_file() else None
            write_bytes_atomic(dest, data)
            sha = hashlib.sha256(data).hexdigest()
            entry.update({
                "bytes": len(data), "sha256": sha, "onnxruntime": ort.__version__,
                "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
                "producer": f"{model.producer_name} {model.producer_version}",
                "operators": operators(model), "nodes": len(model.graph.node),
                "onnxruntime_eval": result})
            variants.append(entry)
            change = "new" if old is None else ("unchanged" if old == sha else "CHANGED")
            print(f"  {dest.name}: {len(data):,} bytes, sha256 {sha[:16]} ({change}); {summary(result)} "
                  f"({time.time() - t:.0f} s)\n    {entry['operators']}", flush=True)

    pre_call = call_text("quant_pre_process",
                         [f"input_model=Models/{name}/model.onnx", "output_model_path=<temporary file>"], pre_kwargs)
    write_json(folder / "ort-variants.json", {
        "model": name,
        "source": {"file": "model.onnx", "bytes": src.stat().st_size, "sha256": src_sha},
        "made_by": {"script": "scripts/make_ort_variants.py", "command": "python3 scripts/make_ort_variants.py",
                    "onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                    "python": platform.python_version()},
        "pre_process": {"call": pre_call,
                        "what": "onnxruntime.quantization.shape_inference.quant_pre_process: symbolic shape inference "
                                "(auto_merge for the text models, whose default run stops with 'Incomplete symbolic "
                                "shape inference'), onnxruntime basic graph optimizations, ONNX shape inference"},
        "operator_names": "counts of graph nodes by op type: default-domain ops by bare name, others as domain.OpType",
        "eval": eval_desc,
        "variants": variants,
    })
    print(f"  wrote {rel(folder / 'ort-variants.json')}", flush=True)


def summary(r: dict) -> str:
    if "correct" in r:
        return f"top-1 {r['correct']}/{r['count']} ({100 * r['accuracy']:.2f}%)"
    p, f = r["persuasion"], r["persuasion_first_256_windows"]
    return f"perplexity {p['perplexity']:.4f} (first 256 windows {f['perplexity']:.4f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", default=CNNS + TEXT, help="model folders under Models/ (default: all four)")
    args = ap.parse_args()
    for m in args.models:
        if m not in CNNS + TEXT:
            raise SystemExit(f"unknown model {m!r}: choose from {', '.join(CNNS + TEXT)}")
    calib = cnn_data = lm_windows = None
    if any(m in CNNS for m in args.models):
        if not CALIB_IMAGES.is_file():
            raise SystemExit(f"missing {rel(CALIB_IMAGES)}: run scripts/make_calibration_set.py")
        calib = preprocess(idx_images(CALIB_IMAGES, CALIB_COUNT))
        cnn_data = fmnist_test_200()
    if "austen-lm" in args.models:
        lm_windows = persuasion_windows()
    for m in args.models:
        process(m, calib, cnn_data, lm_windows)


if __name__ == "__main__":
    main()
