#!/usr/bin/env bash
# Run every test bass_ld has: notebooks/library sync, all notebooks (nbdev_test) and tests/ (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0
jobs=$(nproc 2>/dev/null || echo 2)
# one compute thread per parallel test worker: more would oversubscribe the cores (torch's OpenMP threads spin
# while they wait, and two workers of two threads each on two cores run several times slower than one each)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( $(nproc 2>/dev/null || echo 2) / jobs > 0 ? $(nproc 2>/dev/null || echo 2) / jobs : 1 ))}"

echo "== 1/3 notebooks are the source: nbdev_export + nbdev_clean must change nothing tracked"
if git rev-parse --git-dir >/dev/null 2>&1; then
  before=$(git status --porcelain -- bass_ld nbs)
  nbdev_export && nbdev_clean
  after=$(git status --porcelain -- bass_ld nbs)
  if [ "$before" != "$after" ]; then
    echo "FAIL: nbdev_export/nbdev_clean changed files; run them and commit:"; echo "$after"; exit 1
  fi
else
  echo "(not a git checkout: sync check skipped)"
fi

python scripts/warm_caches.py   # compile librosa's cached numba code once: parallel first compiles corrupt the cache
echo "== 2/3 nbdev_test over every notebook (slow ones in a process each, quick ones in batches)"
python scripts/run_notebooks.py "$jobs"

echo "== 3/3 pytest tests/"
python -m pytest -q -n "$jobs" --dist loadgroup tests "$@"   # loadgroup: a module marked xdist_group stays on one worker
