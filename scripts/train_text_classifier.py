#!/usr/bin/env python3
"""Trains the project's transformer text classifier on the Fine Foods training reviews and exports it.

    python3 scripts/train_text_classifier.py      # -> Models/finefoods-transformer/model.onnx + card.json

Tokens: WordPiece with the all-MiniLM-L6-v2 vocabulary (Datasets/vocab/minilm-vocab.txt, lower-cased, the
tokenizer QuantBench implements), [CLS] review [SEP], truncated to 128. The model takes the full-vocabulary
ids; inside the graph a Gather maps them to the ~N tokens seen in training (others to [UNK]), so the
embedding stays small. Architecture: embedding 64 + learned positions, 2 pre-norm encoder layers (4 heads,
GELU MLP 256), final LayerNorm, mean over the tokens, linear to 2 classes (great, other). Inference runs one
review at a time at its own length (no padding), which is how QuantBench and onnxruntime evaluate it;
training pads batches and masks the padding, which computes the same function.
"""
import csv
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from _torch_models import EncoderLayer

REPO = Path(__file__).resolve().parent.parent
CLASSES = ["great", "other"]
MAXLEN = 128


def read(split):
    with open(REPO / f"Datasets/fine-foods/{split}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["review"] for r in rows], np.array([CLASSES.index(r["score"]) for r in rows])


class Classifier(nn.Module):
    def __init__(self, id_map, compact, d=64, heads=4, layers=2):
        super().__init__()
        self.register_buffer("id_map", torch.from_numpy(id_map))
        self.embed = nn.Embedding(compact, d)
        self.pos = nn.Parameter(torch.randn(1, MAXLEN, d) * 0.02)
        self.layers = nn.ModuleList([EncoderLayer(d, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 2)

    def forward(self, ids, mask=None):
        x = self.embed(self.id_map[ids]) + self.pos[:, : ids.shape[1]]
        bias = None if mask is None else ((1.0 - mask[:, None, None, :]) * -1e9)
        for layer in self.layers:
            x = layer(x, bias)
        x = self.norm(x)
        if mask is None:
            return self.fc(x.mean(1))
        return self.fc((x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True))


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tok = BertTokenizerLegacy(vocab_file=str(REPO / "Datasets/vocab/minilm-vocab.txt"), do_lower_case=True)
    train_text, train_y = read("train")
    test_text, test_y = read("test")
    enc = lambda texts: [tok(t, truncation=True, max_length=MAXLEN)["input_ids"] for t in texts]
    train_ids, test_ids = enc(train_text), enc(test_text)
    vocab_size = len(tok.vocab)
    seen = sorted({i for s in train_ids for i in s} | {tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.pad_token_id})
    compact = {full: c for c, full in enumerate(seen)}
    id_map = np.full(vocab_size, compact[tok.unk_token_id], dtype=np.int64)
    for full, c in compact.items():
        id_map[full] = c
    model = Classifier(id_map, len(seen))
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    epochs, batch = 12, 32
    steps = epochs * ((len(train_ids) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=steps)
    start = time.time()

    def evaluate_torch(ids_list, ys):
        model.eval()
        with torch.no_grad():
            preds = [int(model(torch.tensor([ids])).argmax(1)) for ids in ids_list]
        return int((np.array(preds) == ys).sum()), preds

    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(train_ids))
        total = 0.0
        for i in range(0, len(order), batch):
            chunk = [train_ids[j] for j in order[i:i + batch]]
            t = max(len(c) for c in chunk)
            ids = torch.tensor([c + [tok.pad_token_id] * (t - len(c)) for c in chunk])
            mask = torch.tensor([[1.0] * len(c) + [0.0] * (t - len(c)) for c in chunk])
            loss = F.cross_entropy(model(ids, mask), torch.from_numpy(train_y[order[i:i + batch]]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        correct, _ = evaluate_torch(test_ids, test_y)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / (len(order) / batch):.4f}, test accuracy {correct / len(test_y):.4f}, {time.time() - start:.0f} s", flush=True)

    model.eval()
    out = REPO / "Models/finefoods-transformer"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (torch.tensor([test_ids[0]]),), str(path), opset_version=17, input_names=["input_ids"],
                          output_names=["logits"], dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}}, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))
    torch_correct, torch_preds = evaluate_torch(test_ids, test_y)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ort_preds = [int(sess.run(None, {"input_ids": np.array([ids], dtype=np.int64)})[0].argmax(1)[0]) for ids in test_ids]
    card = {
        "name": "finefoods-transformer",
        "task": "text classification, 2 classes (great, other): Amazon Fine Foods reviews",
        "architecture": "transformer encoder: WordPiece embedding (vocabulary compacted in-graph by a Gather) 64 + learned positions, 2 pre-norm layers, 4 heads, GELU MLP 256, mean pooling, linear",
        "training": {"script": "scripts/train_text_classifier.py", "command": "python3 scripts/train_text_classifier.py",
                     "data": "Datasets/fine-foods/train.csv (4,000 reviews)", "epochs": epochs, "batch": batch, "seed": 0,
                     "optimizer": "AdamW lr 1e-3 one-cycle, weight decay 0.05", "seconds": round(time.time() - start), "torch": torch.__version__},
        "input": {"name": "input_ids", "shape": ["batch", "sequence"], "type": "int64",
                  "tokenization": "WordPiece, Datasets/vocab/minilm-vocab.txt, lower-cased, [CLS] text [SEP], max length 128; one review per run, no padding"},
        "output": {"name": "logits", "shape": ["batch", 2], "classes": CLASSES},
        "parameters": params,
        "vocabulary_in_graph": len(seen),
        "onnx": {"file": "model.onnx", "opset": 17, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        "eval": {"kind": "text-classification", "dataset": "Datasets/fine-foods/test.csv", "text_column": "review", "label_column": "score",
                 "classes": CLASSES, "vocabulary": "Datasets/vocab/minilm-vocab.txt", "max_length": MAXLEN},
        "fp32": {"test_1000": {"pytorch_correct": torch_correct, "onnxruntime_correct": int((np.array(ort_preds) == test_y).sum()),
                               "count": len(test_y), "majority_class_correct": int((test_y == 0).sum())}},
        "license": "MIT (QuantBench project); trained on Amazon Fine Foods reviews as packaged in R modeldata (MIT)",
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card["fp32"], indent=2))


if __name__ == "__main__":
    main()
