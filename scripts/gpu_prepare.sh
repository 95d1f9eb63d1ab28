#!/usr/bin/env bash
# Before a GPU call: what it carries, and a tree lean enough to travel (a call sends at most 64 MiB:
# the working tree and the carried paths together; the device reaches no data folder).
#
#   ITEMS="replication fig4" scripts/gpu_prepare.sh    (default ITEMS: scripts/gpu_queue; PROFILE: fast;
#                                                      needs REIDLAB_DATA_ROOT; commit first)
#   scripts/gpu_prepare.sh --restore                   (after the call, before unpacking its runs)
#
# Writes .gpu-data/ (git-ignored; name it in the call's carry) with `reidlab carry`: the packs of the
# datasets the pending runs read, stored.txt (the runs finished, or trained here now, which the call
# leaves), the stored networks pending runs start from, and COMMIT (the device's copy of .git may be
# stale). Then sets aside the committed files of results/store and results/book in .gpu-hidden/
# (git-ignored): the device needs neither; while they are, `reidlab study` and `reidlab book` refuse to run
# here (a session cut now: `scripts/gpu_prepare.sh --restore`, or `git checkout -- results`). Refuses,
# putting everything back, a call over LIMIT_MIB (64).
set -euo pipefail
cd "$(dirname "$0")/.."
exclude=$(git rev-parse --git-path info/exclude)  # (.git is a file in a worktree)
mkdir -p "$(dirname "$exclude")"
for ignored in /.gpu-data/ /.gpu-hidden/; do
  grep -qx "$ignored" "$exclude" 2>/dev/null || echo "$ignored" >> "$exclude"
done
restore() {
  [ -d .gpu-hidden ] || { echo "nothing set aside"; return 0; }
  (cd .gpu-hidden && find . -type f) | while read -r f; do
    # a file the call (or a CPU run meanwhile) wrote anew is kept; the hidden copy goes
    if [ -e "$f" ]; then rm ".gpu-hidden/$f"; else mkdir -p "$(dirname "$f")" && mv ".gpu-hidden/$f" "$f"; fi
  done
  rm -rf .gpu-hidden && echo "restored"
}
if [ "${1:-}" = "--restore" ]; then restore; exit 0; fi
[ ! -d .gpu-hidden ] || { echo "a call is prepared already: scripts/gpu_prepare.sh --restore first" >&2; exit 1; }
# the committed results are set aside whole: commit what changed there first, so nothing is lost
[ -z "$(git status --porcelain --untracked-files=no -- results)" ] ||
  { echo "results/ has uncommitted changes to committed files: commit them first" >&2; exit 1; }
: "${REIDLAB_DATA_ROOT:?set REIDLAB_DATA_ROOT to the folder holding PETA/ and CUHK01/}"
items=${ITEMS:-$(cat scripts/gpu_queue)}
python3 -m reidlab carry $items --profile "${PROFILE:-fast}" --out .gpu-data
commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain -- reidlab)" ] || commit="$commit-dirty"
echo "$commit" > .gpu-data/COMMIT

trap 'restore; echo "prepare failed: everything put back" >&2' ERR INT TERM
git ls-files -z -- results/store results/book | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p ".gpu-hidden/$(dirname "$f")" && mv "$f" ".gpu-hidden/$f"
done
# bytes the call sends: tracked and untracked-unignored files present, and .gpu-data
tree=$( (git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null || true) |
       awk '{s+=$1} END {print s+0}')  # (a file set aside has no size: it does not travel)
size=$((tree + $(du -sb .gpu-data | cut -f1)))
echo "the call sends $((size >> 20)) MiB (tree $((tree >> 20)) MiB, .gpu-data $(du -sh .gpu-data | cut -f1)) at $commit"
trap - ERR INT TERM
if [ "$size" -gt $(( ${LIMIT_MIB:-64} * 1024 * 1024 )) ]; then
  restore
  echo "over the call's limit: give fewer ITEMS (each call carries only the datasets its runs read)" >&2
  exit 1
fi
echo "after the call: scripts/gpu_prepare.sh --restore, then unpack its runs"
