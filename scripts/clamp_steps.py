"""Clamping the note channels against the number of sampler steps (08_guidance): valid-split clips sampled with the
shipped guidance at several step counts, with and without `clamp_notes` at every step, scored by the share of latent
frames whose voicing says a note sounds and, decoded, by harmonic agreement, onset F1 and raw chroma accuracy against
the true bass (12c_choose's measures). It is what `CLAMP_BELOW` rests on.

    python scripts/clamp_steps.py [--data data/pairs] [--n 24] [--steps 4 6 8 12 16 25]

Writes nbs/results/clamp_steps.json (about 8 minutes on 2 CPU cores).
"""
import argparse, json
from pathlib import Path
import numpy as np, torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default='data/pairs')
    ap.add_argument('--n', type=int, default=24)
    ap.add_argument('--steps', type=int, nargs='+', default=[4, 6, 8, 12, 16, 25])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', default='nbs/results/clamp_steps.json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from bass_ld.audio import atomic_path
    from bass_ld.dataset import read_manifest
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.measure import eval_set
    from bass_ld.metrics import harmonic_agreement, onset_f1, bass_pitch, pitch_accuracy, bootstrap_ci
    from bass_ld.pipeline import BassGenerator, SamplingConfig
    from bass_ld.pitch import NOTE_SCALE, NOTE_OFFSET
    g, d = BassGenerator.from_pretrained(device='cpu'), SamplingConfig()
    L = g.den.card.get('crop_frames', 64) * g.ae.cfg.stride
    clips = eval_set(read_manifest(a.data, 'valid'), a.n, L, g.sr)
    zm = torch.stack([g.condition(c['mix'], g.ae.encode(c['mix'])) for c in clips])
    true_pitch = [bass_pitch(c['bass'], g.sr) for c in clips]
    rows = {}
    for steps in a.steps:
        for clamp in (False, True):
            z = generate_latent(g.den, zm, steps=steps, w=d.w, seed=0, rescale=guidance_rescale(d.guidance, d.phi),
                                clamp=clamp)
            ys = [g.decode(zi, L) for zi in z]
            rows[f'{steps} {"clamped" if clamp else "unclamped"}'] = dict(
                steps=steps, clamp=clamp,
                voiced=bootstrap_ci([float((zi[-1] / NOTE_SCALE[-1] + NOTE_OFFSET[-1] >= 0.5).float().mean()) for zi in z]),
                harmonic=bootstrap_ci([harmonic_agreement(y, c['mix'], g.sr) for y, c in zip(ys, clips)]),
                onset_f1=bootstrap_ci([onset_f1(y, c['mix'], g.sr) for y, c in zip(ys, clips)]),
                raw_chroma=bootstrap_ci([pitch_accuracy(y, c['bass'], g.sr, ref_pitch=tp)['raw_chroma']
                                         for y, c, tp in zip(ys, clips, true_pitch)]))
            print(steps, clamp, {k: round(v['mean'], 3) for k, v in rows[list(rows)[-1]].items() if isinstance(v, dict)},
                  flush=True)
    out = dict(split='valid', n=len(clips), guidance=d.guidance, w=d.w, phi=d.phi, rows=rows,
               command='python scripts/clamp_steps.py')
    with atomic_path(Path(a.out)) as tmp: Path(tmp).write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__':
    main()
