#!/usr/bin/env bash
# The study's GPU call, as one command on a lent GPU machine (`make gpu-study`): the pending queue of
# the study to a deadline, everything under $OUT.
#
#   scripts/gpu_prepare.sh        # here, before the call: .gpu-data (dataset packs, the index of stored
#                                 # runs, networks, commit) and a lean tree; refuses a call over 64 MiB
#   make gpu-rehearse             # here: each group the call will form takes one step on the CPU, from
#                                 # exactly what the call carries (a group that breaks there breaks here first)
#   OUT=... make gpu-study        # there (the device tool's command; carry .gpu-data)
#   scripts/gpu_prepare.sh --restore; for f in OUT/runs-*.tgz; do tar xzf $f -C results/store; done
#
# The queue and profile are those scripts/gpu_prepare.sh prepared (its ITEMS, default scripts/gpu_queue:
# issue 28's pre-registered seed set first; PROFILE, default fast); MINUTES of training (default 5); BENCH=1 runs the benchmarks first
# (~2-4 minutes of the call: their own mode). Output: what scripts/gpu_call.sh writes (and with BENCH=1
# $OUT/benchmark.txt, $OUT/conv_forms.txt).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/reidlab-out}
mkdir -p "$out"
data=${GPU_DATA:-$PWD/.gpu-data}
[ -f "$data/stored.txt" ] || { echo "no $data/stored.txt: run scripts/gpu_prepare.sh first" >&2; exit 2; }
export REIDLAB_PACKS="$data/packs" REIDLAB_GIT_COMMIT=$(cat "$data/COMMIT")
# the items and profile the data was prepared for (a dataset they do not read was not carried)
items=$(cat "$data/ITEMS") PROFILE=$(cat "$data/PROFILE")
if [ "${REHEARSE:-0}" = 1 ]; then  # here, before the call (make gpu-rehearse): every group, one step, on the CPU
  store=$(mktemp -d) && [ ! -d "$data/store" ] || cp -r "$data/store/." "$store/"
  exec python3 -m reidlab study $items --profile "$PROFILE" --batch "${BATCH:-64}" --device cpu --rehearse \
    --data-root "$data" --store "$store" --skip-stored "$data/stored.txt"
fi
if [ "${BENCH:-0}" = 1 ]; then  # the benchmarks take minutes of a call: their own mode (BENCH=1)
  timeout 150 python3 benchmarks/schedules.py --device cuda --runs 10 --big 64 --epochs 2 > "$out/benchmark.txt" 2>&1
  # grouped convolution against batched GEMM and torch.compile, 64 runs x 16 images, bf16 (issue 11)
  PYTHONUNBUFFERED=1 timeout 60 python3 benchmarks/conv_forms.py --device cuda --runs 64 --pairs 8 --bf16 \
    --compile > "$out/conv_forms.txt" 2>&1
fi
KEEP_LAST=${KEEP_LAST:-1} scripts/gpu_call.sh "$items" "$PROFILE" "${MINUTES:-5}" "$data" "${BATCH:-64}"
