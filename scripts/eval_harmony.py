#!/usr/bin/env python
"""Harmony guidance (nbs/10_harmony) on held-out clips: does the generated bass play what the mix sounds?

    .venv/bin/python scripts/eval_harmony.py --data /path/to/pairs            # the test split

The shipped strength is chosen on the valid split by `bass-ld evaluate --data DIR --choose nbs/results/choice.json`
(12_evaluate). The test run compares, at 64 frames (24 clips) and at
4x that (256 frames, 12 clips of consecutive test pairs), the true bass, another clip's true bass, and the shipped
defaults with the guidance off and on (same noise): harmonic agreement (PESTO pitch of the decoded bass, CQT chroma of
the mix; the guidance uses STFT chroma), onset F1, raw chroma accuracy against the true bass, and loudness, with
bootstrap intervals of the per-clip differences. Writes nbs/results/harmony_eval.json (read by 10_harmony).
"""
import argparse, dataclasses, json, time
from pathlib import Path
import numpy as np, torch

STRENGTHS = (0.0, 0.05, 0.1, 0.2, 0.3)

def setup(a):
    from bass_ld.pipeline import BassGenerator
    torch.set_num_threads(a.threads)
    g = BassGenerator.from_pretrained(device='cpu')
    from bass_ld.pipeline import SamplingConfig
    return g, dataclasses.asdict(SamplingConfig())                 # the shipped defaults

def sample(g, d, clips, frames, strength, seed=0):
    "Decoded bass for every clip with the shipped defaults and harmony strength `strength`, batched."
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.harmony import harmony_guidance, frame_chroma
    L = frames * g.ae.cfg.stride
    zm = torch.stack([g.condition(c['mix'], g.ae.encode(c['mix'])) for c in clips])   # + pitch features for a model with them
    H = np.stack([frame_chroma(c['mix'], frames, g.sr, g.ae.cfg.stride) for c in clips])
    z = generate_latent(g.den, zm, steps=d['steps'], w=d['w'], seed=seed, rescale=guidance_rescale(d['guidance'], d['phi'], d['per']),
                        ground=g.on_latent(harmony_guidance(g.probe, H, strength, g.den.sigma_data)))
    return [g.ae.decode(zi[:g.ae.cfg.latent], length=L) for zi in z]

def measure(ys, clips, sr):
    from bass_ld.metrics import bass_pitch, mix_chroma, harmonic_agreement, onset_f1, pitch_accuracy, audio_health
    out = dict(harmonic=[], onset_f1=[], chroma_vs_true=[], loudness=[])
    for y, c in zip(ys, clips):
        p = bass_pitch(y, sr)
        if 'pitch' not in c: c['pitch'], c['chroma'] = bass_pitch(c['bass'], sr), mix_chroma(c['mix'], sr)   # the true bass's, once
        out['harmonic'].append(harmonic_agreement(None, None, sr, pitch=p, chroma=c['chroma']))
        out['onset_f1'].append(onset_f1(y, c['mix'], sr))
        out['chroma_vs_true'].append(pitch_accuracy(None, None, sr, pitch=p, ref_pitch=c['pitch'])['raw_chroma'])
        out['loudness'].append(audio_health(y, sr)['loudness'])
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True); p.add_argument('--n', type=int, default=24)
    p.add_argument('--out', default='nbs/results/harmony_eval.json'); p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    t0, out = time.time(), Path(a.out)
    res = json.loads(out.read_text()) if out.exists() else {}
    from bass_ld.dataset import read_manifest
    from bass_ld.metrics import eval_clips, bootstrap_ci
    g, d = setup(a)
    res['test'] = {}
    for frames, n in ((64, a.n), (256, max(2, a.n // 2))):
        clips = eval_clips(read_manifest(a.data, 'test'), frames * g.ae.cfg.stride, n, g.sr)
        rows = {'true bass': measure([c['bass'] for c in clips], clips, g.sr),
                "another clip's true bass": measure([clips[(i + 1) % len(clips)]['bass'] for i in range(len(clips))], clips, g.sr),
                'generated, harmony off': measure(sample(g, d, clips, frames, 0.0), clips, g.sr),
                f"generated, harmony {d['harmony']:g} (default)": measure(sample(g, d, clips, frames, d['harmony']), clips, g.sr)}
        on, off, other = (np.array(rows[k]['harmonic']) for k in (f"generated, harmony {d['harmony']:g} (default)", 'generated, harmony off',
                                                                   "another clip's true bass"))
        key = f'{frames} frames ({frames * g.ae.cfg.stride / g.sr:.1f} s), {len(clips)} clips'
        res['test'][key] = dict(
            rows={k: dict(harmonic=bootstrap_ci(v['harmonic']), onset_f1=round(float(np.nanmean(v['onset_f1'])), 4),
                          chroma_vs_true=round(float(np.nanmean(v['chroma_vs_true'])), 4),
                          loudness=round(float(np.nanmedian(v['loudness'])), 2), per_clip=v) for k, v in rows.items()},
            guided_minus_other=bootstrap_ci(on - other), guided_minus_unguided=bootstrap_ci(on - off))
        for k, v in res['test'][key]['rows'].items(): print(key, k, v['harmonic'], v['onset_f1'], v['chroma_vs_true'], v['loudness'], flush=True)
        print(key, 'guided - other', res['test'][key]['guided_minus_other'], 'guided - unguided', res['test'][key]['guided_minus_unguided'], flush=True)
    res.pop('choice', None)                                         # chosen by `bass-ld evaluate --choose` now
    res['seconds'] = round(time.time() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1)); tmp.replace(out)
    print('wrote', out, f'({time.time() - t0:.0f} s)')

if __name__ == '__main__':
    main()
