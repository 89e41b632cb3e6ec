#!/usr/bin/env bash
# Submits the nightly suite to Slurm from the repository folder: prepare, then the shard array (afterok), then the
# merge (afterany: it reports the gaps of failed shards).
#   bash scripts/ci/slurm-submit.sh            (SUITE=Suites/nightly.json by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.build/release:$PATH"
prepared=$(sbatch --parsable --export=ALL scripts/ci/slurm-prepare.sh)
shards=$(sbatch --parsable --dependency=afterok:"$prepared" --export=ALL scripts/ci/slurm-shard.sh)
sbatch --dependency=afterany:"$shards" --export=ALL scripts/ci/slurm-merge.sh
