#!/usr/bin/env bash
# Before a GPU call (scripts/gpu_call.sh): copy the data it needs into .gpu-data/ (git-ignored,
# named in the call's `carry`) and record the commit being copied, since the device machine's copy
# of the tree may carry a stale .git. Commit first: a dirty tree is recorded as such.
#
#   scripts/gpu_prepare.sh [SUBSET ...]      (PETA subsets, default: VIPeR; needs REIDLAB_DATA_ROOT)
#   scripts/gpu_prepare.sh --restore         (after the call: put back what was set aside)
#
# A call carries at most 64 MiB (the tree, with .gpu-data). Past LIMIT_MIB (default 62), committed
# weights that do not resume a run (weights.pt, final.pt) and then checkpoints, largest first, are
# set aside in .gpu-hidden/ (git-ignored) until the tree fits: a run whose last.pt stays here starts
# over there. --restore moves each back unless the call brought a newer one.
set -euo pipefail
cd "$(dirname "$0")/.."
for ignored in /.gpu-data/ /.gpu-hidden/; do
  grep -qx "$ignored" .git/info/exclude 2>/dev/null || echo "$ignored" >> .git/info/exclude
done
if [ "${1:-}" = "--restore" ]; then
  [ -d .gpu-hidden ] || { echo "nothing set aside"; exit 0; }
  (cd .gpu-hidden && find . -type f) | while read -r f; do
    if [ -e "$f" ]; then rm ".gpu-hidden/$f"; else mkdir -p "$(dirname "$f")" && mv ".gpu-hidden/$f" "$f"; fi
  done
  rm -rf .gpu-hidden && echo "restored"; exit 0
fi
root=${REIDLAB_DATA_ROOT:?set REIDLAB_DATA_ROOT to the folder holding PETA/}
mkdir -p ".gpu-data/PETA/PETA dataset"
for subset in "${@:-VIPeR}"; do
  [ -d "$root/PETA/PETA dataset/$subset" ] || { echo "no PETA subset '$subset' under $root" >&2; exit 2; }
  [ -d ".gpu-data/PETA/PETA dataset/$subset" ] || cp -r "$root/PETA/PETA dataset/$subset" ".gpu-data/PETA/PETA dataset/"
done
commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain -- reidlab)" ] || commit="$commit-dirty"
echo "$commit" > .gpu-data/COMMIT

travelling() {  # bytes the call would send: tracked and untracked-unignored files present, and .gpu-data
  local tree data
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  data=$(du -sb .gpu-data | cut -f1)
  echo $((tree + data))
}
limit=$(( ${LIMIT_MIB:-62} * 1024 * 1024 ))
size=$(travelling)
if [ "$size" -gt "$limit" ]; then
  # weights that resume nothing first, then checkpoints; each list largest first
  candidates=$( { git ls-files -z -- 'results/**/weights.pt' 'results/**/final.pt' | xargs -0 -r ls -S;
                  git ls-files -z -- 'results/**/last.pt' | xargs -0 -r ls -S; } )
  for f in $candidates; do
    [ "$size" -gt "$limit" ] || break
    [ -e "$f" ] || continue
    size=$((size - $(stat -c %s "$f")))
    mkdir -p ".gpu-hidden/$(dirname "$f")" && mv "$f" ".gpu-hidden/$f"
    echo "set aside $f"
  done
  [ "$size" -le "$limit" ] || { echo "the tree is $((size >> 20)) MiB with nothing left to set aside: carry fewer subsets" >&2; exit 1; }
  echo "after the call: scripts/gpu_prepare.sh --restore"
fi
echo "prepared .gpu-data ($(du -sh .gpu-data | cut -f1)) at $commit; the call sends $((size >> 20)) MiB"
