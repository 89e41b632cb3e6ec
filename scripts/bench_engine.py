#!/usr/bin/env python3
"""The engine's FP32 speed beside its peers, in one run, interleaved: GEMM GFLOP/s at 256, 512 and 1024
against NumPy (OpenBLAS), and end-to-end latency of each reference model against onnxruntime, with the
same thread count (1 and 2). Medians over rounds; ratios are what to quote (the machine is shared).

Run from the project folder after `swift build -c release`:
    pip install numpy onnxruntime threadpoolctl
    python3 scripts/bench_engine.py [--rounds 5]
Writes Reports/bench-engine.md and .json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import isa_note, median_seconds, ort_seconds, write_report  # noqa: E402

BIN = ".build/release/quantbench"
FIX = "Tests/Fixtures/onnx"


def numpy_gemm(n, threads, reps=7):
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        return 2 * n ** 3 / median_seconds(lambda: a @ b, reps) / 1e9


def qb_gemm(threads):
    out = subprocess.run([BIN, "bench", "gemm", "--threads", str(threads)], check=True, capture_output=True, text=True).stdout
    return {json.loads(l)["size"]: json.loads(l)["gflops"] for l in out.strip().splitlines()}


def ort_latency(model, x, threads, runs=20):
    return ort_seconds(model, x, threads, runs) * 1e3


def qb_latency(model, inp, threads):
    out = subprocess.run([BIN, "bench", "model", model, "--input", inp, "--threads", str(threads)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms"]


def zoo_inputs(tmp):
    """Inputs for the committed zoo models (batch 8 images, one review, 8 windows of text), as .npy files."""
    import csv, gzip
    out = []
    raw = gzip.open("Tests/Fixtures/idx/fmnist-test-first100-images-idx3-ubyte.gz").read()[16:]
    x = np.frombuffer(raw, dtype=np.uint8).reshape(100, 1, 28, 28)[:8].astype(np.float32) / 255.0
    for name in ("fmnist-resnet", "fmnist-mobilenet"):
        if os.path.exists(f"Models/{name}/model.onnx"):
            np.save(os.path.join(tmp, f"{name}.npy"), x)
            out.append((f"Models/{name}/model.onnx", os.path.join(tmp, f"{name}.npy")))
    if os.path.exists("Models/finefoods-transformer/model.onnx"):
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
        tok = BertTokenizerLegacy(vocab_file="Datasets/vocab/minilm-vocab.txt", do_lower_case=True)
        review = next(csv.DictReader(open("Datasets/fine-foods/test.csv", encoding="utf-8", newline="")))["review"]
        np.save(os.path.join(tmp, "text.npy"), np.array([tok(review, truncation=True, max_length=128)["input_ids"]], dtype=np.int64))
        out.append(("Models/finefoods-transformer/model.onnx", os.path.join(tmp, "text.npy")))
    if os.path.exists("Models/austen-lm/model.onnx"):
        data = open("Datasets/austen/austen_persuasion.txt", "rb").read()[: 8 * 128]
        np.save(os.path.join(tmp, "lm.npy"), np.frombuffer(data, dtype=np.uint8).astype(np.int64).reshape(8, 128))
        out.append(("Models/austen-lm/model.onnx", os.path.join(tmp, "lm.npy")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default="Reports/bench-engine")
    args = ap.parse_args()
    import tempfile
    manifest = json.load(open(os.path.join(FIX, "manifest.json")))
    pairs = [(os.path.join(FIX, m["model"]), os.path.join(FIX, m["input"])) for m in manifest["models"]] + zoo_inputs(tempfile.mkdtemp())
    gemm = {t: {n: {"quantbench": [], "numpy": []} for n in (256, 512, 1024)} for t in (1, 2)}
    models = {t: {p: {"quantbench": [], "onnxruntime": []} for p, _ in pairs} for t in (1, 2)}
    load = [os.getloadavg()[0]]
    for r in range(args.rounds):
        for t in (1, 2):
            q = qb_gemm(t)
            for n in (256, 512, 1024):
                gemm[t][n]["quantbench"].append(q[n])
                gemm[t][n]["numpy"].append(numpy_gemm(n, t))
            for path, inp in pairs:
                models[t][path]["quantbench"].append(qb_latency(path, inp, t))
                models[t][path]["onnxruntime"].append(ort_latency(path, np.load(inp), t))
        print(f"round {r} done", flush=True)
    load.append(os.getloadavg()[0])
    med = statistics.median
    lines = ["# Engine FP32 speed: QuantBench vs OpenBLAS (NumPy) and onnxruntime", "", isa_note(), "",
             f"Interleaved in one run, medians of {args.rounds} rounds, {time.strftime('%Y-%m-%d %H:%M')}; NumPy {np.__version__}, "
             f"onnxruntime {ort.__version__}; load average {load[0]:.2f} -> {load[1]:.2f}.", "",
             "## GEMM (square, GFLOP/s)", "", "| size | threads | QuantBench | NumPy/OpenBLAS | ratio |", "| --- | --- | --- | --- | --- |"]
    for t in (1, 2):
        for n in (256, 512, 1024):
            q, p = med(gemm[t][n]["quantbench"]), med(gemm[t][n]["numpy"])
            lines.append(f"| {n} | {t} | {q:.1f} | {p:.1f} | {q / p:.2f}x |")
    lines += ["", "## End-to-end latency (ms; batch of 8, one review for the text classifier; lower is better)", "",
              "| model | threads | QuantBench | onnxruntime | QuantBench / onnxruntime |", "| --- | --- | --- | --- | --- |"]
    for t in (1, 2):
        for m, v in models[t].items():
            q, o = med(v["quantbench"]), med(v["onnxruntime"])
            lines.append(f"| {m} | {t} | {q:.2f} | {o:.2f} | {q / o:.2f}x |")
    text = "\n".join(lines) + "\n"
    write_report(args.out, text, {"gemm": gemm, "models": models, "load": load})
    print(text)


if __name__ == "__main__":
    main()
