#!/usr/bin/env python
"""Training speed of the diffusion model: steps/s of `train_diffusion` on pre-encoded latents, from scratch in a
temporary run folder, timed from step `--skip` to the end (the first steps pay for allocation and warm-up).

    python scripts/bench_train.py --latents /path/to/latents.safetensors [--config small] [--steps 60] [--threads 2]

Prints one JSON line: config, batch, steps timed, seconds, steps/s, torch threads, the trainer's module.
"""
import argparse, json, tempfile, time
import torch

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--latents', required=True)
    ap.add_argument('--config', default='small')
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--skip', type=int, default=10)
    ap.add_argument('--batch', type=int, default=None)
    ap.add_argument('--grad-accum', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try: from bass_ld.diffusion_train import train_diffusion     # the library since the training notebook split
    except ImportError: from bass_ld.diffusion import train_diffusion
    marks = {}
    class Clock:                                                 # a callback: the wall time at every step
        def __call__(self, tr): marks[tr.step] = time.perf_counter()
    import bass_ld.train as T
    fit = T.Trainer.fit
    def timed_fit(self):
        self.callbacks.append(Clock())
        return fit(self)
    T.Trainer.fit = timed_fit
    kw = dict(grad_accum=a.grad_accum) if a.grad_accum > 1 else {}
    with tempfile.TemporaryDirectory() as d:
        tr = train_diffusion(a.latents, d, config=a.config, steps=a.steps, batch=a.batch, device='cpu', progress=False, **kw)
    n = a.steps - a.skip
    secs = marks[a.steps] - marks[a.skip]
    print(json.dumps(dict(config=a.config, batch=a.batch, steps_timed=n, seconds=round(secs, 2),
                          steps_per_s=round(n / secs, 3), threads=torch.get_num_threads(), trainer=T.__file__)))

if __name__ == '__main__':
    main()
