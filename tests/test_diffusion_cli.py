"The diffusion model as a user meets it: `bass-ld generate` with the shipped weights, and `bass-ld train diffusion`."
import json, re, subprocess
from pathlib import Path
import numpy as np, pytest, soundfile as sf, torch, torchaudio
from bass_ld.audio import SR, load_audio, rms_db
from bass_ld.diffusion import Denoiser
from bass_ld.core import WEIGHTS
from bass_ld.dataset import save_latents

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

def test_generate_44k_stereo_mix(tmp_path, bass_ld_cmd):
    x = load_audio(EXAMPLES / 'example2_mix.flac')[:int(6.5 * SR)]
    hi = torchaudio.functional.resample(x, SR, 44100)
    sf.write(tmp_path / 'mix.wav', torch.stack([hi, 0.7 * hi], 1).numpy(), 44100)          # 44.1 kHz stereo in
    outs = []
    for k in range(2):
        r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / f'bass{k}.wav', '--steps', 8, '--seed', 3,
                '--together', tmp_path / 'both.wav', '--quiet')
        assert r.returncode == 0, r.stderr
        y, sr = sf.read(tmp_path / f'bass{k}.wav'); outs.append(y)
        assert sr == SR and len(y) == len(load_audio(tmp_path / 'mix.wav'))                # the mix's exact duration
    np.testing.assert_array_equal(outs[0], outs[1])                                         # same seed, same bass
    y = torch.from_numpy(outs[0]).float()
    assert rms_db(y) > -40                                                                  # a bass line, not silence
    spec = torch.stft(y, 4096, 1024, window=torch.hann_window(4096), return_complex=True).abs().pow(2).mean(1)
    freqs = torch.fft.rfftfreq(4096, 1 / SR)
    assert float(spec[freqs < 400].sum() / spec.sum()) > 0.5                               # its energy is low: a bass
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'other.wav', '--steps', 8, '--seed', 4, '--quiet')
    assert not np.array_equal(sf.read(tmp_path / 'other.wav')[0], outs[0])                  # another seed, another bass

def test_generate_refuses_bad_input(tmp_path, bass_ld_cmd):
    sf.write(tmp_path / 'silent.wav', np.zeros(SR), SR)
    r = run(bass_ld_cmd, 'generate', tmp_path / 'silent.wav', '--out', tmp_path / 'o.wav', '--quiet')
    assert r.returncode != 0 and 'silent' in r.stderr and not (tmp_path / 'o.wav').exists()
    (tmp_path / 'junk.wav').write_bytes(b'RIFF0000WAVEjunk')
    r = run(bass_ld_cmd, 'generate', tmp_path / 'junk.wav', '--out', tmp_path / 'o.wav', '--quiet')
    assert r.returncode != 0 and 'junk.wav' in r.stderr
    sf.write(tmp_path / 'mix.wav', 0.1 * np.random.default_rng(0).standard_normal(SR), SR)
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'o.wav', '--weights', WEIGHTS / 'autoencoder', '--quiet')
    assert r.returncode != 0 and "not the 'diffusion'" in r.stderr

def test_shipped_weights_card_and_size():
    size = sum(p.stat().st_size for p in WEIGHTS.glob('diffusion.*'))
    assert 0 < size <= 40e6
    den = Denoiser.from_pretrained(device='cpu')
    c = den.card
    assert c['steps'] > 0 and c['parameters'] == sum(p.numel() for p in den.parameters()) and 'hardware' in c and c['wall_minutes'] > 0
    assert c['valid']['cond_mse@5'] < c['valid']['null_mse@5']                              # it uses the mix

