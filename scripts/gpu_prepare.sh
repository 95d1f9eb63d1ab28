#!/usr/bin/env bash
# Before a GPU call (scripts/gpu_call.sh): copy the data it needs into .gpu-data/ (git-ignored,
# named in the call's `carry`) and record the commit being copied, since the device machine's copy
# of the tree may carry a stale .git. Commit first: a dirty tree is recorded as such.
#
#   scripts/gpu_prepare.sh [SUBSET ...]      (PETA subsets, default: VIPeR; needs REIDLAB_DATA_ROOT)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${REIDLAB_DATA_ROOT:?set REIDLAB_DATA_ROOT to the folder holding PETA/}
grep -qx '/.gpu-data/' .git/info/exclude 2>/dev/null || echo '/.gpu-data/' >> .git/info/exclude
mkdir -p ".gpu-data/PETA/PETA dataset"
for subset in "${@:-VIPeR}"; do
  [ -d ".gpu-data/PETA/PETA dataset/$subset" ] || cp -r "$root/PETA/PETA dataset/$subset" ".gpu-data/PETA/PETA dataset/"
done
commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain -- reidlab)" ] || commit="$commit-dirty"
echo "$commit" > .gpu-data/COMMIT
echo "prepared .gpu-data ($(du -sh .gpu-data | cut -f1)) at $commit"
