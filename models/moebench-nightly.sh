#!/bin/bash
# The nightly job on a Slurm cluster, one command: a shard of PLAN per array
# task and GPU (moebench-array.sbatch), then, once every shard has succeeded, a
# job that merges them and writes the report (moebench-merge.sbatch). The jobs
# write where they run (this directory, or --chdir=DIR):
#   results-shard-I.sqlite, moebench-JOB_I.log   each shard's
#   results.sqlite, report.html, report.json     the merge's
#
#   models/moebench-nightly.sh nightly.yml 4    # a plan with device: cuda
#   models/moebench-nightly.sh nightly.yml 4 --partition=gpu --time=6:00:00
#   models/moebench-nightly.sh nightly.yml 4 --gres=none --cpus-per-task=4 --mem=8G  # no GPUs
#
# Options after N go to sbatch, for both jobs, except --array=LIST: it submits
# only those shards (one that failed or was cancelled; it resumes where it
# stopped) and a new merge after them. A failed or cancelled shard cancels the
# merge job waiting for it; this command prints how to resubmit.
#
# RUN_NAME: the run key every shard stores its results under (default: the
# plan's file name and today's UTC date, fixed here so that a shard that starts
# after midnight joins the same run; the printed resubmission passes it again).
# MOEBENCH: the moebench binary the jobs run (default: moebench on the PATH).
set -euo pipefail

usage="usage: $0 PLAN.yml N [SBATCH_OPTION...]"
PLAN=${1:?$usage}
SHARDS=${2:?$usage}
shift 2
if ! [[ $SHARDS =~ ^[1-9][0-9]*$ ]]; then echo "$0: N must be a number of shards, not '$SHARDS'" >&2; exit 2; fi
if [[ ! -f $PLAN ]]; then echo "$0: $PLAN: no such plan" >&2; exit 2; fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLAN=$(realpath "$PLAN")  # the jobs may run in another directory
export RUN_NAME=${RUN_NAME:-$(basename "$PLAN" .yml)@$(date -u +%Y-%m-%d)}

array=0-$((SHARDS - 1))
options=()
for option in "$@"; do
  case $option in
    --array=*) array=${option#--array=} ;;
    *) options+=("$option") ;;
  esac
done

# --parsable prints "id" or "id;cluster".
shards=$(sbatch --parsable "--array=$array" "${options[@]}" "$here/moebench-array.sbatch" "$PLAN" "$SHARDS")
shards=${shards%%;*}
merge=$(sbatch --parsable "--dependency=afterok:$shards" --kill-on-invalid-dep=yes "${options[@]}" \
  "$here/moebench-merge.sbatch" "$SHARDS")
merge=${merge%%;*}
echo "run '$RUN_NAME': shards $array of $SHARDS as job $shards; merge and report as job $merge, once every shard succeeded"
echo "to redo shard I after a failure or a cancel (it resumes, then a new merge runs):"
printf '  RUN_NAME=%q %q %q %q' "$RUN_NAME" "$0" "$PLAN" "$SHARDS"
printf ' %q' "${options[@]}" --array=I
echo
