"""Measurements of the note codec and of diffusion models on its latents (issue 19; tables in nbs/13_results).

    python scripts/note_codec_measure.py codec RUN [--data data/pairs] [--n 24]
        raw chroma / pitch of the codec's reconstructions with the true notes, and whether its output follows
        transposed (+5 semitones) and swapped (another clip's) notes; register, flatness, level
    python scripts/note_codec_measure.py diffusion RUN --latents L --codec C [--checkpoint] [--ws 1 4] [--phis 0.9]
        generate for N valid clips of 64 frames, decode through the codec, score with PESTO + the mix's chroma
        (harmony guidance off) at each guidance strength w and rescale blend phi (0: plain guidance), over all clips
        and (--by-source) per data source; --checkpoint reads the EMA weights of a run still training

Both print a JSON line and write it to --json (default: beside RUN).
"""
import argparse, json, time
from pathlib import Path
import numpy as np, torch

FRAMES, STRIDE = 64, 4096


def valid_clips(data, n, seed=1):
    "Up to `n` valid-split items (shuffled by `seed`) with at least FRAMES latent frames: (item, bass, note rows)."
    from bass_ld.dataset import read_manifest
    from bass_ld.audio import load_audio
    from bass_ld.note_codec import item_notes
    its = read_manifest(data, 'valid')
    out = []
    for i in np.random.default_rng(seed).permutation(len(its)):
        b = load_audio(its[i]['bass'])
        if len(b) >= FRAMES * STRIDE: out.append((its[i], b[:FRAMES * STRIDE], item_notes(its[i])))
        if len(out) == n: break
    return out


def shifted(z, timbre, k):
    "A codec latent with its notes transposed by k semitones."
    from bass_ld.pitch import NOTE_SCALE
    z = z.clone()
    z[timbre:timbre + 12] = torch.roll(z[timbre:timbre + 12], k, 0)
    z[timbre + 12] += k / 12 * float(NOTE_SCALE[12])
    return z


@torch.no_grad()
def measure_codec(a):
    from bass_ld.note_codec import NoteCodec
    from bass_ld.autoencoder import AutoEncoder
    from bass_ld.metrics import bass_pitch, pitch_accuracy, register, audio_health
    codec, ae = NoteCodec.from_pretrained(a.run, device='cpu'), AutoEncoder.from_pretrained(device='cpu')
    clips = valid_clips(a.data, a.n)
    R = codec.cfg.timbre
    rows = []
    for i, (it, x, notes) in enumerate(clips):
        other_x, other_notes = clips[(i + 1) % len(clips)][1:]
        z = codec.encode(x, notes)
        y = codec.decode(z)
        y_swap = codec.decode(torch.cat([z[:R], codec.encode(other_x, other_notes)[R:]]))
        y_up = codec.decode(shifted(z, R, 5))
        px, pu = bass_pitch(x), bass_pitch(y_up)
        up = (px[0], px[1] * 2 ** (5 / 12), px[2])
        h, hx = audio_health(y), audio_health(x)
        rows.append(dict(
            autoencoder_raw_chroma=pitch_accuracy(ae.reconstruct(x), x, ref_pitch=px)['raw_chroma'],
            **pitch_accuracy(y, x, ref_pitch=px),
            up5_follows=pitch_accuracy(None, None, pitch=pu, ref_pitch=up)['raw_pitch'],
            up5_stays=pitch_accuracy(None, None, pitch=pu, ref_pitch=px)['raw_pitch'],
            swapped_follows=pitch_accuracy(y_swap, other_x)['raw_chroma'],
            swapped_stays=pitch_accuracy(y_swap, x, ref_pitch=px)['raw_chroma'],
            register_true=register(x, pitch=px), register=register(y),
            flatness_true=hx['flatness'], flatness=h['flatness'],
            level_db=float(10 * np.log10((y ** 2).mean() / (x ** 2).mean()))))
    out = {k: round(float(np.nanmedian([r[k] for r in rows]) if k.startswith('flatness')
                          else np.nanmean([r[k] for r in rows])), 4) for k in rows[0]}
    return dict(out, clips=len(rows))


def load_run(run, latents, checkpoint):
    from bass_ld.diffusion import Denoiser
    if not checkpoint: return Denoiser.from_pretrained(run, device='cpu').eval()
    from safetensors.torch import load_file
    from bass_ld.diffusion_train import LatentCrops, new_denoiser
    den = new_denoiser('small', LatentCrops(latents, 'train', FRAMES, 32, 0, True), features=True)
    st = load_file(str(Path(run) / 'last.safetensors'))
    den.load_state_dict({k[4:]: v.float() for k, v in st.items() if k.startswith('ema/')})
    return den.eval()


