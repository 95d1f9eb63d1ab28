#!/usr/bin/env bash
# One call on a lent GPU machine (prepare with scripts/gpu_prepare.sh, carry .gpu-data): train the pending runs of
# study items, batched, to a deadline, each group in a process of its own; every run is sent to $OUT as it finishes.
#
#   scripts/gpu_call.sh "ITEM [ITEM ...]" PROFILE MINUTES [DATA_ROOT] [BATCH] [-- study options]
#
# Writes $OUT/study.log, $OUT/gpu.txt and $OUT/runs-NN.tgz: tar parts of whole run directories (config,
# metrics, provenance, progress, kept weights), each written as its group ends and each unpacking on its
# own, so a call killed at its limit still returns every run finished by then (reidlab.shipping; at most
# 6 parts, 15 MiB each, 60 MiB in all). With KEEP_LAST=1 the last part brings the checkpoints/last.pt of
# unfinished runs, to resume elsewhere. Unpack here with: for f in runs-*.tgz; do tar xzf $f -C results/store; done
set -uo pipefail
items=$1 profile=$2 minutes=$3 data=${4:-.gpu-data} batch=${5:-64}
shift $(( $# < 5 ? $# : 5 )); [ "${1:-}" = "--" ] && shift
out=${OUT:-/tmp/reidlab-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 REIDLAB_CACHE=/tmp/reidlab-cache
# the commit this tree was copied from (scripts/gpu_prepare.sh), for every run's provenance
[ -f "$data/COMMIT" ] && export REIDLAB_GIT_COMMIT=$(cat "$data/COMMIT")
store=${REIDLAB_STORE:-results/store} device=${DEVICE:-cuda}
[ -d "$data/packs" ] && export REIDLAB_PACKS="$data/packs"  # the datasets, packed (reidlab carry)
[ -d "$data/store" ] && mkdir -p "$store" && cp -r "$data/store/." "$store/"  # networks pending runs start from
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__)" >> "$out/gpu.txt"
ship=(--ship "$out"); [ "${KEEP_LAST:-0}" = 1 ] && ship+=(--ship-last)
# a lean tree (scripts/gpu_prepare.sh) carries the index of stored runs, not the store
[ -f "$data/stored.txt" ] && ship+=(--skip-stored "$data/stored.txt")
ship+=(--trainings-only)  # the evaluations follow on a CPU, seconds each, with every test set at hand
# shellcheck disable=SC2086
python3 -m reidlab study $items --profile "$profile" --batch "$batch" --device "$device" \
  --time-limit "$minutes" --data-root "$data" --store "$store" "${ship[@]}" "$@" 2>&1 | tee "$out/study.log"
