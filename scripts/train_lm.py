#!/usr/bin/env python3
"""Trains the project's byte-level transformer language model on five Jane Austen novels and exports it.

    python3 scripts/train_lm.py      # -> Models/austen-lm/model.onnx + card.json

Data: Datasets/austen/ (janeaustenr). Training text: Emma, Mansfield Park, Northanger Abbey, Pride and
Prejudice, Sense and Sensibility (concatenated, UTF-8 bytes); held out: Persuasion. Tokens are bytes
(vocabulary 256). Model: GPT-style decoder, context 128, embedding 128 + learned positions, 3 pre-norm layers,
4 heads, GELU MLP 512, causal attention (an additive mask constant sliced to the sequence length), tied output
projection. Evaluation: Persuasion cut into consecutive, non-overlapping 128-byte windows (the tail dropped);
in each window every byte after the first is predicted from the bytes before it in the window; perplexity
= exp(mean negative log-likelihood), also given in bits per byte.
"""
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

from _torch_models import EncoderLayer

REPO = Path(__file__).resolve().parent.parent
CTX = 128
TRAIN = ["emma", "mansfieldpark", "northangerabbey", "prideprejudice", "sensesensibility"]
HELD_OUT = "persuasion"
FIRST = 256  # windows in the quick figure the debug-build tests reproduce


class ByteLM(nn.Module):
    def __init__(self, d=128, heads=4, layers=3):
        super().__init__()
        self.embed = nn.Embedding(256, d)
        self.pos = nn.Parameter(torch.randn(1, CTX, d) * 0.02)
        self.layers = nn.ModuleList([EncoderLayer(d, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        causal = torch.full((CTX, CTX), -1e9).triu(1)
        self.register_buffer("mask", causal[None, None])

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids) + self.pos[:, :t]
        mask = self.mask[:, :, :t, :t]
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x) @ self.embed.weight.t()


def windows(data):
    n = len(data) // CTX
    return np.frombuffer(data[: n * CTX], dtype=np.uint8).astype(np.int64).reshape(n, CTX)


def nll_torch(model, w, batch=64):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(w), batch):
            x = torch.from_numpy(w[i:i + batch])
            logp = F.log_softmax(model(x), dim=-1)[:, :-1]
            total += float(-logp.gather(2, x[:, 1:, None]).sum(dtype=torch.float64))
            count += x[:, 1:].numel()
    return total, count


def nll_ort(path, w, batch=64):
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    total, count = 0.0, 0
    for i in range(0, len(w), batch):
        x = w[i:i + batch]
        logits = s.run(None, {"input_ids": x})[0].astype(np.float64)[:, :-1]
        m = logits.max(-1, keepdims=True)
        logp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
        total += float(-np.take_along_axis(logp, x[:, 1:, None], 2).sum())
        count += x[:, 1:].size
    return total, count


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    text = b"".join((REPO / f"Datasets/austen/austen_{n}.txt").read_bytes() for n in TRAIN)
    train = np.frombuffer(text, dtype=np.uint8).astype(np.int64)
    held = (REPO / f"Datasets/austen/austen_{HELD_OUT}.txt").read_bytes()
    model = ByteLM()
    params = sum(p.numel() for p in model.parameters())
    steps, batch = 2400, 32
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    start = time.time()
    for step in range(steps):
        model.train()
        starts = rng.integers(0, len(train) - CTX - 1, size=batch)
        x = torch.from_numpy(np.stack([train[s:s + CTX + 1] for s in starts]))
        loss = F.cross_entropy(model(x[:, :-1]).reshape(-1, 256), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % 200 == 0:
            print(f"step {step + 1}/{steps}: loss {loss.item():.4f} ({loss.item() / math.log(2):.3f} bits/byte), {time.time() - start:.0f} s", flush=True)
    model.eval()
    out = REPO / "Models/austen-lm"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(1, CTX, dtype=torch.int64),), str(path), opset_version=17, input_names=["input_ids"],
                          output_names=["logits"], dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))
    w = windows(held)
    tt, tc = nll_torch(model, w)
    ot, oc = nll_ort(path, w)
    ft, fc = nll_ort(path, w[:FIRST])
    card = {
        "name": "austen-lm",
        "task": "byte-level language modelling (perplexity), Jane Austen",
        "architecture": "GPT-style decoder: byte embedding 128 + learned positions, 3 pre-norm layers, 4 heads, GELU MLP 512, causal mask, tied output",
        "training": {"script": "scripts/train_lm.py", "command": "python3 scripts/train_lm.py", "data": "Datasets/austen: " + ", ".join(TRAIN),
                     "tokens_seen": steps * batch * CTX, "steps": steps, "batch": batch, "context": CTX, "seed": 0,
                     "optimizer": "AdamW lr 2e-3 one-cycle, weight decay 0.01, gradient clip 1", "seconds": round(time.time() - start), "torch": torch.__version__},
        "input": {"name": "input_ids", "shape": ["batch", "sequence <= 128"], "type": "int64", "tokenization": "UTF-8 bytes"},
        "output": {"name": "logits", "shape": ["batch", "sequence", 256]},
        "parameters": params,
        "onnx": {"file": "model.onnx", "opset": 17, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        "eval": {"kind": "perplexity", "dataset": f"Datasets/austen/austen_{HELD_OUT}.txt", "window": CTX},
        "fp32": {"persuasion": {
            "windows": len(w), "predicted_bytes": tc,
            "pytorch_nll_sum": tt, "pytorch_perplexity": math.exp(tt / tc), "pytorch_bits_per_byte": tt / tc / math.log(2),
            "onnxruntime_nll_sum": ot, "onnxruntime_perplexity": math.exp(ot / oc), "onnxruntime_bits_per_byte": ot / oc / math.log(2)},
            "persuasion_first_256_windows": {"windows": FIRST, "predicted_bytes": fc, "onnxruntime_nll_sum": ft,
                                             "onnxruntime_perplexity": math.exp(ft / fc)}},
        "license": "MIT (QuantBench project); trained on Jane Austen's novels (public domain) as packaged in R janeaustenr (MIT)",
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card["fp32"], indent=2))


if __name__ == "__main__":
    main()
