"The autoencoder as a user meets it: `bass-ld reconstruct` with the shipped weights, training and pre-encoding from the command line."
import json, math, subprocess
from pathlib import Path
import numpy as np, pytest, soundfile as sf, torch, torchaudio
from bass_ld.audio import SR, load_audio, rms_db
from bass_ld.autoencoder import AutoEncoder, logmel_l1, compression_of
from bass_ld.core import WEIGHTS
from bass_ld.train import save_weights

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

@pytest.mark.parametrize('stream', ['bass', 'mix'])
def test_reconstruct_44k_stereo_file(tmp_path, bass_ld_cmd, stream):
    x = load_audio(EXAMPLES / f'example_{stream}.flac')[:int(5.3 * SR)]
    hi = torchaudio.functional.resample(x, SR, 44100)
    sf.write(tmp_path / 'in.wav', torch.stack([hi, 0.8 * hi], 1).numpy(), 44100)     # 44.1 kHz stereo in
    r = run(bass_ld_cmd, 'reconstruct', tmp_path / 'in.wav', '--out', tmp_path / 'out.wav', '--latents', tmp_path / 'z.npy')
    assert r.returncode == 0, r.stderr
    y, sr = sf.read(tmp_path / 'out.wav')
    ref = load_audio(tmp_path / 'in.wav')                                  # what the model was given: mono at SR
    assert sr == SR and len(y) == len(ref) == round(5.3 * SR)
    z = np.load(tmp_path / 'z.npy')
    assert z.shape == (60, math.ceil(len(ref) / 4096)) and compression_of(len(ref), torch.from_numpy(z)) >= 64
    d = logmel_l1(torch.from_numpy(y).float(), ref)
    # test-split means of the shipped model are 4.6 dB (bass) and 9.4 dB (mix); an untrained model is > 20 dB
    assert d < {'bass': 7.0, 'mix': 12.0}[stream], d

def test_reconstruct_tiny_and_silent_files(tmp_path, bass_ld_cmd):
    sf.write(tmp_path / 'short.wav', np.zeros(1103), SR)                   # 50 ms of digital silence
    r = run(bass_ld_cmd, 'reconstruct', tmp_path / 'short.wav', '--out', tmp_path / 'out.flac')
    assert r.returncode == 0, r.stderr
    y, sr = sf.read(tmp_path / 'out.flac')
    assert len(y) == 1103 and rms_db(torch.from_numpy(y)) < -50

def test_reconstruct_refuses_wrong_weights(tmp_path, bass_ld_cmd):
    sf.write(tmp_path / 'in.wav', np.zeros(SR), SR)
    (tmp_path / 'junk.safetensors').write_bytes(b'\0' * 64)
    r = run(bass_ld_cmd, 'reconstruct', tmp_path / 'in.wav', '--out', tmp_path / 'o.wav', '--weights', tmp_path / 'junk.safetensors')
    assert r.returncode != 0 and 'not a readable safetensors' in r.stderr
    save_weights(tmp_path / 'other', {'w': torch.zeros(2)}, 'diffusion', {})
    r = run(bass_ld_cmd, 'reconstruct', tmp_path / 'in.wav', '--out', tmp_path / 'o.wav', '--weights', tmp_path / 'other')
    assert r.returncode != 0 and "kind 'diffusion'" in r.stderr and not (tmp_path / 'o.wav').exists()

def test_shipped_weights_small_and_normalised():
    size = sum(p.stat().st_size for p in WEIGHTS.glob('autoencoder.*'))
    assert 0 < size <= 20e6
    ae = AutoEncoder.from_pretrained(device='cpu')
    card = ae.card
    assert card['steps'] > 0 and card['compression'] >= 64 and 'hardware' in card
    z = ae.encode(load_audio(EXAMPLES / 'example_mix.flac'))           # held-out audio: roughly unit-variance latents
    assert 0.5 < float(z.std()) < 2.0 and abs(float(z.mean())) < 0.5

@pytest.fixture(scope='module')
def small_data(tmp_path_factory, bass_ld_cmd):
    out = tmp_path_factory.mktemp('aeds') / 'pairs'
    r = run(bass_ld_cmd, 'dataset', '--out', out, '--limit', '2', '--max-seconds', '8', '--quiet')
    assert r.returncode == 0, r.stderr
    return out

def test_train_tiny_resumes_then_encodes(small_data, tmp_path, bass_ld_cmd):
    runf = tmp_path / 'run'
    r = run(bass_ld_cmd, 'train', 'autoencoder', '--data', small_data, '--out', runf, '--config', 'tiny', '--steps', '20', '--quiet')
    assert r.returncode == 0, r.stderr
    assert (runf / 'model.safetensors').exists() and json.loads((runf / 'model.json').read_text())['card']['steps'] == 20
    r = run(bass_ld_cmd, 'train', 'autoencoder', '--data', small_data, '--out', runf, '--config', 'tiny', '--steps', '30', '--quiet')
    assert r.returncode == 0, r.stderr
    hist = json.loads((runf / 'history.json').read_text())['history']
    assert [h['step'] for h in hist] == [20, 25, 30]                      # continued from step 20, did not restart
    assert json.loads((runf / 'model.json').read_text())['card']['steps'] == 30
    lat = tmp_path / 'lat.safetensors'
    r = run(bass_ld_cmd, 'encode', '--data', small_data, '--out', lat, '--weights', runf / 'model', '--quiet')
    assert r.returncode == 0, r.stderr
    from bass_ld.dataset import LatentPairDataset, read_manifest
    items = {it['id']: it for it in read_manifest(small_data)}
    ds = LatentPairDataset(lat, frames=4)
    assert sorted(ds.ids) == sorted(items) and not list(tmp_path.glob('.lat.part*'))
    for k, (mix, bass, _) in ds.data.items():
        assert mix.shape == bass.shape == (60, math.ceil(round(items[k]['duration'] * SR) / 4096)) and mix.dtype == torch.float16

def test_killed_encode_resumes_to_the_same_latents(small_data, tmp_path, bass_ld_cmd):
    "SIGKILL `encode` at several moments, run it again: the file equals an uninterrupted encode's, nothing stale is left,"
    " and a finished part made with other weights is encoded afresh, not reused."
    import signal, time
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    ref, out = tmp_path / 'ref.safetensors', tmp_path / 'lat.safetensors'
    t = time.time()
    r = run(bass_ld_cmd, 'encode', '--data', small_data, '--out', ref, '--quiet')
    assert r.returncode == 0, r.stderr
    took = time.time() - t
    for share in (0.6, 0.85, 0.97):                                  # kill late: while encoding, writing a part, merging
        p = subprocess.Popen(bass_ld_cmd + ['encode', '--data', str(small_data), '--out', str(out), '--quiet'],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(share * took); p.send_signal(signal.SIGKILL); p.wait()
    part = tmp_path / '.lat.part00000.safetensors'                   # a finished part from another autoencoder
    with safe_open(str(ref), 'pt') as f: md = f.metadata()
    meta = json.loads(md['meta']) | {'weights': '0' * 16}
    save_file({k: torch.zeros_like(v) for k, v in load_file(str(ref)).items()}, str(part),
              metadata={'index': md['index'], 'meta': json.dumps(meta)})
    (tmp_path / '.lat.part00000.k1l2.tmp.safetensors').write_bytes(b'half')  # and a half-written one from a kill
    r = run(bass_ld_cmd, 'encode', '--data', small_data, '--out', out, '--quiet')
    assert r.returncode == 0, r.stderr
    a, b = load_file(str(ref)), load_file(str(out))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['lat.safetensors', 'ref.safetensors']