def test_train_diffusion_resumes_and_exports(tmp_path, bass_ld_cmd):
    g = torch.Generator().manual_seed(0)
    lat = {f'p{i}': dict(mix=torch.randn(8, 20 + i, generator=g), bass=torch.randn(8, 20 + i, generator=g), label=0,
                         split='train' if i < 6 else 'valid') for i in range(8)}
    save_latents(tmp_path / 'lat.safetensors', lat, meta=dict(frame_rate=5.38))
    args = ['train', 'diffusion', '--data', tmp_path / 'lat.safetensors', '--out', tmp_path / 'run', '--config', 'tiny',
            '--batch', 4, '--device', 'cpu', '--quiet']
    r = run(bass_ld_cmd, *args, '--steps', 10)
    assert r.returncode == 0, r.stderr
    h1 = json.loads((tmp_path / 'run' / 'history.json').read_text())['history']
    r = run(bass_ld_cmd, *args, '--steps', 20)                                              # resumes at step 10
    assert r.returncode == 0, r.stderr
    h2 = json.loads((tmp_path / 'run' / 'history.json').read_text())['history']
    assert h2[:len(h1)] == h1 and h2[-1]['step'] == 20
    den = Denoiser.from_pretrained(tmp_path / 'run', device='cpu')
    assert den.card['steps'] == 20 and den.net.cfg.latent == 8

def test_long_mix_keeps_its_exact_duration(tmp_path, bass_ld_cmd):
    """A 4-minute mix in one call (two sampling windows of 1,024 latent frames, five codec chunks of 256; a 10-minute
    one is the benchmark's): the bass has exactly the mix's length."""
    import soundfile as sf
    ex = load_audio(EXAMPLES / "example_mix.flac").numpy()
    n = 240 * SR + 123                                                     # not a whole number of latent frames
    sf.write(tmp_path / 'long.wav', np.resize(ex, n), SR, subtype='PCM_16')
    r = subprocess.run(bass_ld_cmd + ['generate', str(tmp_path / 'long.wav'), '--out', str(tmp_path / 'bass.wav'), '--steps', '2', '--quiet'],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    info = sf.info(tmp_path / 'bass.wav')
    assert info.frames == n and info.samplerate == SR

def test_generate_variations_and_midi(tmp_path, bass_ld_cmd):
    "--variations K writes K ranked basses with their scores, estimating the time left as it goes; --midi transcribes the best into a bass-register track."
    import pretty_midi
    mix = load_audio(EXAMPLES / 'example_mix.flac')[: 6 * SR]
    sf.write(tmp_path / 'mix.wav', mix.numpy(), SR)
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'bass.wav', '--steps', 4,
            '--variations', 3, '--midi', tmp_path / 'bass.mid')
    assert r.returncode == 0, r.stderr
    left = re.findall(r'variation (\d) of 3 done; about (\d+) s left', r.stderr)     # the time estimate as it goes
    assert [i for i, _ in left] == ['1', '2'] and int(left[0][1]) >= int(left[1][1]), r.stderr[-500:]
    rows = json.loads((tmp_path / 'bass.variations.json').read_text())
    assert [x['rank'] for x in rows] == [1, 2, 3] and sorted(x['seed'] for x in rows) == [0, 1, 2]
    assert rows[0]['score'] >= rows[1]['score'] >= rows[2]['score']
    best = load_audio(tmp_path / 'bass.wav')
    assert torch.equal(best, load_audio(tmp_path / rows[0]['file'])) and len(best) == len(mix)
    notes = pretty_midi.PrettyMIDI(str(tmp_path / 'bass.mid')).instruments[0].notes
    assert len(notes) > 3 and all(24 <= n.pitch <= 67 for n in notes) and notes[-1].end <= 6.05
    assert run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'x.wav', '--variations', 0).returncode != 0

