"Editing a bass line as a user does it: `bass-ld generate --keep BASS --regenerate START-END`, and `--continue RIFF`."
import subprocess
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from bass_ld.audio import SR, load_audio

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

@pytest.fixture(scope='module')
def song(tmp_path_factory):
    "A 6-s mix and its true bass as 16-bit WAV files (so the kept samples survive writing exactly)."
    d = tmp_path_factory.mktemp('edit')
    n = 6 * SR
    sf.write(d / 'mix.wav', load_audio(EXAMPLES / 'example_mix.flac')[:n].numpy(), SR, subtype='PCM_16')
    sf.write(d / 'bass.wav', load_audio(EXAMPLES / 'example_bass.flac')[:n].numpy(), SR, subtype='PCM_16')
    sf.write(d / 'riff.wav', load_audio(EXAMPLES / 'example_bass.flac')[:int(2.5 * SR)].numpy(), SR, subtype='PCM_16')
    return d

def test_regenerate_a_region_keeps_the_rest_exactly(song, tmp_path, bass_ld_cmd):
    r = run(bass_ld_cmd, 'generate', song / 'mix.wav', '--out', tmp_path / 'edit.wav', '--keep', song / 'bass.wav',
            '--regenerate', '2-4', '--steps', 4, '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'kept outside 2-4 s' in r.stdout
    y, kept = sf.read(tmp_path / 'edit.wav', dtype='int16'), sf.read(song / 'bass.wav', dtype='int16')
    assert y[0].shape == kept[0].shape
    a, b = 2 * SR, 4 * SR
    np.testing.assert_array_equal(y[0][:a], kept[0][:a]); np.testing.assert_array_equal(y[0][b:], kept[0][b:])
    mid = slice(a + SR // 10, b - SR // 10)
    assert np.abs(y[0][mid].astype(int) - kept[0][mid]).mean() > 50         # the region is new

def test_continue_a_riff(song, tmp_path, bass_ld_cmd):
    r = run(bass_ld_cmd, 'generate', song / 'mix.wav', '--out', tmp_path / 'cont.wav', '--continue', song / 'riff.wav',
            '--steps', 4, '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'in its timbre' in r.stdout
    y, riff = sf.read(tmp_path / 'cont.wav', dtype='int16')[0], sf.read(song / 'riff.wav', dtype='int16')[0]
    assert len(y) == 6 * SR
    cut = len(riff) - SR // 20 - 1                                                # up to the 50-ms fade
    np.testing.assert_array_equal(y[:cut], riff[:cut])
    assert np.sqrt(np.mean((y[3 * SR:] / 32768.0) ** 2)) > 10 ** (-45 / 20)   # it goes on after the riff

@pytest.mark.parametrize('args,msg', [
    (['--regenerate', '1-2'], 'needs the bass to --keep'),
    (['--keep', '{d}/bass.wav'], 'needs at least one --regenerate'),
    (['--keep', '{d}/bass.wav', '--regenerate', '1-3', '--regenerate', '2-4'], 'overlap'),
    (['--keep', '{d}/bass.wav', '--regenerate', '5-9'], 'outside the mix'),
    (['--keep', '{d}/riff.wav', '--regenerate', '1-2'], 'must match within 0.5 s'),
    (['--keep', '{d}/bass.wav', '--regenerate', '1-2', '--continue', '{d}/riff.wav'], 'give one'),
    (['--continue', '{d}/silence.wav'], 'silent'),
    (['--continue', '{d}/bass.wav'], 'nothing is left to continue'),
    (['--regenerate', 'one-two'], 'is not START-END')])
def test_bad_edits_get_one_line(song, tmp_path, bass_ld_cmd, args, msg):
    sf.write(song / 'silence.wav', np.zeros(2 * SR), SR)
    r = run(bass_ld_cmd, 'generate', song / 'mix.wav', '--out', tmp_path / 'o.wav', *[a.format(d=song) for a in args], '--steps', 2)
    assert r.returncode != 0 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr[-600:]
    assert not (tmp_path / 'o.wav').exists()

def test_the_kept_bass_is_never_overwritten(song, bass_ld_cmd):
    before = (song / 'bass.wav').read_bytes()
    r = run(bass_ld_cmd, 'generate', song / 'mix.wav', '--out', song / 'bass.wav', '--keep', song / 'bass.wav', '--regenerate', '1-2')
    assert r.returncode != 0 and 'it is the input' in r.stderr
    assert (song / 'bass.wav').read_bytes() == before
