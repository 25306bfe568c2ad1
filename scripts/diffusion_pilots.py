#!/usr/bin/env python
"""The pilot table of nbs/06b_pitch: diffusion recipes trained on the same short budget, then compared (a research
harness, not a test; every run is also a `bass-ld train diffusion` command except the mix-features-only pilot).

    python scripts/diffusion_pilots.py train RUN --latents LAT [--steps 2000] [--features] [--mix-only] [--p-mean X] [--aux W]
    python scripts/diffusion_pilots.py measure RUN... --latents LAT      # latent level: the pitch probe, ~1 min per run
    python scripts/diffusion_pilots.py audio RUN... --data PAIRS         # decoded audio: the evaluation's metrics, ~1 min

`measure` samples 64 valid-split crops of 64 frames (25 Heun steps, seed 0) at w = 1 and rescaled w = 4 and reads the
pitch class of every frame with the shipped pitch probe (10_harmony): its accuracy against the labelled pitch class
and the mix's chroma at it (harmonic agreement in the latent domain); for models with note channels also the notes'
own pitch class. `audio` decodes 24 valid clips and scores them as `bass-ld evaluate` does. Runs train with one
thread each, so two can share a 2-core machine.
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np, torch

def train(a):
    from functools import partial
    from dataclasses import asdict
    from bass_ld.diffusion import LatentCrops, DenoiseCheck, Denoiser, diffusion_loss, DIFF_TRAIN, P_STD
    from bass_ld.unet import UNet1d, UNetConfig, UNET_CONFIGS
    from bass_ld.train import Trainer
    torch.set_num_threads(a.threads)
    feats = a.features or a.mix_only
    data = LatentCrops(a.latents, 'train', 64, 32, 0, feats)
    valid = LatentCrops(a.latents, 'valid', 64, 32, 0, feats)
    if a.mix_only:                       # condition on the mix features, generate the latent alone
        for d in (data, valid):
            d.items = [(m, b[:60]) for m, b in d.items]; d.channels = 60
    ucfg = UNetConfig(**{**asdict(UNET_CONFIGS['small']), 'latent': data.channels,
                         'cond': data.cond_channels if feats else None})
    torch.manual_seed(0)
    den = Denoiser(UNet1d(ucfg), sigma_data=round(data.sigma_data(), 4), features=bool(a.features))
    out = Path(a.out)
    loss_fn = partial(diffusion_loss, p_uncond=0.1, p_mean=a.p_mean, p_std=P_STD)
    if a.aux:                            # + cross-entropy of the frozen pitch probe on the denoised latent against the labels
        from bass_ld.harmony import PitchProbe
        from bass_ld.diffusion import edm_scalings
        from bass_ld.pitch import NOTE_SCALE, NOTE_OFFSET
        probe = PitchProbe.from_pretrained(device='cpu').eval()
        for q in probe.parameters(): q.requires_grad_(False)
        sc, off = torch.tensor(NOTE_SCALE)[None, :, None], torch.tensor(NOTE_OFFSET)[None, :, None]
        def loss_fn(den, batch):
            bass, mix, mask = batch['bass'], batch['mix'], batch['mask']
            B = bass.shape[0]
            sigma = (a.p_mean + P_STD * torch.randn(B)).exp()
            c_skip, c_out, c_in, c_noise = (v.view(-1, 1, 1) for v in edm_scalings(sigma, den.sigma_data))
            x = bass + sigma.view(-1, 1, 1) * torch.randn_like(bass)
            drop = torch.rand(B) < 0.1
            out = den.net(c_in * x, c_noise.view(-1), mix, drop).float()
            m = mask[:, None, :].float()
            mse = (((out - (bass - c_skip * x) / c_out) ** 2) * m).sum() / (m.sum() * bass.shape[1])
            D = c_skip * x + c_out * out
            raw = bass[:, 60:] / sc + off
            pc, voiced = raw[:, :12].argmax(1), (raw[:, 13] > 0.5) & mask
            logits = probe(D[:, :60])                                    # (B, T, 12)
            ce = torch.nn.functional.cross_entropy(logits[voiced], pc[voiced]) if voiced.any() else mse * 0
            return dict(loss=mse + a.aux * ce, mse=mse.detach(), ce=ce.detach())
    tr = Trainer(den, loss_fn, data, out, steps=a.steps, lr=4e-4,
                 warmup=200, log_every=25, ckpt_every=250, device='cpu',
                 callbacks=[DenoiseCheck(valid, 500, seed=0)], progress=False, seed=0)
    t = time.time(); tr.fit()
    (out / 'pilot.json').write_text(json.dumps(dict(ucfg=asdict(ucfg), sigma_data=den.sigma_data, features=bool(a.features),
                                                   mix_only=bool(a.mix_only), p_mean=a.p_mean, aux=a.aux, steps=tr.step,
                                                   minutes=round(tr.seconds / 60, 1))))
    print(f'{a.out}: {tr.step} steps in {(time.time() - t) / 60:.1f} min; valid {tr.valid[-1] if tr.valid else None}')

def load(run):
    "A pilot's EMA weights (its `pilot.json` and `last.safetensors`), or an exported model (a run folder with model.*, or '' = shipped)."
    from safetensors.torch import load_file
    from bass_ld.diffusion import Denoiser
    from bass_ld.unet import UNet1d, UNetConfig
    if not run or not (Path(run) / 'pilot.json').exists():
        den = Denoiser.from_pretrained(run or None, device='cpu')
        return den, dict(features=den.features, mix_only=False, steps=den.card.get('steps'), minutes=den.card.get('wall_minutes'))
    info = json.loads((Path(run) / 'pilot.json').read_text())
    u = info['ucfg']
    den = Denoiser(UNet1d(UNetConfig(**{**u, 'channels': tuple(u['channels']), 'attn_levels': tuple(u['attn_levels'])})),
                   info['sigma_data'], info['features'])
    st = load_file(str(Path(run) / 'last.safetensors'))
    den.load_state_dict({k[4:]: v.float() for k, v in st.items() if k.startswith('ema/')})
    return den.eval(), info

def measure(a):
    from safetensors import safe_open
    from bass_ld.harmony import PitchProbe
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.pitch import NOTE_SCALE, NOTE_OFFSET
    torch.set_num_threads(a.threads)
    probe = PitchProbe.from_pretrained(device='cpu').eval()
    rng = np.random.default_rng(0)
    with safe_open(a.latents, 'pt') as f:
        index = json.loads(f.metadata()['index'])
        ids = sorted(k for k, v in index.items() if v['split'] == a.split)
        crops = []
        for k in rng.permutation(ids):
            m = f.get_tensor(f'{k}/mix').float(); T = m.shape[-1]
            if T < 64: continue
            s = int(rng.integers(0, T - 64 + 1)); sl = slice(s, s + 64)
            crops.append(dict(mix=m[:, sl], bass=f.get_tensor(f'{k}/bass').float()[:, sl],
                              mf=f.get_tensor(f'{k}/mix_features').float()[:, sl], notes=f.get_tensor(f'{k}/notes').float()[:, sl]))
            if len(crops) == a.n: break
    mix = torch.stack([c['mix'] for c in crops]); bass = torch.stack([c['bass'] for c in crops])
    mf = torch.stack([c['mf'] for c in crops]); notes = torch.stack([c['notes'] for c in crops])
    raw = notes / torch.tensor(NOTE_SCALE)[None, :, None] + torch.tensor(NOTE_OFFSET)[None, :, None]
    true_pc, voiced = raw[:, :12].argmax(1), raw[:, 13] > 0.5            # (B, T)
    chroma = mf[:, :12]                                                  # whole-mix chroma, max 1 per frame
    def read(z):
        with torch.no_grad(): return probe(z).argmax(-1)                 # (B, T)
    def scores(pc, name, extra=None):
        acc = float((pc == true_pc)[voiced].float().mean())
        agree = float(torch.gather(chroma, 1, pc[:, None]).squeeze(1)[voiced].mean())
        r = dict(pc_acc=round(acc, 4), agreement=round(agree, 4))
        if extra: r.update(extra)
        print(f'  {name:34s} ' + '  '.join(f'{k} {v:.3f}' for k, v in r.items()), flush=True)
        return r
    out = {'true latent': scores(read(bass), 'true latent'), 'other crop': scores(read(bass.roll(1, 0)), 'other crop')}
    for run in a.runs:
        den, info = load(run)
        cond = torch.cat([mix, mf], 1) if info['features'] or info['mix_only'] else mix
        print(f'{run} ({info["steps"]} steps, {info["minutes"]} min)')
        for w in a.ws:
            t = time.time()
            z = generate_latent(den, cond, steps=a.steps, w=w, seed=0, rescale=guidance_rescale('rescaled', 0.9) if w > 1 else None)
            extra = {}
            if info['features']:
                zr = z[:, 60:] / torch.tensor(NOTE_SCALE)[None, :, None] + torch.tensor(NOTE_OFFSET)[None, :, None]
                npc = zr[:, :12].argmax(1)
                extra = dict(notes_pc_acc=round(float((npc == true_pc)[voiced].float().mean()), 4),
                             notes_agree=round(float(torch.gather(chroma, 1, npc[:, None]).squeeze(1)[voiced].mean()), 4),
                             probe_vs_notes=round(float((read(z[:, :60]) == npc)[voiced].float().mean()), 4),
                             register=round(float((zr[:, 12] * 12 + 40)[voiced].mean()), 2))
            extra['std'] = round(float(z[:, :60].std()), 3); extra['sec'] = round(time.time() - t, 1)
            out[f'{Path(run).name} w={w:g}'] = scores(read(z[:, :60]), f'w={w:g}', extra)
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))

def audio(a):
    torch.set_num_threads(a.threads)
    from bass_ld.autoencoder import AutoEncoder
    from bass_ld.dataset import read_manifest
    from bass_ld.metrics import eval_clips, bass_pitch, mix_chroma, harmonic_agreement, onset_f1, pitch_accuracy, audio_health
    from bass_ld.pitch import mix_features
    from bass_ld.diffusion import generate_latent, Denoiser
    from bass_ld.guidance import guidance_rescale
    ae = AutoEncoder.from_pretrained(device='cpu')
    its = [i for i in read_manifest(a.data, a.split) if a.source is None or i['source'] == a.source]
    rng = np.random.default_rng(0); its = [its[i] for i in rng.permutation(len(its))]
    L = 64 * 4096
    clips = eval_clips(its, L, a.n)
    zm = torch.stack([ae.encode(c['mix']) for c in clips])
    mf = torch.stack([torch.from_numpy(mix_features(c['mix'], 64)) for c in clips])
    chroma = [mix_chroma(c['mix']) for c in clips]; refp = [bass_pitch(c['bass']) for c in clips]
    def score(ys, name):
        rows = []
        for y, c, ch, rp in zip(ys, clips, chroma, refp):
            p = bass_pitch(y)
            rows.append(dict(harmonic=harmonic_agreement(None, None, pitch=p, chroma=ch), onset_f1=onset_f1(y, c['mix']),
                             **pitch_accuracy(None, None, pitch=p, ref_pitch=rp), **audio_health(y),
                             median_midi=float(np.nanmedian(12 * np.log2(np.maximum(p[1][p[2]], 1) / 440) + 69)) if p[2].any() else np.nan))
        m = {k: round(float(np.nanmean([r[k] for r in rows])), 4) for k in rows[0]}
        print(f'{name:40s}', m, flush=True)
        return m
    score([c['bass'] for c in clips], 'true bass')
    score([clips[(i + len(clips) // 2) % len(clips)]['bass'] for i in range(len(clips))], 'other bass')
    for run in a.runs:
        den, info = load(run)
        cond = torch.cat([zm, mf], 1) if info['features'] or info['mix_only'] else zm
        z = generate_latent(den, cond, steps=a.steps, w=a.w, seed=0, rescale=guidance_rescale('rescaled', 0.9) if a.w > 1 else None)
        ys = [ae.decode(zi[:60], length=L) for zi in z]
        score(ys, f'{Path(run).name} w={a.w:g}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train'); t.add_argument('out'); t.add_argument('--latents', required=True)
    t.add_argument('--steps', type=int, default=2000); t.add_argument('--features', action='store_true')
    t.add_argument('--mix-only', action='store_true'); t.add_argument('--p-mean', type=float, default=0.0)
    t.add_argument('--threads', type=int, default=1); t.add_argument('--aux', type=float, default=0.0)
    m = sub.add_parser('measure'); m.add_argument('runs', nargs='+'); m.add_argument('--latents', required=True)
    m.add_argument('--n', type=int, default=64); m.add_argument('--split', default='valid'); m.add_argument('--steps', type=int, default=25)
    m.add_argument('--ws', type=float, nargs='+', default=[1.0, 4.0]); m.add_argument('--threads', type=int, default=1)
    m.add_argument('--json', default=None)
    u = sub.add_parser('audio'); u.add_argument('runs', nargs='+'); u.add_argument('--data', required=True)
    u.add_argument('--n', type=int, default=24); u.add_argument('--w', type=float, default=4.0)
    u.add_argument('--steps', type=int, default=25); u.add_argument('--threads', type=int, default=1)
    u.add_argument('--split', default='valid'); u.add_argument('--source', default=None)
    a = ap.parse_args()
    dict(train=train, measure=measure, audio=audio)[a.cmd](a)
