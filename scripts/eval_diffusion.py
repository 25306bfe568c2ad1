#!/usr/bin/env python
"""Does the generated bass fit its mix? Harmonic and rhythmic agreement on the test split, at the training crop
length (64 latent frames, 11.9 s) and at 4x that (256 frames, 47.6 s: medleys of consecutive test pairs, since
the pairs are at most 30 s long). Rows: the true bass (upper bound), the bass of another piece (lower bound),
and the model's generation. Writes nbs/results/diffusion_eval.json.

    .venv/bin/python scripts/eval_diffusion.py --data /path/to/pairs [--n 32] [--long 8] [--sweep]

--sweep first measures harmonic agreement against guidance strength on the valid split (how the default was chosen).
"""
import argparse, json, time, sys
from pathlib import Path
import numpy as np, torch

def ci95(v):
    "Mean and a bootstrap 95% interval of the mean (fixed seed)."
    v = np.asarray([x for x in v if np.isfinite(x)])
    rng = np.random.default_rng(0)
    boots = rng.choice(v, size=(2000, len(v)), replace=True).mean(1)
    return dict(mean=round(float(v.mean()), 4), lo=round(float(np.percentile(boots, 2.5)), 4),
                hi=round(float(np.percentile(boots, 97.5)), 4), n=int(len(v)))

def clips(items, frames, stride, sr, n):
    "Mix/bass pairs of exactly frames*stride samples: one pair if long enough, else consecutive pairs joined."
    from bass_ld.audio import load_audio
    L, out, buf = frames * stride, [], []
    for it in items:
        m, b = load_audio(it['mix'][0], sr), load_audio(it['bass'], sr)
        buf.append((m, b, it['id']))
        if sum(len(x[0]) for x in buf) >= L:
            m = torch.cat([x[0] for x in buf])[:L]; b = torch.cat([x[1] for x in buf])[:L]
            out.append(dict(mix=m, bass=b, ids=[x[2] for x in buf])); buf = []
        if len(out) == n: break
    return out

def measure(g, cl, cfg, steps, seed=0):
    from bass_ld.metrics import harmonic_agreement, onset_f1
    rows = {'true bass': [], 'other piece\'s bass': [], 'generated': []}
    for i, c in enumerate(cl):
        other = cl[(i + len(cl) // 2) % len(cl)]['bass']
        gen = g.generate(c['mix'], g.sr, steps=steps, cfg=cfg, seed=seed + i)
        for k, b in (('true bass', c['bass']), ("other piece's bass", other), ('generated', gen)):
            rows[k].append((harmonic_agreement(b, c['mix'], g.sr), onset_f1(b, c['mix'], g.sr)))
    return {k: dict(harmonic=ci95([a for a, _ in v]), onset_f1=ci95([o for _, o in v])) for k, v in rows.items()}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=32)
    p.add_argument('--long', type=int, default=8); p.add_argument('--steps', type=int, default=25)
    p.add_argument('--cfg', type=float, default=None, help='default: the pipeline default')
    p.add_argument('--sweep', action='store_true'); p.add_argument('--weights', default=None)
    p.add_argument('--out', default='nbs/results/diffusion_eval.json')
    a = p.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    from bass_ld.dataset import read_manifest
    from bass_ld.pipeline import BassGenerator
    import inspect
    g = BassGenerator.from_pretrained(diffusion=a.weights, device='cpu')
    cfg = a.cfg if a.cfg is not None else inspect.signature(g.generate).parameters['cfg'].default
    stride, sr, crop = g.ae.cfg.stride, g.sr, g.den.card.get('crop_frames', 64)
    res = dict(weights=a.weights or 'shipped', steps=a.steps, cfg=cfg, crop_frames=crop, card=g.den.card)
    t = time.time()
    if a.sweep:
        vc = clips(read_manifest(a.data, 'valid'), crop, stride, sr, 16)
        res['valid_cfg_sweep'] = {str(w): measure(g, vc, w, a.steps)['generated'] for w in (1.0, 1.5, 2.0, 3.0, 4.0)}
        print(json.dumps(res['valid_cfg_sweep'], indent=1), file=sys.stderr)
    test = read_manifest(a.data, 'test')
    res['x1'] = dict(frames=crop, seconds=round(crop * stride / sr, 2), **measure(g, clips(test, crop, stride, sr, a.n), cfg, a.steps))
    res['x4'] = dict(frames=4 * crop, seconds=round(4 * crop * stride / sr, 2), **measure(g, clips(test, 4 * crop, stride, sr, a.long), cfg, a.steps))
    res['seconds'] = round(time.time() - t, 1)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(a.out).with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1)); tmp.replace(a.out)
    print(json.dumps({k: v for k, v in res.items() if k != 'card'}, indent=1))

if __name__ == '__main__': main()
