#!/usr/bin/env python3
"""Trains a project CNN on the 60,000 Fashion-MNIST training images and exports it to ONNX.

    python3 scripts/train_fmnist.py --arch resnet      # -> Models/fmnist-resnet/model.onnx + card.json
    python3 scripts/train_fmnist.py --arch mobilenet   # -> Models/fmnist-mobilenet/model.onnx + card.json

Data: Debian dataset-fashion-mnist (scripts/fetch_fashion_mnist.sh, run automatically when missing, puts the
IDX files in Datasets/cache/fashion-mnist/). Input: 1x28x28, pixel/255 (QuantBench's `fmnist` preset). Seeded
(torch, numpy), one CPU thread per core; a few minutes on 2 cores. Records the FP32 test accuracy measured
by PyTorch and by onnxruntime (on the 10,000 test images and on the committed 2,000-image subset).

Architectures:
- resnet: ResNet-style (He et al. 2016) basic blocks with BatchNorm: stem 3x3 conv (16), a block at 16
  channels, a block at 32 (stride 2, 1x1 projection shortcut), a block at 64 (stride 2, projection), global
  average pooling, linear.
- mobilenet: MobileNetV2-style (Sandler et al. 2018) inverted residuals (1x1 expand x4, 3x3 depthwise, 1x1
  linear projection) with ReLU6 in the early blocks and HardSwish (MobileNetV3) later.
"""
import argparse
import gzip
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

from _torch_models import InvertedResidual, ResidualBlock

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "Datasets/cache/fashion-mnist"


def load_idx(images, labels):
    x = np.frombuffer(gzip.open(images).read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28)
    y = np.frombuffer(gzip.open(labels).read()[8:], dtype=np.uint8).astype(np.int64)
    return x, y


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layers = nn.Sequential(ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, nn.ReLU6), InvertedResidual(16, 24, 2, nn.ReLU6), InvertedResidual(24, 24, 1, nn.ReLU6),
            InvertedResidual(24, 40, 2, nn.Hardswish), InvertedResidual(40, 40, 1, nn.Hardswish), InvertedResidual(40, 48, 1, nn.Hardswish))
        self.head = nn.Sequential(nn.Conv2d(48, 128, 1, bias=False), nn.BatchNorm2d(128), nn.Hardswish())
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def accuracy_torch(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch].astype(np.float32) / 255.0)
            correct += int((model(xb).argmax(1).numpy() == y[i:i + batch]).sum())
    return correct


def accuracy_ort(path, x, y, batch=1000):
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    correct = 0
    for i in range(0, len(x), batch):
        logits = s.run(None, {"input": x[i:i + batch].astype(np.float32) / 255.0})[0]
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    return correct


def subset_200():
    """The committed Datasets/fashion-mnist-test-200 subset: the first 200 test images of each class."""
    x, y = load_idx(CACHE / "t10k-images-idx3-ubyte.gz", CACHE / "t10k-labels-idx1-ubyte.gz")
    idx = np.concatenate([np.nonzero(y == c)[0][:200] for c in range(10)])
    return x[idx], y[idx]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["resnet", "mobilenet"], required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not (CACHE / "train-images-idx3-ubyte.gz").exists():
        import subprocess
        print(f"{CACHE} has no Fashion-MNIST files: running scripts/fetch_fashion_mnist.sh", flush=True)
        subprocess.run(["bash", str(REPO / "scripts/fetch_fashion_mnist.sh")], check=True)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    xtr, ytr = load_idx(CACHE / "train-images-idx3-ubyte.gz", CACHE / "train-labels-idx1-ubyte.gz")
    xte, yte = load_idx(CACHE / "t10k-images-idx3-ubyte.gz", CACHE / "t10k-labels-idx1-ubyte.gz")
    model = ResNet() if args.arch == "resnet" else MobileNet()
    params = sum(p.numel() for p in model.parameters())
    steps_per_epoch = len(xtr) // 128
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * steps_per_epoch)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(xtr))
        total = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * 128:(s + 1) * 128]
            xb = torch.from_numpy(xtr[idx].astype(np.float32) / 255.0)
            # Light augmentation: random horizontal flips.
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            xb[flip] = xb[flip].flip(-1)
            loss = F.cross_entropy(model(xb), torch.from_numpy(ytr[idx]), label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc = accuracy_torch(model, xte, yte) / len(xte)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / steps_per_epoch:.4f}, test accuracy {acc:.4f}, {time.time() - start:.0f} s", flush=True)
    model.eval()
    out = REPO / "Models" / f"fmnist-{args.arch}"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(1, 1, 28, 28),), str(path), opset_version=17, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))
    xs, ys = subset_200()
    card = {
        "name": f"fmnist-{args.arch}",
        "task": "image classification, 10 classes (Fashion-MNIST)",
        "architecture": "ResNet-style basic blocks with BatchNorm" if args.arch == "resnet" else "MobileNetV2-style inverted residuals, depthwise 3x3, ReLU6 and HardSwish",
        "training": {"script": "scripts/train_fmnist.py", "command": f"python3 scripts/train_fmnist.py --arch {args.arch}",
                     "data": "Fashion-MNIST train, 60,000 images (Debian dataset-fashion-mnist)", "epochs": args.epochs, "seed": args.seed,
                     "optimizer": "AdamW lr 3e-3 one-cycle, weight decay 1e-4, batch 128, label smoothing 0.05, random horizontal flips",
                     "seconds": round(time.time() - start), "torch": torch.__version__},
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "preprocessing": "fmnist preset: pixel / 255"},
        "output": {"name": "logits", "shape": ["batch", 10]},
        "parameters": params,
        "eval": {"kind": "image-classification", "dataset": "Datasets/fashion-mnist-test-200", "preset": "fmnist"},
        "onnx": {"file": "model.onnx", "opset": 17, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        "fp32": {
            "test_10000": {"pytorch_correct": accuracy_torch(model, xte, yte), "onnxruntime_correct": accuracy_ort(path, xte, yte), "count": len(xte)},
            "test_200_per_class": {"dataset": "Datasets/fashion-mnist-test-200", "pytorch_correct": accuracy_torch(model, xs, ys),
                                   "onnxruntime_correct": accuracy_ort(path, xs, ys), "count": len(xs)},
        },
        "license": "MIT (QuantBench project); trained on Fashion-MNIST (MIT, Zalando Research)",
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
