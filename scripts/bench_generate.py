#!/usr/bin/env python
"""Generation speed and memory: real-time factor (seconds of audio per second of compute) of `BassGenerator.generate`
end to end (resample, encode, sample, decode) for mixes of several lengths at the default settings, and the peak
resident memory of each run. Each length runs in its own process, so its peak memory is its own. The mix is the
bundled example tiled to length (real music, so the sampler does real work).

    .venv/bin/python scripts/bench_generate.py [--seconds 30 60 600] [--steps 25] [--threads 2] [--device cpu] [--json OUT]
                                               [--busy 0 2]

Prints a markdown table (steady state: the second of two runs, after a warm-up of the same length; 600 s runs once).
`--busy 0 2` runs every length on an idle machine and again beside two busy processes (pure-Python loops, one core
each), as on a machine shared with other work. Children start as `bass-ld` does: GOMP_SPINCOUNT=20000 (unless a
wait policy is set), and without --threads the share of the cores the machine leaves free (`bass_ld.core.free_threads`).
"""
import argparse, json, os, resource, subprocess, sys, time

def one(seconds, steps, device, threads, repeats):
    import torch
    from bass_ld.core import busy_share, free_threads
    torch.set_num_threads(threads or free_threads(torch.get_num_threads(), busy_share()))
    from bass_ld.audio import load_audio
    from bass_ld.autoencoder import WEIGHTS
    from bass_ld.pipeline import BassGenerator
    from bass_ld.train import hardware
    g = BassGenerator.from_pretrained(device=device)
    ex = load_audio(WEIGHTS.parent / 'examples' / 'example_mix.flac', g.sr)
    n = int(seconds * g.sr)
    mix = ex.repeat(n // len(ex) + 1)[:n]
    times = []
    for r in range(repeats):
        if g.ae.device.type == 'cuda': torch.cuda.synchronize()
        t = time.perf_counter()
        bass = g.generate(mix, g.sr, steps=steps, seed=r)
        if g.ae.device.type == 'cuda': torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    assert len(bass) == n
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(seconds=seconds, steps=steps, device=str(g.ae.device), hardware=hardware(g.ae.device), threads=torch.get_num_threads(),
                wall=[round(x, 2) for x in times], rtf=round(seconds / times[-1], 1), peak_rss_mb=round(peak_mb),
                cuda_peak_mb=round(torch.cuda.max_memory_allocated() / 2**20) if g.ae.device.type == 'cuda' else None)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seconds', type=float, nargs='+', default=[30.0, 60.0, 600.0])
    p.add_argument('--steps', type=int, default=25); p.add_argument('--threads', type=int, default=None)
    p.add_argument('--device', default=None); p.add_argument('--json', default=None)
    p.add_argument('--busy', type=int, nargs='+', default=[0], help='numbers of busy processes to run beside (0: idle)')
    p.add_argument('--_one', type=float, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a._one is not None:
        print(json.dumps(one(a._one, a.steps, a.device, a.threads, 1 if a._one >= 300 else 2))); return
    rows = []
    env = dict(os.environ)
    if 'OMP_WAIT_POLICY' not in env: env.setdefault('GOMP_SPINCOUNT', '20000')
    for busy in a.busy:
        hogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(busy)]
        time.sleep(1 if busy else 0)
        try:
            for s in a.seconds:
                cmd = [sys.executable, __file__, '--_one', str(s), '--steps', str(a.steps)] + \
                      (['--threads', str(a.threads)] if a.threads else []) + (['--device', a.device] if a.device else [])
                r = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if r.returncode: sys.exit(r.stderr)
                rows.append({**json.loads(r.stdout.strip().splitlines()[-1]), 'busy': busy}); print(rows[-1], file=sys.stderr)
        finally:
            for h in hogs: h.kill()
    print(f"| mix length | steps | device | other busy processes | threads | wall (s) | real-time factor | peak RSS (MB) |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seconds']:g} s | {r['steps']} | {r['hardware']} | {r['busy']} | {r['threads']} | {r['wall'][-1]:.1f} | {r['rtf']:.1f}× | {r['peak_rss_mb']}"
              + (f" (GPU {r['cuda_peak_mb']})" if r['cuda_peak_mb'] else '') + ' |')
    if a.json:
        with open(a.json + '.tmp', 'w') as f: json.dump(rows, f, indent=1)
        os.replace(a.json + '.tmp', a.json)

if __name__ == '__main__': main()
