#!/usr/bin/env python3
"""Engine test fixtures: small ONNX models of the suite's architecture families, with inputs made
from the committed real data and the outputs onnxruntime computes for them.

Writes Tests/Fixtures/onnx/<model>.onnx, <model>.input.npy, <model>.ort.npy and manifest.json:
- resnet_tiny: ResNet basic blocks (Conv-BN-ReLU, residual Add, a stride-2 downsampling stage with a 1x1
  projection), global average pooling, Linear; input 1x28x28 (Fashion-MNIST test images).
- mobilenet_tiny: MobileNetV2 inverted residuals (1x1 expand, 3x3 depthwise, 1x1 project) with ReLU6 and
  HardSwish; input 3x32x32 (real photos, center crops resized with Pillow).
- transformer_tiny: token embedding + learned positions, 2 pre-norm encoder layers (multi-head
  self-attention, GELU MLP, LayerNorm), mean pooling, Linear; input int64 byte tokens of Fine Foods reviews.
The weights are seeded random (these are fixtures for the engine, not the model zoo). Exported with
torch.onnx (TorchScript exporter, opset 17, dynamic batch). onnxruntime runs each with
ORT_DISABLE_ALL optimizations on one thread.

    pip install /opt/wheels/torch-*.whl onnx onnxruntime pillow numpy
    python3 scripts/make_engine_fixtures.py
"""
import gzip
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
from PIL import Image

from _torch_models import EncoderLayer, InvertedResidual, ResidualBlock

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests" / "Fixtures" / "onnx"


class ResNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layers = nn.Sequential(ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 32, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class MobileNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, nn.ReLU6), InvertedResidual(16, 24, 2, nn.ReLU6),
            InvertedResidual(24, 24, 1, nn.Hardswish), InvertedResidual(24, 32, 2, nn.Hardswish))
        self.head = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.Hardswish())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(x.mean((2, 3)))


class TransformerTiny(nn.Module):
    def __init__(self, vocab=256, d=64, heads=4, layers=2, seq=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.layers = nn.Sequential(*[EncoderLayer(d, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 2)

    def forward(self, ids):
        x = self.embed(ids) + self.pos[:, : ids.shape[1]]
        x = self.norm(self.layers(x))
        return self.fc(x.mean(1))


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d,)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def fmnist_inputs(n):
    raw = gzip.open(REPO / "Tests/Fixtures/idx/fmnist-test-first100-images-idx3-ubyte.gz").read()[16:]
    x = np.frombuffer(raw, dtype=np.uint8).reshape(100, 1, 28, 28)[:n].astype(np.float32) / 255.0
    return x


def photo_inputs(n):
    files = sorted((REPO / "Datasets/photos/images").iterdir())[:n]
    out = []
    for f in files:
        im = Image.open(f).convert("RGB")
        s = min(im.size)
        im = im.crop(((im.width - s) // 2, (im.height - s) // 2, (im.width - s) // 2 + s, (im.height - s) // 2 + s)).resize((32, 32), Image.BILINEAR)
        x = np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0
        out.append((x - np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]) / np.array([0.229, 0.224, 0.225], np.float32)[:, None, None])
    return np.stack(out).astype(np.float32)


def text_inputs(n, seq=32):
    import csv
    rows = list(csv.DictReader(open(REPO / "Datasets/fine-foods/test.csv", encoding="utf-8", newline="")))[:n]
    ids = np.zeros((n, seq), dtype=np.int64)
    for i, r in enumerate(rows):
        b = list(r["review"].encode("utf-8"))[:seq]
        ids[i, : len(b)] = b
    return ids


def export(name, model, x, dynamic_names):
    model.eval()
    path = OUT / f"{name}.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.from_numpy(x),), str(path), opset_version=17, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"input": x})[0]
    with torch.no_grad():
        t = model(torch.from_numpy(x)).numpy()
    np.save(OUT / f"{name}.input.npy", x)
    np.save(OUT / f"{name}.ort.npy", y)
    return {"model": f"{name}.onnx", "input": f"{name}.input.npy", "output": f"{name}.ort.npy", "input_shape": list(x.shape),
            "output_shape": list(y.shape), "torch_vs_ort_max_abs": float(np.abs(t - y).max()),
            "output_range": float(y.max() - y.min()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    entries = []
    r = ResNetTiny(); randomize_bn(r, gen)
    entries.append(export("resnet_tiny", r, fmnist_inputs(8), ["batch"]))
    m = MobileNetTiny(); randomize_bn(m, gen)
    entries.append(export("mobilenet_tiny", m, photo_inputs(8), ["batch"]))
    t = TransformerTiny()
    entries.append(export("transformer_tiny", t, text_inputs(8), ["batch"]))
    meta = {"torch": torch.__version__, "onnxruntime": ort.__version__, "opset": 17, "models": entries}
    (OUT / "manifest.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
