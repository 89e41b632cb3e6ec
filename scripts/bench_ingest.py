#!/usr/bin/env python3
"""Decode + preprocess throughput: QuantBench beside Pillow, in the same run.

Both sides do the same work on every image of a folder (default Datasets/photos/images): decode
(JPEG with DCT-domain downscaling when the target is at most half the source: Pillow's `draft`),
resize the shorter side to 256 (bilinear, antialiased), center-crop 224 x 224, convert to float32
CHW normalized with the ImageNet mean/std. Rounds alternate between the two tools (1 thread, then
2 threads), and the medians and their ratio are reported, with the machine's load average.

Run from the project folder after `swift build -c release`:
    python3 scripts/bench_ingest.py [--rounds 5] [--passes 4] [--folder Datasets/photos/images]
Needs Pillow and numpy (pip install pillow numpy). Writes Reports/bench-ingest.md and .json.
"""
import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import write_text  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)


def pillow_one(path):
    """torchvision-style eval preprocessing with Pillow: open, draft, resize, crop, normalize."""
    im = Image.open(path)
    w, h = im.size
    if w <= h:
        rw, rh = 256, int(256 * h / w)
    else:
        rw, rh = int(256 * w / h), 256
    if im.format == "JPEG":
        im.draft("RGB", (rw, rh))
    im = im.convert("RGB").resize((rw, rh), Image.BILINEAR)
    left, top = int(round((rw - 224) / 2.0)), int(round((rh - 224) / 2.0))
    im = im.crop((left, top, left + 224, top + 224))
    x = np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return ((x - MEAN) / STD).sum()


def pillow_round(files, passes, pool):
    work = files * passes
    start = time.perf_counter()
    if pool is None:
        for f in work:
            pillow_one(f)
    else:
        pool.map(pillow_one, work, chunksize=1)
    return len(work) / (time.perf_counter() - start)


def swift_round(binary, folder, passes, threads):
    out = subprocess.run([binary, "bench", "ingest", folder, "--threads", str(threads), "--rounds", "1",
                          "--passes", str(passes)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["images_per_second"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", default="Datasets/photos/images")
    ap.add_argument("--binary", default=".build/release/quantbench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=4)
    ap.add_argument("--only", choices=["jpeg", "png"], help="only the JPEG (or PNG) files of the folder, by magic bytes")
    ap.add_argument("--out", default="Reports/bench-ingest")
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"error: {args.binary} not found: run `swift build -c release` first")
    files = sorted(os.path.join(args.folder, f) for f in os.listdir(args.folder) if not f.startswith("."))
    folder = args.folder
    if args.only:
        magic = b"\xff\xd8\xff" if args.only == "jpeg" else b"\x89PNG"
        files = [f for f in files if open(f, "rb").read(4).startswith(magic)]
        # The Swift side reads a folder: give it links to exactly these files.
        folder = tempfile.mkdtemp(prefix="bench-ingest-")
        for f in files:
            os.symlink(os.path.abspath(f), os.path.join(folder, os.path.basename(f)))
    results = {}
    load_before = os.getloadavg()
    with mp.Pool(2) as pool:
        pillow_round(files, 1, None)  # warm-up
        pillow_round(files, 1, pool)
        for threads in (1, 2):
            sw, pil = [], []
            for r in range(args.rounds):
                sw.append(swift_round(args.binary, folder, args.passes, threads))
                pil.append(pillow_round(files, args.passes, None if threads == 1 else pool))
                print(f"threads {threads} round {r}: quantbench {sw[-1]:.1f} img/s, Pillow {pil[-1]:.1f} img/s", flush=True)
            results[threads] = {"quantbench": statistics.median(sw), "pillow": statistics.median(pil),
                                "ratio": statistics.median(sw) / statistics.median(pil), "quantbench_rounds": sw, "pillow_rounds": pil}
    load_after = os.getloadavg()
    import PIL
    meta = {"images": len(files), "passes": args.passes, "rounds": args.rounds, "pillow": PIL.__version__,
            "load_before": load_before, "load_after": load_after, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".json.tmp", "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    os.replace(args.out + ".json.tmp", args.out + ".json")
    lines = ["# Decode + preprocess to 224 x 224: QuantBench vs Pillow", "",
             f"{len(files)} images from `{args.folder}`" + (f" ({args.only} only)" if args.only else "") + ", " + f"{args.passes} passes per round, median of {args.rounds} rounds, "
             f"interleaved in one run on {meta['date']} (Pillow {PIL.__version__}; load average {load_before[0]:.2f} -> {load_after[0]:.2f}).", "",
             "| threads | QuantBench img/s | Pillow img/s | ratio |", "| --- | --- | --- | --- |"]
    for t, r in results.items():
        lines.append(f"| {t} | {r['quantbench']:.1f} | {r['pillow']:.1f} | {r['ratio']:.2f}x |")
    write_text(Path(args.out + ".md"), "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
