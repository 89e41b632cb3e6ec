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

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests" / "Fixtures" / "onnx"


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layers = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 32, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, act):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), act(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), act(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class MobileNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, 4, nn.ReLU6), InvertedResidual(16, 24, 2, 4, nn.ReLU6),
            InvertedResidual(24, 24, 1, 4, nn.Hardswish), InvertedResidual(24, 32, 2, 4, nn.Hardswish))
        self.head = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.Hardswish())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(x.mean((2, 3)))


class EncoderLayer(nn.Module):
    """Pre-norm encoder layer written out (multi-head attention as MatMul/Softmax), as exporters emit it."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        h = self.heads
        q = q.reshape(b, t, h, d // h).transpose(1, 2)
        k = k.reshape(b, t, h, d // h).transpose(1, 2)
        v = v.reshape(b, t, h, d // h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-2, -1) / (d // h) ** 0.5, dim=-1)
        y = (a @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


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
