"""The note codec as a user meets it: `bass-ld train codec`, `bass-ld encode --codec`, a diffusion model on its latents,
`generate --codec`."""
import subprocess
from pathlib import Path
import pytest, soundfile as sf, torch
from bass_ld.audio import SR, load_audio
from bass_ld.dataset import read_latents
from bass_ld.ae_train import weights_hash
from bass_ld.diffusion import Denoiser
from bass_ld.note_codec import NoteCodec, train_note_codec
from bass_ld.pipeline import BassGenerator

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

def test_codec_train_encode_generate(tmp_path, bass_ld_cmd):
    stems = tmp_path / 'stems'
    for k, name in enumerate(['example', 'example2']):              # two tracks of stems cut from the bundled examples
        d = stems / f'Song {k}'
        d.mkdir(parents=True)
        sf.write(d / 'bass.wav', load_audio(EXAMPLES / f'{name}_bass.flac').numpy()[:6 * SR], SR)
        sf.write(d / 'other.wav', load_audio(EXAMPLES / f'{name}_mix.flac').numpy()[:6 * SR], SR)
    codec = tmp_path / 'codec'
    r = run(bass_ld_cmd, 'train', 'codec', '--data', stems, '--out', codec, '--config', 'tiny', '--init', 'none',
            '--steps', 6, '--batch', 2, '--device', 'cpu', '--quiet')
    assert r.returncode == 0, r.stderr
    nc = NoteCodec.from_pretrained(codec, device='cpu')
    assert nc.card['steps'] == 6 and nc.cfg.timbre == 4 and float(nc.t_std.min()) > 0
    lat = tmp_path / 'latents.safetensors'
    r = run(bass_ld_cmd, 'encode', '--data', stems, '--out', lat, '--codec', codec, '--quiet')
    assert r.returncode == 0, r.stderr
    index, meta, z = read_latents(lat, names=None)
    assert {k: v.shape[0] for k, v in z['Song 0'].items()} == dict(mix=60, bass=4, mix_features=24, notes=14)
    assert meta['features_from']['note_codec'] == 4                  # which codec made the bass latent is on record
    den = tmp_path / 'diffusion'
    r = run(bass_ld_cmd, 'train', 'diffusion', '--data', lat, '--out', den, '--config', 'tiny', '--features',
            '--note-weight', 3, '--steps', 4, '--batch', 2, '--device', 'cpu', '--quiet')
    assert r.returncode == 0, r.stderr
    card = Denoiser.from_pretrained(den, device='cpu').card
    assert card['note_codec']['weights'] == weights_hash(nc) and card['note_weight'] == 3
    mix = stems / 'Song 0' / 'other.wav'
    r = run(bass_ld_cmd, 'generate', mix, '--diffusion', den, '--codec', codec, '--out', tmp_path / 'bass.wav',
            '--steps', 2, '--style', EXAMPLES / 'style_contrabass.flac', '--quiet')
    assert r.returncode == 0, r.stderr
    assert sf.info(tmp_path / 'bass.wav').frames == 6 * SR
    other = tmp_path / 'codec2'                                      # a codec the model was not trained with
    train_note_codec(stems, other, 'tiny', init=None, steps=2, batch=2, seed=1, device='cpu', progress=False)
    with pytest.raises(ValueError, match='another note codec'):
        BassGenerator.from_pretrained(diffusion=den, codec=other, device='cpu')
    with pytest.raises(ValueError, match='another note codec'):        # nor the shipped model
        BassGenerator.from_pretrained(codec=codec, device='cpu')

def test_shipped_codec_model_pair():
    "The shipped diffusion model names the shipped codec, all weights fit the budget, and the codec plays its notes."
    import librosa, numpy as np
    from bass_ld.core import WEIGHTS
    from bass_ld.pitch import NOTE_SCALE
    assert sum(p.stat().st_size for p in WEIGHTS.iterdir()) <= 40e6
    g = BassGenerator.from_pretrained(device='cpu')
    assert g.codec is not None and g.den.card['note_codec']['weights'] == weights_hash(g.codec)
    assert g.den.net.cfg.latent == g.codec.channels                 # it generates the codec's latent
    bass = load_audio(EXAMPLES / 'example_bass.flac')[:8 * SR]
    z = g.codec.encode(bass)                                         # notes transcribed by PESTO
    up = z.clone()                                                   # the same timbre, every note 5 semitones up
    t = g.codec.cfg.timbre
    up[t:t + 12] = torch.roll(up[t:t + 12], 5, 0)
    up[t + 12] += 5 / 12 * float(NOTE_SCALE[12])
    pcs = [librosa.feature.chroma_stft(y=g.codec.decode(v).numpy(), sr=SR).argmax(0) for v in (z, up)]
    follow, stay = np.mean(pcs[1] == (pcs[0] + 5) % 12), np.mean(pcs[1] == pcs[0])
    assert follow > 0.3 and follow > 3 * stay, (follow, stay)
