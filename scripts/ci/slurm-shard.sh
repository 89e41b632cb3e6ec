#!/usr/bin/env bash
# The nightly suite on Slurm: one array task per shard (`--shard auto` reads SLURM_ARRAY_TASK_ID, _MIN and _COUNT).
# Submit both steps with scripts/ci/slurm-submit.sh, from the repository (release build and fetched data in place).
# Tested by scripts/ci/replay.py (a local replay of this script and slurm-merge.sh with 3 shards).
#SBATCH --job-name=quantbench-nightly
#SBATCH --array=1-4
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=06:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
SUITE="${SUITE:-Suites/nightly.json}"
mkdir -p shards
quantbench run "$SUITE" --shard auto --output "shards/shard-$SLURM_ARRAY_TASK_ID.json"
