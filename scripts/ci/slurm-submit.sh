#!/usr/bin/env bash
# Submits the nightly suite to Slurm from the repository folder: the shard array, then the merge after it.
#   bash scripts/ci/slurm-submit.sh            (SUITE=Suites/nightly.json by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.build/release:$PATH"
shards=$(sbatch --parsable --export=ALL scripts/ci/slurm-shard.sh)
sbatch --dependency=afterany:"$shards" --export=ALL scripts/ci/slurm-merge.sh
