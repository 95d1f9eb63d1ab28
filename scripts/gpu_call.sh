#!/usr/bin/env bash
# One call on a lent GPU machine (prepare with scripts/gpu_prepare.sh, carry .gpu-data): train the pending runs of study items, batched, to a deadline,
# then pack every run directory it wrote (without checkpoints) for the trip back.
#
#   scripts/gpu_call.sh "ITEM [ITEM ...]" PROFILE MINUTES [DATA_ROOT] [BATCH] [-- study options]
#
# Writes $OUT/study.log, $OUT/store.tgz (new run directories: config, metrics, provenance,
# progress; with KEEP_LAST=1 also checkpoints/last.pt of unfinished runs, to resume elsewhere)
# and $OUT/gpu.txt. Files come back at 16 MiB at most, so a larger store.tgz is split into parts.
# Unpack here with: cat store.tgz* | tar xz -C results/store
set -uo pipefail
items=$1 profile=$2 minutes=$3 data=${4:-.gpu-data} batch=${5:-64}
shift $(( $# < 5 ? $# : 5 )); [ "${1:-}" = "--" ] && shift
out=${OUT:-/tmp/reidlab-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 REIDLAB_CACHE=/tmp/reidlab-cache
# the commit this tree was copied from (scripts/gpu_prepare.sh), for every run's provenance
[ -f "$data/COMMIT" ] && export REIDLAB_GIT_COMMIT=$(cat "$data/COMMIT")
store=${REIDLAB_STORE:-results/store} device=${DEVICE:-cuda}
marker=$(mktemp)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__)" >> "$out/gpu.txt"
# shellcheck disable=SC2086
python3 -m reidlab study $items --profile "$profile" --batch "$batch" --device "$device" \
  --time-limit "$minutes" --data-root "$data" --store "$store" "$@" 2>&1 | tee "$out/study.log"
# run directories holding a file written by this call
changed=$(cd "$store" && find . -newer "$marker" -type f \( -name '*.json' -o -name '*.yaml' \) \
  -not -path '*/checkpoints/*' | cut -d/ -f2 | sort -u)
if [ -n "$changed" ]; then
  keep=(--exclude='checkpoints/epoch_*' --exclude='checkpoints/final.pt' --exclude='*.tmp' --exclude='.lock')
  [ "${KEEP_LAST:-0}" = 1 ] || keep=(--exclude=checkpoints)
  # shellcheck disable=SC2086
  (cd "$store" && tar czf "$out/store.tgz" "${keep[@]}" $changed)
  if [ "$(stat -c %s "$out/store.tgz")" -gt $((15 * 1024 * 1024)) ]; then
    split -b 15M "$out/store.tgz" "$out/store.tgz.part-" && rm "$out/store.tgz"
  fi
fi
echo "packed $(echo "$changed" | grep -c . ) run directories" | tee -a "$out/study.log"