@torch.no_grad()
def measure_diffusion(a):
    from safetensors import safe_open
    from bass_ld.audio import load_audio
    from bass_ld.dataset import read_manifest
    from bass_ld.diffusion import generate_latent
    from bass_ld.guidance import guidance_rescale
    from bass_ld.note_codec import NoteCodec
    from bass_ld.pitch import NOTE_SCALE, NOTE_OFFSET
    from bass_ld.metrics import (bass_pitch, mix_chroma, harmonic_agreement, onset_f1, pitch_accuracy, register,
                                 audio_health)
    codec, den = NoteCodec.from_pretrained(a.codec, device='cpu'), load_run(a.run, a.latents, a.checkpoint)
    R = codec.cfg.timbre
    its = {i['id']: i for i in read_manifest(a.data, 'valid')}
    rng, crops = np.random.default_rng(0), []
    with safe_open(a.latents, 'pt') as f:
        index = json.loads(f.metadata()['index'])
        for k in rng.permutation(sorted(k for k, v in index.items() if v['split'] == 'valid')):
            m = f.get_tensor(f'{k}/mix').float()
            if m.shape[-1] < FRAMES: continue
            s = int(rng.integers(0, m.shape[-1] - FRAMES + 1))
            crops.append(dict(id=k, s=s, mix=m[:, s:s + FRAMES],
                              **{n: f.get_tensor(f'{k}/{n}').float()[:, s:s + FRAMES]
                                 for n in ('mix_features', 'notes')}))
            if len(crops) == a.n: break
    cond = torch.cat([torch.stack([c['mix'] for c in crops]), torch.stack([c['mix_features'] for c in crops])], 1)
    sc, off = torch.tensor(NOTE_SCALE)[None, :, None], torch.tensor(NOTE_OFFSET)[None, :, None]
    raw = torch.stack([c['notes'] for c in crops]) / sc + off
    true_pc, voiced, chroma = raw[:, :12].argmax(1), raw[:, 13] > 0.5, cond[:, 60:72]
    audio = []
    for c in crops:
        it, sl = its[c['id']], slice(c['s'] * STRIDE, (c['s'] + FRAMES) * STRIDE)
        audio.append((load_audio(it['bass'])[sl].numpy(), sum(load_audio(p) for p in it['mix'])[sl].numpy()))
    ref = [bass_pitch(b) for b, _ in audio]
    mch = [mix_chroma(m) for _, m in audio]

    def score_rows(ys):
        rows = []
        for y, (b, m), rp, ch in zip(ys, audio, ref, mch):
            y = np.asarray(y, np.float32)
            p, h = bass_pitch(y), audio_health(y)
            rows.append(dict(harmonic=harmonic_agreement(None, None, pitch=p, chroma=ch), onset_f1=onset_f1(y, m),
                             **pitch_accuracy(None, None, pitch=p, ref_pitch=rp), register=register(y, pitch=p),
                             low_share=h['low_share'], flatness=h['flatness'],
                             level_vs_true_db=float(10 * np.log10(((y ** 2).mean() + 1e-12)
                                                                  / ((b ** 2).mean() + 1e-12)))))
        return rows

    def summary(rows):
        mid = lambda k, v: np.nanmedian(v) if k == 'flatness' else np.nanmean(v)
        out = {k: round(float(mid(k, [r[k] for r in rows])), 4) for k in rows[0]}
        out['register_in_28_52'] = round(float(np.mean([28 <= r['register'] <= 52 for r in rows])), 3)
        return out

    srcs = np.array([its[c['id']]['source'] for c in crops])

    def score(ys):
        rows = score_rows(ys)
        out = summary(rows)
        if a.by_source:
            for src in sorted(set(srcs)): out[src] = summary([r for r, s in zip(rows, srcs) if s == src])
        return out

    res = {'true bass': score([b for b, _ in audio]),
           'another clip\'s bass': score([audio[(i + len(audio) // 2) % len(audio)][0] for i in range(len(audio))])}
    for phi in a.phis:
        for w in a.ws:
            t = time.time()
            z = generate_latent(den, cond, steps=a.steps, cfg=w, seed=0,
                                rescale=guidance_rescale('rescaled', phi) if w > 1 and phi > 0 else None)
            zn = z[:, R:] / sc + off
            npc = zn[:, :12].argmax(1)
            name = f'w={w:g}' + (f' phi={phi:g}' if len(a.phis) > 1 else '')
            res[name] = dict(
                notes_pitch_class=round(float((npc == true_pc)[voiced].float().mean()), 4),
                notes_agreement=round(float(torch.gather(chroma, 1, npc[:, None])[:, 0][voiced].mean()), 4),
                sample_seconds=round(time.time() - t, 1), **score([codec.decode(zi).numpy() for zi in z]))
            if a.by_source:
                for src in sorted(set(srcs)):
                    k = torch.as_tensor(srcs == src)[:, None] & voiced
                    res[name][src]['notes_pitch_class'] = round(float((npc == true_pc)[k].float().mean()), 4)
            print(name, res[name], flush=True)
    return dict(res, clips=len(crops), steps=a.steps)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['codec', 'diffusion'])
    ap.add_argument('run')
    ap.add_argument('--data', default='data/pairs')
    ap.add_argument('--n', type=int, default=24)
    ap.add_argument('--latents', default=None)
    ap.add_argument('--codec', default=None)
    ap.add_argument('--checkpoint', action='store_true')
    ap.add_argument('--ws', type=float, nargs='+', default=[1.0, 4.0])
    ap.add_argument('--phis', type=float, nargs='+', default=[0.9],
                    help='rescaled-guidance blends to try (0: plain guidance)')
    ap.add_argument('--by-source', action='store_true', help='also score each data source alone')
    ap.add_argument('--steps', type=int, default=25)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--json', default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.what == 'diffusion' and not (a.latents and a.codec): ap.error('diffusion needs --latents and --codec')
    res = measure_codec(a) if a.what == 'codec' else measure_diffusion(a)
    print(json.dumps(res))
    Path(a.json or Path(a.run) / f'measure_{a.what}.json').write_text(json.dumps(res, indent=1))
