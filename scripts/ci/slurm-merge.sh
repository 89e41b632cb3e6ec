#!/usr/bin/env bash
# The nightly suite on Slurm, the merge: runs after every array task of slurm-shard.sh (afterany), gates (its exit
# code is the job's) and writes the reports and the JUnit file.
#SBATCH --job-name=quantbench-nightly-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-merge-%j.out
set -euo pipefail
quantbench merge shards/shard-*.json --junit Reports/junit.xml --summary Reports/summary.md --trend Reports/trend.json
