#!/usr/bin/env bash
# Commit what the store gained, and the pages it changed, in one commit (never one without the other: CI
# fails on pages older than the committed runs, tests/test_editions.py).
#   scripts/commit_runs.sh "Runs: Table V round 2, ..."
# - finished runs (metrics.json): the whole run folder (checkpoints stay ignored; a last.pt committed while
#   the run was unfinished leaves the index: its metrics.json holds all a finished run is read for);
# - unfinished runs with a checkpoint: config, progress and checkpoints/last.pt, so that a fresh machine
#   resumes them instead of starting over;
# - then the pages whose items gained runs (reidlab.book.stale_pages) are rebuilt (--no-runs) and added;
# - and the numbers book/*.md quotes are checked against the store (reidlab.prose): none may be stale.
set -euo pipefail
cd "$(dirname "$0")/.."
message=${1:?"usage: scripts/commit_runs.sh MESSAGE"}
: "${REIDLAB_DATA_ROOT:?set REIDLAB_DATA_ROOT to the folder holding PETA/ and CUHK01/ (the pages read the data)}"
PY=${PY:-.venv/bin/python}

for run in results/store/*/; do
    run=${run%/}
    if [[ -f $run/metrics.json ]]; then
        git add "$run"
        if git ls-files --error-unmatch "$run/checkpoints/last.pt" >/dev/null 2>&1; then
            git rm -q --cached "$run/checkpoints/last.pt"
        fi
    elif [[ -f $run/checkpoints/last.pt ]]; then
        git add -f "$run/checkpoints/last.pt" "$run/config.yaml" "$run/progress.json"
        [[ -f $run/profile.json ]] && git add "$run/profile.json"
    fi
done

stale=$($PY -c "from reidlab.book import stale_pages; print(' '.join(stale_pages()))")
if [[ -n $stale ]]; then
    echo "rebuilding the pages of: $stale"
    $PY -m reidlab book $stale --profile fast --no-runs --no-html --data-root "$REIDLAB_DATA_ROOT"
    left=$($PY -c "from reidlab.book import stale_pages; print(' '.join(stale_pages()))")
    [[ -z $left ]] || { echo "still stale after the rebuild: $left" >&2; exit 1; }
fi
git add results/book
# the hand-written pages quote stored numbers (reidlab/prose.py): a run that moves one waits for the prose
quotes=$($PY -c "from reidlab.prose import stale_quotes; print('\n'.join(stale_quotes()))")
[[ -z $quotes ]] || { printf 'the prose quotes numbers the new runs moved (runs staged, not committed):\n%s\n' "$quotes" >&2; exit 1; }
git diff --cached --quiet && { echo "nothing new to commit"; exit 0; }
git commit -q -m "$message"
git log --oneline -1
