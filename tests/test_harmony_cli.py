"Harmony guidance as a user meets it: `bass-ld train probe` and `bass-ld generate --harmony`."
import json, subprocess
from pathlib import Path
import numpy as np, soundfile as sf, torch
from bass_ld.audio import SR, load_audio
from bass_ld.autoencoder import AutoEncoder, synth_bass
from bass_ld.dataset import save_latents
from bass_ld.harmony import PitchProbe
from bass_ld.metrics import harmonic_agreement

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

def test_train_probe_reads_held_out_notes(tmp_path, bass_ld_cmd):
    "A probe trained on riffs through the shipped autoencoder reads the pitch classes of riffs it never saw."
    ae, rows, lat = AutoEncoder.from_pretrained(device='cpu'), [], {}
    (tmp_path / 'audio').mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):                                            # random notes, each plucked four times (1 s)
        b = synth_bass(8.0, notes=tuple(int(n) for n in np.repeat(rng.integers(33, 57, 8), 4)))
        for s in ('mix', 'bass'): sf.write(tmp_path / 'audio' / f'p{i}_{s}.flac', (b if s == 'bass' else 0.3 * b).numpy(), SR)
        split = 'valid' if i % 6 == 0 else 'train'
        rows.append(dict(id=f'p{i}', split=split, mix=f'audio/p{i}_mix.flac', bass=f'audio/p{i}_bass.flac', duration=8.0, bass_label='x'))
        z = ae.encode(b); lat[f'p{i}'] = dict(mix=z, bass=z, split=split)
    (tmp_path / 'manifest.jsonl').write_text('\n'.join(json.dumps(r) for r in rows) + '\n')
    save_latents(tmp_path / 'lat.safetensors', lat)
    r = run(bass_ld_cmd, 'train', 'probe', '--data', tmp_path, '--out', tmp_path / 'run')
    assert r.returncode != 0 and '--latents' in r.stderr
    r = run(bass_ld_cmd, 'train', 'probe', '--data', tmp_path, '--latents', tmp_path / 'lat.safetensors', '--out', tmp_path / 'run')
    assert r.returncode == 0, r.stderr
    assert 'valid accuracy' in r.stdout
    card = PitchProbe.from_pretrained(tmp_path / 'run').card
    assert card['valid_accuracy'] > 2 * card['valid_majority'], card

def test_harmony_flag_moves_the_notes_to_the_mix(tmp_path, bass_ld_cmd):
    "The same seed with --harmony 0 and 0.3: the guided bass plays more of the mix's pitch classes; the rhythm stays."
    mix = load_audio(EXAMPLES / 'example_mix.flac')
    sf.write(tmp_path / 'mix.wav', mix.numpy(), SR)
    agree = {}
    for h in (0, 0.3):
        r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / f'h{h}.wav', '--harmony', h, '--steps', 12, '--quiet')
        assert r.returncode == 0, r.stderr
        assert f'harmony {h:g}' in r.stdout
        y = load_audio(tmp_path / f'h{h}.wav'); assert len(y) == len(mix)
        agree[h] = harmonic_agreement(y, mix)
    assert agree[0.3] > agree[0] + 0.05, agree
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'x.wav', '--harmony', -1, '--steps', 2)
    assert r.returncode != 0 and 'harmony strength must be in [0, 1]' in r.stderr
