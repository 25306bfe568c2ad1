#!/usr/bin/env python
"""Run every notebook's tests with nbdev_test, each notebook in a process of its own, `jobs` at a time.

One process per notebook keeps a crash in native code (a segfault in a C library at exit, say) from taking
the other notebooks down with a shared worker pool, and names the notebook it happened in. A notebook whose
process dies of a signal is run once more and reported either way; a failing assertion is never retried.
The slowest notebooks start first, so two workers finish together. Exit status: 0 when every notebook passed.

    python scripts/run_notebooks.py [JOBS [NAME ...]]     # NAME: run only these notebooks (e.g. 07_diffusion)
"""
import os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SLOW_FIRST = ['07_diffusion', '12b_evaluate', '05_autoencoder', '08_guidance', '09_grounding', '11_pipeline',
              '10_harmony', '06_unet', '04_metrics']

def run(nb: Path, flags: str) -> tuple[Path, int, float, str, int]:
    cmd = ['nbdev_test', '--path', str(nb), '--n_workers', '0'] + (['--flags', flags] if flags else [])
    env = {**os.environ, 'PYTHONFAULTHANDLER': '1'}
    for attempt in (1, 2):
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode >= 0: break                       # passed or failed for real: no second try
        print(f'!! {nb.name}: its process died of signal {-p.returncode} (attempt {attempt})\n{p.stdout}{p.stderr}', flush=True)
    return nb, p.returncode, time.time() - t0, p.stdout + p.stderr, attempt

def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count() or 2
    flags = os.environ.get('NBDEV_FLAGS', '')
    nbs = sorted(Path('nbs').glob('*.ipynb'))
    if only := set(sys.argv[2:]): nbs = [nb for nb in nbs if nb.stem in only]
    order = {n: i for i, n in enumerate(SLOW_FIRST)}
    nbs.sort(key=lambda p: order.get(p.stem, len(order)))
    failed, t0 = [], time.time()
    with ThreadPoolExecutor(jobs) as ex:
        for nb, rc, secs, out, attempt in ex.map(lambda nb: run(nb, flags), nbs):
            retried = f' (passed on a second run after a crash)' if attempt == 2 and rc == 0 else ''
            print(f"{'ok  ' if rc == 0 else 'FAIL'} {nb.name}: {secs:.0f} s{retried}", flush=True)
            if rc != 0: failed.append(nb.name); print(out, flush=True)
    print(f'{len(nbs) - len(failed)}/{len(nbs)} notebooks passed in {time.time() - t0:.0f} s')
    if failed: sys.exit(f"failed: {', '.join(failed)}")

if __name__ == '__main__': main()
