#!/usr/bin/env bash
# The nightly suite on Slurm, before the shards: every variant quantized once (quantbench prepare) into
# .cache/quantbench, which the array tasks of slurm-shard.sh load (slurm-submit.sh chains them: afterok).
#SBATCH --job-name=quantbench-nightly-prepare
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-prepare-%j.out
set -euo pipefail
SUITE="${SUITE:-Suites/nightly.json}"
quantbench prepare "$SUITE"
