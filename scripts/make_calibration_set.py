#!/usr/bin/env python3
"""Build Datasets/fashion-mnist-calib-512/: 512 Fashion-MNIST *training* images for post-training quantization
calibration.

Produces (deterministic; re-running with the same source package and zlib gives the same bytes):

  Datasets/fashion-mnist-calib-512/images-idx3-ubyte.gz   the 512 images as IDX3 (uint8, 512 x 28 x 28), gzip
  Datasets/fashion-mnist-calib-512/labels-idx1-ubyte.gz   their labels as IDX1 (uint8, 512), gzip
  Datasets/fashion-mnist-calib-512/indices.txt            the 512 training-set indices, one per line, ascending
  Datasets/fashion-mnist-calib-512/CARD.md                source, license, sha256s, counts, how it was made

The names pair the way QuantBench pairs IDX files (ImageDataset.idxLabelsPath(forImages:): "images" -> "labels",
"idx3" -> "idx1"), so giving the images file alone is enough.

Selection: a class-stratified sample of the 60,000 training images (never the t10k test images, so it is
disjoint from everything QuantBench evaluates on), seeded with 0. 512 = 10 x 51 + 2, so two classes, drawn with
the seed, get 52 images and the other eight get 51. NumPy's legacy RandomState is used because its streams are
frozen across NumPy versions:
    rs = numpy.random.RandomState(0)
    extra = rs.permutation(10)[:2]                       # the two classes with 52
    for c in 0..9:  idx_c = ascending training indices with label c
                    chosen += idx_c[rs.permutation(len(idx_c))[:51 or 52]]
    chosen = sorted(chosen)                              # the files hold the images in training-index order
gzip: level 9, mtime 0, no file name in the header (Python's gzip.compress).

Source: the Debian package dataset-fashion-mnist (apt-get install -y dataset-fashion-mnist, or
bash scripts/fetch_fashion_mnist.sh), /usr/share/datasets/fashion-mnist/train-*-ubyte.gz (or --fashion-mnist-dir),
checked by the md5 of the decompressed bytes. The t10k files are read only to count exact pixel duplicates.

Needs: Python 3.11, numpy (and Pillow, which prepare_datasets.py imports).

Run from anywhere:
    python3 scripts/make_calibration_set.py [--fashion-mnist-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    REPO, dpkg_version, md5_bytes, rel, sha256_bytes, sha256_file, write_bytes, write_text,
)
from prepare_datasets import (  # noqa: E402
    FMNIST_CLASS_TITLES, FMNIST_RAW_MD5, parse_idx_images, parse_idx_labels,
)

OUT = REPO / "Datasets" / "fashion-mnist-calib-512"
TOTAL = 512
SEED = 0
NUM_CLASSES = 10
IMAGES_NAME = "images-idx3-ubyte.gz"
LABELS_NAME = "labels-idx1-ubyte.gz"
INDICES_NAME = "indices.txt"


def labels_name_for(images_name: str) -> str:
    """The same rule as ImageDataset.idxLabelsPath(forImages:) in Sources/QBIngest/ImageDataset.swift."""
    return images_name.replace("images", "labels").replace("idx3", "idx1")


def select(labels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The seeded, class-stratified sample: (chosen training indices ascending, quota per class)."""
    base, extra_count = divmod(TOTAL, NUM_CLASSES)
    rs = np.random.RandomState(SEED)
    extra = {int(c) for c in rs.permutation(NUM_CLASSES)[:extra_count]}
    quota = [base + (1 if c in extra else 0) for c in range(NUM_CLASSES)]
    chosen: list[np.ndarray] = []
    for c in range(NUM_CLASSES):
        idx_c = np.nonzero(labels == c)[0]
        chosen.append(idx_c[rs.permutation(len(idx_c))[:quota[c]]])
    out = np.sort(np.concatenate(chosen))
    assert len(out) == TOTAL == sum(quota) and len(np.unique(out)) == TOTAL
    return out, quota


