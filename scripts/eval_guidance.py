#!/usr/bin/env python
"""Plain vs rescaled classifier-free guidance on the test split: for w in {1,2,4,8,12,16}, sample 11.9 s clips
(the training crop, 64 latent frames) of test mixes, decode, and measure latent spread, audio health, distance
to the w=1 output of the same seed, and fit to the mix. Writes nbs/results/guidance_eval.json (read by
nbs/08_guidance.ipynb).

    .venv/bin/python scripts/eval_guidance.py --data /path/to/pairs [--n 24]   # the test-split sweep

The shipped phi and w are chosen on the valid split by `bass-ld evaluate --data DIR --choose nbs/results/choice.json`
(12_evaluate); this sweep keeps the test split's picture of every mode.
"""
import argparse, dataclasses, json, time
from pathlib import Path
import numpy as np, torch

MODES = {'plain': dict(kind='plain'), 'rescaled/item/1.0': dict(kind='rescaled', per='item', phi=1.0),
         'rescaled/item/0.7': dict(kind='rescaled', per='item', phi=0.7),
         'rescaled/item/0.9': dict(kind='rescaled', per='item', phi=0.9),
         'rescaled/frame/0.9': dict(kind='rescaled', per='frame', phi=0.9)}
PHIS = (0.7, 0.8, 0.85, 0.9, 1.0)
WS = [1, 2, 4, 8, 12, 16]

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=32)
    p.add_argument('--steps', type=int, default=25); p.add_argument('--split', default='test')
    p.add_argument('--out', default='nbs/results/guidance_eval.json')
    a = p.parse_args()
    from bass_ld.dataset import read_manifest
    from bass_ld.pipeline import BassGenerator
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.autoencoder import logmel_l1
    from bass_ld.metrics import harmonic_agreement, onset_f1, audio_health, bootstrap_ci, eval_clips
    t0 = time.time()
    g = BassGenerator.from_pretrained(device='cpu')
    frames = g.den.card.get('crop_frames', 64); L = frames * g.ae.cfg.stride
    clips = eval_clips(read_manifest(a.data, a.split), L, a.n, g.sr)
    z_mix = torch.stack([g.condition(c['mix'], g.ae.encode(c['mix'])) for c in clips])   # + pitch features for a model with them
    z_true = torch.stack([g.ae.encode(c['bass']) for c in clips])
    data_std = float(z_true.flatten(1).std(1).mean())
    from bass_ld.pipeline import SamplingConfig
    D = SamplingConfig()                                            # the shipped defaults
    res = dict(split=a.split, n=len(clips), steps=a.steps, clip_seconds=L / g.sr, ws=WS, data_std=round(data_std, 4),
               default=dict(mode='rescaled/{}/{}'.format(D.per, float(D.phi)),
                            cfg=D.w), modes={})
    for name, kw in MODES.items():
        res['modes'][name] = {}; y1 = None
        for w in WS:
            z = generate_latent(g.den, z_mix, steps=a.steps, w=w, seed=0,
                                rescale=guidance_rescale(kw['kind'], kw.get('phi', 1.0), kw.get('per', 'item')))[:, :g.ae.cfg.latent]
            ys = [g.ae.decode(zi, length=L) for zi in z]
            if w == 1: y1 = ys
            rows = dict(latent_std=z.flatten(1).std(1).tolist(),
                        frame_change=(z[..., 1:] - z[..., :-1]).abs().mean((1, 2)).tolist(),
                        dist_w1=[logmel_l1(y, y0) for y, y0 in zip(ys, y1)])
            for y, c in zip(ys, clips):
                h = audio_health(y, g.sr)
                for k in ('loudness', 'flatness', 'clipping'): rows.setdefault(k, []).append(h[k])
                rows.setdefault('harmonic', []).append(harmonic_agreement(y, c['mix'], g.sr))
                rows.setdefault('onset_f1', []).append(onset_f1(y, c['mix'], g.sr))
            res['modes'][name][str(w)] = {k: bootstrap_ci(v) for k, v in rows.items()} | dict(clips={k: [round(float(x), 6) for x in v] for k, v in rows.items()})
            r = res['modes'][name][str(w)]
            print(f"{name:20s} w={w:<3} std {r['latent_std']['mean']:.3f} loud {r['loudness']['mean']:.1f} flat {r['flatness']['mean']:.4f} "
                  f"d1 {r['dist_w1']['mean']:.2f} HA {r['harmonic']['mean']:.3f} F1 {r['onset_f1']['mean']:.3f}  {time.time() - t0:.0f}s", flush=True)
    res['wall_seconds'] = round(time.time() - t0)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1)); print('wrote', a.out)

if __name__ == '__main__': main()
