#!/usr/bin/env bash
# The study's GPU call, as one command on a lent GPU machine (`make gpu-study`): the throughput
# benchmark, then the pending queue of the study to a deadline, everything under $OUT.
#
#   scripts/gpu_prepare.sh VIPeR i-LID           # here, before the call (data + commit into .gpu-data;
#                                                # carry is 64 MiB: VIPeR 25M, i-LID 2M, CAVIAR4REID 6M,
#                                                # PRID 15M, 3DPeS 38M; CUHK01 75M does not fit)
#   make gpu-rehearse                            # here: each group the call will form takes one step on
#                                                # the CPU (a group that breaks there breaks here first)
#   OUT=... make gpu-study                       # there (the device tool's command; carry .gpu-data)
#
# ITEMS: the queue, most wanted first (default: issue 28's pre-registered seed set, what issues 9-11 wait for, then the
# VIPeR items of the study); PROFILE (default fast); MINUTES of training (default 5); BENCH=1 runs the
# benchmarks first (~2-4 minutes of the call; the study call runs none by default). Output: $OUT/benchmark.txt, $OUT/conv_forms.txt, and what scripts/gpu_call.sh
# writes.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/reidlab-out}
mkdir -p "$out"
export REIDLAB_DATA_ROOT=${REIDLAB_DATA_ROOT:-$PWD/.gpu-data}
[ -f .gpu-data/COMMIT ] && export REIDLAB_GIT_COMMIT=$(cat .gpu-data/COMMIT)
# (the default needs VIPeR and i-LID only; items on other sets need their data carried too)
items=${ITEMS:-"replication fig4 table4 precision fidelity-attribution epoch-pairs fig8 fig7 table3 fig6"}
if [ "${REHEARSE:-0}" = 1 ]; then  # here, before the call (make gpu-rehearse): every group, one step, on the CPU
  exec python3 -m reidlab study $items --profile "${PROFILE:-fast}" --batch "${BATCH:-64}" --device cpu --rehearse \
    --data-root "$REIDLAB_DATA_ROOT"
fi
if [ "${BENCH:-0}" = 1 ]; then  # the benchmarks take minutes of a call: their own mode (BENCH=1)
  timeout 150 python3 benchmarks/schedules.py --device cuda --runs 10 --big 64 --epochs 2 > "$out/benchmark.txt" 2>&1
  # grouped convolution against batched GEMM and torch.compile, 64 runs x 16 images, bf16 (issue 11)
  PYTHONUNBUFFERED=1 timeout 60 python3 benchmarks/conv_forms.py --device cuda --runs 64 --pairs 8 --bf16 \
    --compile > "$out/conv_forms.txt" 2>&1
fi
KEEP_LAST=${KEEP_LAST:-1} scripts/gpu_call.sh "$items" "${PROFILE:-fast}" "${MINUTES:-5}" "$REIDLAB_DATA_ROOT" \
  "${BATCH:-64}"
