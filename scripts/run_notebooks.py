#!/usr/bin/env python
"""Run every notebook's tests with nbdev_test, each notebook in a process of its own, `jobs` at a time.

One process per notebook keeps a crash in native code (a segfault in a C library at exit, say) from taking
the other notebooks down with a shared worker pool, and names the notebook it happened in. A notebook whose
process dies of a signal is run once more and reported either way; a failing assertion is never retried.
The slowest notebooks start first, so two workers finish together. The quick ones (a few seconds of cells
each, against ~2.5 s to start Python, torch and nbdev) run in batches instead, `jobs` of them, each batch in a
process of its own that runs its notebooks one after another, as nbdev_test's own worker pool would (each
notebook still gets a fresh kernel namespace and its own folder). Exit status: 0 when every notebook passed.

    python scripts/run_notebooks.py [JOBS [NAME ...]]     # NAME: run only these notebooks (e.g. 07_diffusion)
"""
import os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# each in a process of its own, slowest first (a clean-clone CI run's times); every other notebook is batched
SLOW_FIRST = ['12b_evaluate', '11_pipeline', '07b_diffusion_train', '11c_measure', '06c_note_codec', '05b_ae_train',
              '12c_choose', '04_metrics', '08_guidance', '09_grounding', '07_diffusion', '05_autoencoder', '02a_render',
              '11d_edit', '14_widgets', '15c_cli']

def batch(names: list[str]) -> int:
    "Run notebooks `names` one after another in this process, as nbdev_test does each; 0 when all passed."
    from nbdev.config import get_config
    from nbdev.test import test_nb
    cfg, failed = get_config(), []
    skip, force = cfg.tst_flags.split(), os.environ.get('NBDEV_FLAGS', '').split()
    for name in names:
        ok, secs = test_nb(Path(name).absolute(), skip_flags=skip, force_flags=force, basepath=cfg.config_path)
        print(f"   {'ok  ' if ok else 'FAIL'} {Path(name).name}: {secs:.0f} s", flush=True)
        if not ok: failed.append(Path(name).name)
    return 1 if failed else 0

def run(unit: list[Path], flags: str) -> tuple[str, int, float, str, int]:
    if len(unit) == 1:
        cmd = ['nbdev_test', '--path', str(unit[0]), '--n_workers', '0'] + (['--flags', flags] if flags else [])
    else: cmd = [sys.executable, __file__, '--batch', *map(str, unit)]
    name = unit[0].name if len(unit) == 1 else f'batch of {len(unit)} ({unit[0].stem} .. {unit[-1].stem})'
    env = {**os.environ, 'PYTHONFAULTHANDLER': '1', 'NBDEV_FLAGS': flags}
    for attempt in (1, 2):
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode >= 0: break                       # passed or failed for real: no second try
        print(f'!! {name}: its process died of signal {-p.returncode} (attempt {attempt})\n{p.stdout}{p.stderr}',
              flush=True)
    return name, p.returncode, time.time() - t0, p.stdout + p.stderr, attempt

def main():
    if sys.argv[1:2] == ['--batch']: sys.exit(batch(sys.argv[2:]))
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count() or 2
    flags = os.environ.get('NBDEV_FLAGS', '')
    nbs = sorted(Path('nbs').glob('*.ipynb'))
    if only := set(sys.argv[2:]): nbs = [nb for nb in nbs if nb.stem in only]
    order = {n: i for i, n in enumerate(SLOW_FIRST)}
    solo = sorted((nb for nb in nbs if nb.stem in order), key=lambda p: order[p.stem])
    quick = [nb for nb in nbs if nb.stem not in order]
    units = [[nb] for nb in solo] + [u for u in (quick[k::jobs] for k in range(jobs)) if u]
    failed, t0 = [], time.time()
    with ThreadPoolExecutor(jobs) as ex:
        for name, rc, secs, out, attempt in ex.map(lambda u: run(u, flags), units):
            retried = f' (passed on a second run after a crash)' if attempt == 2 and rc == 0 else ''
            print(f"{'ok  ' if rc == 0 else 'FAIL'} {name}: {secs:.0f} s{retried}", flush=True)
            if name.startswith('batch') and rc == 0:                # its notebooks, one line each
                print('\n'.join(l for l in out.splitlines() if l.startswith(('   ok', '   FAIL'))), flush=True)
            if rc != 0: failed.append(name); print(out, flush=True)
    print(f'{len(nbs)} notebooks in {len(units)} processes: {"all passed" if not failed else "failures"} in '
          f'{time.time() - t0:.0f} s')
    if failed: sys.exit(f"failed: {', '.join(failed)}")

if __name__ == '__main__': main()