def test_training_killed_mid_run_resumes_to_the_uninterrupted_weights(tmp_path, bass_ld_cmd):
    "SIGKILL after the step-20 checkpoint (`--ckpt-every 20`), run again: the exported model equals an uninterrupted run's, bit for bit (CPU)."
    import os, signal, time
    from safetensors.torch import load_file
    g = torch.Generator().manual_seed(0)
    lat = {f'p{i}': dict(mix=torch.randn(8, 20 + i, generator=g), bass=torch.randn(8, 20 + i, generator=g), label=0,
                         split='train' if i < 6 else 'valid') for i in range(8)}
    save_latents(tmp_path / 'lat.safetensors', lat, meta=dict(frame_rate=5.38))
    args = lambda out: [str(a) for a in bass_ld_cmd + ['--threads', '1', 'train', 'diffusion', '--data', tmp_path / 'lat.safetensors',
                                                      '--out', out, '--config', 'tiny', '--batch', 4, '--device', 'cpu', '--steps', 40, '--ckpt-every', 20, '--quiet']]
    r = subprocess.run(args(tmp_path / 'whole'), capture_output=True, text=True, timeout=600); assert r.returncode == 0, r.stderr
    p = subprocess.Popen(args(tmp_path / 'cut'), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (tmp_path / 'cut' / 'history.json').exists() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (tmp_path / 'cut' / 'model.safetensors').exists()                             # it was killed before the end
    (tmp_path / 'cut' / '.last.q9w8.tmp.safetensors').write_bytes(b'half')               # as a kill mid-save leaves it
    r = subprocess.run(args(tmp_path / 'cut'), capture_output=True, text=True, timeout=600); assert r.returncode == 0, r.stderr
    a, b = load_file(str(tmp_path / 'whole' / 'model.safetensors')), load_file(str(tmp_path / 'cut' / 'model.safetensors'))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not list((tmp_path / 'cut').glob('.*'))                                            # the resumed run removed it

def test_finetune_on_own_stems(tmp_path, bass_ld_cmd):
    "`train diffusion --stems DIR --init shipped` encodes MUSDB-style stems, fine-tunes the shipped model, and the run generates."
    stems = tmp_path / 'stems'
    for k, name in enumerate(['example', 'example2']):
        d = stems / f'Artist - Song {k}'
        d.mkdir(parents=True)
        n = 8 * SR
        sf.write(d / 'bass.wav', load_audio(EXAMPLES / f'{name}_bass.flac').numpy()[:n], SR)
        sf.write(d / 'other.wav', load_audio(EXAMPLES / f'{name}_mix.flac').numpy()[:n], SR)
    out = tmp_path / 'run'
    r = run(bass_ld_cmd, 'train', 'diffusion', '--stems', stems, '--init', 'shipped', '--out', out, '--steps', 4,
            '--batch', 4, '--device', 'cpu', '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'exported' in r.stdout and (out / 'latents.safetensors').exists()
    tuned, shipped = Denoiser.from_pretrained(out, device='cpu'), Denoiser.from_pretrained(device='cpu')
    assert tuned.card['fine_tuned_from']['init'] == 'shipped' and tuned.card['steps'] == 4
    assert tuned.card['fine_tuned_from']['steps'] == shipped.card['steps']
    assert 'latents.safetensors: train split, 2 pairs' in tuned.card['data']
    a, b = tuned.state_dict(), shipped.state_dict()
    change = torch.cat([(a[k] - b[k]).flatten() for k in a]).norm() / torch.cat([b[k].flatten() for k in b]).norm()
    assert 0 < float(change) < 0.02                                 # moved, but from the shipped weights, not afresh
    r = run(bass_ld_cmd, 'generate', stems / 'Artist - Song 0' / 'other.wav', '--diffusion', out, '--out',
            tmp_path / 'bass.wav', '--steps', 4, '--seed', 1, '--quiet')
    assert r.returncode == 0, r.stderr
    assert sf.info(tmp_path / 'bass.wav').frames == 8 * SR
    r = run(bass_ld_cmd, 'train', 'diffusion', '--stems', stems, '--init', WEIGHTS / 'autoencoder', '--out',
            tmp_path / 'bad', '--steps', 2, '--quiet')
    assert r.returncode != 0 and "not the 'diffusion'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
