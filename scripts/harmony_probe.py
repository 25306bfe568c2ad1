#!/usr/bin/env python
"""Does the diffusion model take its notes from the mix? A fast check in the latent space, not a test.

1. A probe learns to read the bass's pitch class off the bass latent: an MLP over 5 latent frames, labels from the
   true bass's CQT chroma (`probe_latents.frame_features`: voiced frames only), trained on 300 train pairs and
   cached in `--probe` (about 4 minutes once; it reads 87% of the test frames' pitch classes right).
2. For 48 test crops of the training length it samples bass latents (25 Heun steps, seed 0) with the mix (w = 1),
   with the null condition (w = 0), with another crop's mix, and with plain guidance at w = 4, then reads their
   pitch classes with the probe. Harmonic agreement in the latent domain: the mix's chroma (normalised by its
   largest bin) at the read pitch class, averaged over frames where the true bass sounds — the measure of
   `04_metrics`, without decoding or a pitch tracker. The true bass latent and another crop's true bass give the
   ceiling and the floor. About 30 s per checkpoint on 2 CPU cores.

A model that follows the harmony scores clearly above the "other mix" and "null" rows; one that ignores it ties
with them. Weights: an exported model (run folder, NAME.json) or a trainer checkpoint (`last.safetensors`, its EMA
weights; give `--config` if it is not `small`).

    .venv/bin/python scripts/harmony_probe.py --data data/pairs --latents data/latents.safetensors [--weights W ...]
"""
import argparse, json, sys
from pathlib import Path
import numpy as np, torch

sys.path.insert(0, str(Path(__file__).parent))
from probe_latents import frame_features, with_context, fit_mlp

def train_probe(data, latents, n:int=300, seed:int=0):
    "An MLP reading the pitch class (12) off 5 frames of bass latent; also the test split's per-frame features."
    from safetensors import safe_open
    from bass_ld.dataset import read_manifest
    rng = np.random.default_rng(seed)
    tr = read_manifest(data, 'train'); tr = [tr[i] for i in rng.permutation(len(tr))[:n]]
    X, Y, test = [], [], []
    with safe_open(str(latents), 'pt') as lat:
        for it in tr:
            f, y, v = frame_features(it, lat); X.append(with_context(f['bass_latent'])[v]); Y.append(y[v])
        for it in read_manifest(data, 'test'):
            f, y, v = frame_features(it, lat)
            test.append(dict(mix=f['mix_latent'], bass=f['bass_latent'], chroma=f['mix_chroma'], pc=y, voiced=v))
    X, Y = np.concatenate(X), np.concatenate(Y)
    net, mu, sd = fit_mlp(X, Y, 256, seed=seed)
    return dict(net=net.state_dict(), mu=mu, sd=sd, d=X.shape[1], test=test)

def load_denoiser(spec:str, config:str, sigma_data:float):
    from bass_ld.diffusion import Denoiser
    from bass_ld.unet import UNet1d, UNET_CONFIGS
    if Path(spec).name.startswith('last') and spec.endswith('.safetensors'):
        from safetensors.torch import load_file
        st = load_file(spec)
        den = Denoiser(UNet1d(UNET_CONFIGS[config]), sigma_data)
        den.load_state_dict({k[4:]: v.float() for k, v in st.items() if k.startswith('ema/')})
        return den.eval()
    return Denoiser.from_pretrained(spec or None, device='cpu')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='data/pairs'); ap.add_argument('--latents', default='data/latents.safetensors')
    ap.add_argument('--weights', nargs='*', default=[''], help="diffusion weights ('' = shipped)")
    ap.add_argument('--config', default='small', help='U-Net config of trainer checkpoints')
    ap.add_argument('--probe', default=None, help='probe cache (default: LATENTS.probe.pt)')
    ap.add_argument('--n', type=int, default=48); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--json', default=None, help='also write the numbers here')
    a = ap.parse_args()
    import librosa
    from bass_ld.diffusion import LatentCrops, karras_sigmas, sample_heun, guided
    from bass_ld.metrics import harmonic_agreement
    torch.set_num_threads(a.threads)
    cache = Path(a.probe or str(a.latents) + '.probe.pt')
    P = torch.load(cache, weights_only=False) if cache.exists() else train_probe(a.data, a.latents)
    if not cache.exists(): torch.save(P, cache)
    net = torch.nn.Sequential(torch.nn.Linear(P['d'], 256), torch.nn.GELU(), torch.nn.Linear(256, 12)); net.load_state_dict(P['net'])
    def pcs(z):
        with torch.no_grad(): return net((torch.tensor(with_context(z)).float() - P['mu']) / P['sd']).argmax(1).numpy()
    frames = 64
    rng = np.random.default_rng(0)
    tests = [t for t in P['test'] if t['mix'].shape[1] >= frames]
    crops = []
    for i in rng.choice(len(tests), min(a.n, len(tests)), replace=False):
        t = tests[i]; s = int(rng.integers(0, t['mix'].shape[1] - frames + 1)); sl = slice(s, s + frames)
        crops.append({k: (v[:, sl] if v.ndim == 2 else v[sl]) for k, v in t.items() if k != 'id'})
    def score(z):
        "Per-crop (pitch-class accuracy against the true bass, latent-domain harmonic agreement) over sounding frames."
        acc, agr = [], []
        for k, c in enumerate(crops):
            if not c['voiced'].any(): continue
            p = pcs(z[k]); acc.append(float((p == c['pc'])[c['voiced']].mean()))
            f0 = librosa.midi_to_hz(p + 48)            # the pitch class read, as a frequency: 04_metrics' measure takes f0
            agr.append(harmonic_agreement(None, None, pitch=(None, f0, c['voiced']), chroma=c['chroma']))
        return dict(pitch_class_acc=round(float(np.mean(acc)), 4), harmonic=round(float(np.mean(agr)), 4))
    bass = np.stack([c['bass'] for c in crops])
    out = {'true bass': score(bass), "another crop's bass": score(np.roll(bass, 1, 0))}
    mix = torch.tensor(np.stack([c['mix'] for c in crops])).float()
    sd = LatentCrops(a.latents, 'train').sigma_data()
    x0 = torch.randn(mix.shape, generator=torch.Generator().manual_seed(0)); sig = karras_sigmas(25)
    for spec in a.weights:
        den = load_denoiser(spec, a.config, round(sd, 4)); name = spec or 'shipped'
        for row, cond, w in (('with the mix (w = 1)', mix, 1.0), ('null condition (w = 0)', mix, 0.0),
                             ("another crop's mix (w = 1)", mix.roll(1, 0), 1.0), ('with the mix, plain w = 4', mix, 4.0)):
            with torch.no_grad(): z = sample_heun(guided(den, w), x0 * sig[0], sig, extra_args=dict(cond=cond)).numpy()
            out[f'{name}: {row}'] = score(z)
            print(f'{name}: {row}', out[f'{name}: {row}'], flush=True)
    print(f'\n{len(crops)} test crops of {frames} frames\n\n| latent | pitch-class accuracy | harmonic agreement |\n|---|---|---|')
    for k, r in out.items(): print(f"| {k} | {r['pitch_class_acc']:.3f} | {r['harmonic']:.3f} |")
    if a.json: Path(a.json).write_text(json.dumps(dict(n=len(crops), frames=frames, rows=out), indent=1))

if __name__ == '__main__':
    main()