def gz(data: bytes) -> bytes:
    out = gzip.compress(data, compresslevel=9, mtime=0)
    # header: magic, deflate, FLG = 0 (so no FNAME), MTIME = 0
    assert out[:3] == b"\x1f\x8b\x08" and out[3] == 0 and out[4:8] == b"\x00\x00\x00\x00", out[:10]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fashion-mnist-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                    help="folder with the Fashion-MNIST IDX .gz files")
    args = ap.parse_args()

    assert labels_name_for(IMAGES_NAME) == LABELS_NAME
    src = {name: (args.fashion_mnist_dir / name).read_bytes() for name in FMNIST_RAW_MD5}
    raw = {name: gzip.decompress(data) for name, data in src.items()}
    for name, data in raw.items():
        got = md5_bytes(data)
        if got != FMNIST_RAW_MD5[name]:
            raise SystemExit(f"{name}: md5 of decompressed file is {got}, expected {FMNIST_RAW_MD5[name]}")
    images = parse_idx_images(raw["train-images-idx3-ubyte.gz"])
    labels = parse_idx_labels(raw["train-labels-idx1-ubyte.gz"])
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    test_images = parse_idx_images(raw["t10k-images-idx3-ubyte.gz"])
    assert test_images.shape == (10000, 28, 28)

    chosen, quota = select(labels)
    sel_images = images[chosen]
    sel_labels = labels[chosen]
    counts = [int((sel_labels == c).sum()) for c in range(NUM_CLASSES)]
    assert counts == quota

    img_raw = struct.pack(">IIII", 0x00000803, TOTAL, 28, 28) + sel_images.tobytes()
    lab_raw = struct.pack(">II", 0x00000801, TOTAL) + sel_labels.tobytes()
    indices_txt = "".join(f"{int(i)}\n" for i in chosen)

    if OUT.exists():
        shutil.rmtree(OUT)
    write_bytes(OUT / IMAGES_NAME, gz(img_raw))
    write_bytes(OUT / LABELS_NAME, gz(lab_raw))
    write_text(OUT / INDICES_NAME, indices_txt)
    # Read back what was written.
    assert gzip.decompress((OUT / IMAGES_NAME).read_bytes()) == img_raw
    assert gzip.decompress((OUT / LABELS_NAME).read_bytes()) == lab_raw

    # Train and t10k are separate files, so the sample is disjoint from the test set by construction; count the
    # training images that nevertheless have a byte-identical twin in t10k (Fashion-MNIST has a few).
    test_hashes = {sha256_bytes(t.tobytes()) for t in test_images}
    dup = [int(i) for i, im in zip(chosen, sel_images) if sha256_bytes(im.tobytes()) in test_hashes]

    deb_version = dpkg_version("dataset-fashion-mnist")
    files = [IMAGES_NAME, LABELS_NAME, INDICES_NAME]
    decompressed = {IMAGES_NAME: img_raw, LABELS_NAME: lab_raw}
    file_rows = "\n".join(
        f"| `{f}` | {(OUT / f).stat().st_size:,} | `{sha256_file(OUT / f)}` | "
        + (f"{len(decompressed[f]):,} bytes, sha256 `{sha256_bytes(decompressed[f])}`" if f in decompressed
           else "(plain text)") + " |"
        for f in files)
    total_bytes = sum((OUT / f).stat().st_size for f in files)
    class_rows = "\n".join(
        f"| {c} | {FMNIST_CLASS_TITLES[c]} | {counts[c]} | {int((labels == c).sum()):,} |"
        for c in range(NUM_CLASSES))
    extra_classes = [c for c in range(NUM_CLASSES) if quota[c] == TOTAL // NUM_CLASSES + 1]
    src_rows = "\n".join(
        f"| `{name}` | `{sha256_bytes(src[name])}` | `{md5_bytes(raw[name])}` |"
        for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"))
    dup_text = (f"{len(dup)} of the {TOTAL} images (training indices {', '.join(map(str, dup))}) are byte-identical "
                f"to some t10k image (Fashion-MNIST holds a few such duplicates across its splits)"
                if dup else f"none of the {TOTAL} images is byte-identical to any of the 10,000 t10k images")

    card = f"""# fashion-mnist-calib-512

{TOTAL} images from the **Fashion-MNIST training set** (`train-*`, 60,000 images), a seeded class-stratified
sample, for **calibrating quantized variants only** (post-training quantization: activation ranges and the like).
QuantBench never evaluates on it. It is disjoint from the test images QuantBench evaluates on by construction: it
is drawn from the training files, and `fashion-mnist-test-200/` and `Tests/Fixtures/idx/` come from the separate
test files (`t10k-*`).

| | |
| --- | --- |
| source | Debian package `dataset-fashion-mnist` {deb_version} (`dpkg -s dataset-fashion-mnist`), files `/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz`; upstream https://github.com/zalandoresearch/fashion-mnist |
| license | Expat (MIT), Copyright 2017 Zalando SE (from `/usr/share/doc/dataset-fashion-mnist/copyright`) |
| files | `{IMAGES_NAME}`, `{LABELS_NAME}`, `{INDICES_NAME}`: {total_bytes:,} bytes in all (plus this card) |
| format | IDX, gzip: images magic `0x00000803`, dimensions {TOTAL} x 28 x 28, unsigned bytes; labels magic `0x00000801`, dimension {TOTAL}, unsigned bytes 0..9. gzip level 9, mtime 0, no file name in the header (Python {sys.version.split()[0]} `gzip.compress`, zlib {zlib.ZLIB_RUNTIME_VERSION}) |
| order | ascending training-set index; `{INDICES_NAME}` gives the training index of each sample, one per line, in file order |
| pixels | exactly the training IDX bytes: 0 = background (black), 255 = ink, no inversion or scaling |
| use | give QuantBench the images file, e.g. `Datasets/fashion-mnist-calib-512/{IMAGES_NAME}`; the labels file is found by name (`images` -> `labels`, `idx3` -> `idx1`, as `ImageDataset.idxLabelsPath(forImages:)` does). The folder itself would be read as an unlabeled image folder, so pass the file. |

## Classes

{TOTAL} = 10 x {TOTAL // NUM_CLASSES} + {TOTAL % NUM_CLASSES}: classes {' and '.join(str(c) for c in extra_classes)} (drawn with the seed) have {TOTAL // NUM_CLASSES + 1} images, the others {TOTAL // NUM_CLASSES}.

| label | class | images here | training images of the class |
| --- | --- | --- | --- |
{class_rows}

## Checksums

| file | bytes | sha256 | decompressed |
| --- | --- | --- | --- |
{file_rows}

The `.gz` bytes depend on the zlib build that compressed them; the decompressed sha256s do not. Source files (the
gzip files as the Debian package ships them, and the md5 of their decompressed bytes, which the script checks):

| file | sha256 (.gz as shipped) | md5 (decompressed) |
| --- | --- | --- |
{src_rows}

## How it was made

```
apt-get install -y dataset-fashion-mnist          # or: bash scripts/fetch_fashion_mnist.sh
python3 scripts/make_calibration_set.py
```

Selection (seed {SEED}, NumPy's legacy `RandomState`, whose streams are frozen across NumPy versions; NumPy
{np.__version__} here):

```
rs = numpy.random.RandomState({SEED})
extra = rs.permutation(10)[:2]                        # the two classes that get 52
for c in 0..9:
    idx_c = ascending training indices i with label[i] == c
    chosen += idx_c[rs.permutation(len(idx_c))[:52 if c in extra else 51]]
chosen = sorted(chosen)
```

## Notes

- Used only to calibrate quantized variants; never report accuracy on it.
- Disjoint from the test set by index (train vs t10k); by pixels, {dup_text}.
- Changing the seed, the count or the selection rule changes every calibrated variant: regenerate the card and
  re-run the affected calibrations together.
"""
    write_text(OUT / "CARD.md", card)

    for f in files + ["CARD.md"]:
        print(f"{sha256_file(OUT / f)}  {rel(OUT / f)}  ({(OUT / f).stat().st_size:,} bytes)")
    print("per class:", counts)


if __name__ == "__main__":
    main()
