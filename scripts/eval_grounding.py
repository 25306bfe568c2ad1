#!/usr/bin/env python
"""Style grounding on the test split. Each of N test mixes (11.9 s clips) is given a style reference: the bass
stem of a *different* test piece, its timbre cycling through all twelve labels. Generate without grounding and
with each grounding variant/strength; the shipped timbre classifier says which timbre each result sounds like.
Style accuracy = share classified as the reference's timbre. Also harmonic agreement and onset F1 with the mix.
Writes nbs/results/grounding_eval.json (read by nbs/09_grounding.ipynb).

    .venv/bin/python scripts/eval_grounding.py --data /path/to/pairs [--n 48]
"""
import argparse, json, time
from pathlib import Path
import numpy as np, torch

VARIANTS = [('none', 0.0), ('stats', 0.25), ('stats', 0.5), ('stats', 1.0), ('nn', 0.25), ('nn', 0.5), ('nn', 1.0)]

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=48)
    p.add_argument('--steps', type=int, default=25); p.add_argument('--split', default='test')
    p.add_argument('--variants', default=None, help='comma list kind:strength (default: all)')
    p.add_argument('--timbre', default=None, help='timbre classifier weights (default: shipped)')
    p.add_argument('--out', default='nbs/results/grounding_eval.json')
    a = p.parse_args()
    from bass_ld.dataset import read_manifest, LABELS
    from bass_ld.audio import load_audio
    from bass_ld.pipeline import BassGenerator
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.grounding import TimbreClassifier, reference_latent, grounding_fn
    from bass_ld.metrics import harmonic_agreement, onset_f1, bootstrap_ci, eval_clips
    variants = [(k, float(s)) for k, s in (v.split(':') for v in a.variants.split(','))] if a.variants else VARIANTS
    t0 = time.time()
    g = BassGenerator.from_pretrained(device='cpu'); clf = TimbreClassifier.from_pretrained(a.timbre, device='cpu')
    from bass_ld.pipeline import SamplingConfig
    D = SamplingConfig()                                            # the shipped defaults
    cfg, rescale = D.w, guidance_rescale(D.guidance, D.phi, D.per)
    items = read_manifest(a.data, a.split)
    L = g.den.card.get('crop_frames', 64) * g.ae.cfg.stride
    from bass_ld.audio import rms_db
    clips = [c for c in eval_clips(items, L, a.n + 8, g.sr) if rms_db(c['bass']) > -50][:a.n]   # skip clips whose bass rests
    piece = lambda i: i.rsplit('-v', 1)[0]
    by_label = {k: [it for it in items if it['label'] == k] for k in range(len(LABELS))}
    refs, targets = [], []
    for i, c in enumerate(clips):
        k = i % len(LABELS)
        cands = [it for it in by_label[k] if piece(it['id']) not in {piece(x) for x in c['ids']}]
        ref = cands[(i // len(LABELS)) % len(cands)]
        refs.append(reference_latent(g.ae, load_audio(ref['bass'], g.sr), g.sr)); targets.append(k)
    z_mix = torch.stack([g.condition(c['mix'], g.ae.encode(c['mix'])) for c in clips])   # + pitch features for a model with them
    res = dict(split=a.split, n=len(clips), steps=a.steps, cfg=cfg, clip_seconds=L / g.sr, labels=list(LABELS),
               chance=1 / len(LABELS), classifier=clf.card, variants={})
    # the true basses: how often the classifier recognises the original stem, and through the codec
    res['true_bass_accuracy'] = float(np.mean([LABELS.index(clf.predict(c['bass'], g.sr)) == c['label'] for c in clips]))
    for kind, s in variants:
        name = 'none' if kind == 'none' else f'{kind}:{s:g}'
        rows = dict(style=[], harmonic=[], onset_f1=[], latent_std=[]); preds = []
        for i, c in enumerate(clips):
            gr = grounding_fn(refs[i], s, kind) if kind != 'none' else None
            z = generate_latent(g.den, z_mix[i], steps=a.steps, w=cfg, seed=i, rescale=rescale, ground=g.on_latent(gr))
            y = g.ae.decode(z[:g.ae.cfg.latent], length=L)
            try: pred = LABELS.index(clf.predict(y, g.sr))
            except ValueError: pred = -1                                  # a silent generation has no timbre: wrong
            preds.append(pred)
            rows['style'].append(float(pred == targets[i])); rows['latent_std'].append(float(z[:g.ae.cfg.latent].std()))
            rows['harmonic'].append(harmonic_agreement(y, c['mix'], g.sr)); rows['onset_f1'].append(onset_f1(y, c['mix'], g.sr))
        r = {k: bootstrap_ci(v) for k, v in rows.items()}
        r['per_label'] = {LABELS[k]: float(np.mean([rows['style'][i] for i in range(len(clips)) if targets[i] == k])) for k in sorted(set(targets))}
        r['predicted'] = [LABELS[p] if p >= 0 else 'silent' for p in preds]
        res['variants'][name] = r
        print(f"{name:10s} style {r['style']['mean']:.3f} HA {r['harmonic']['mean']:.3f} F1 {r['onset_f1']['mean']:.3f} "
              f"std {r['latent_std']['mean']:.3f}  {time.time() - t0:.0f}s", flush=True)
    res['targets'] = [LABELS[k] for k in targets]; res['wall_seconds'] = round(time.time() - t0)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); Path(a.out).write_text(json.dumps(res, indent=1)); print('wrote', a.out)

if __name__ == '__main__': main()
