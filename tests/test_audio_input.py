"Bad and unusual audio input: a correct result or a clear error naming the file."
import math
import numpy as np, soundfile as sf, torch, pytest
from bass_ld.audio import load_audio, save_audio, is_silent, AudioError, SR

def tone(sr, secs=1.0, ch=1, f=110.0):
    t = np.arange(int(sr * secs)) / sr
    x = 0.5 * np.sin(2 * math.pi * f * t)
    return np.repeat(x[:, None], ch, 1) if ch > 1 else x

@pytest.mark.parametrize('sr', [8000, 11025, 16000, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize('ch', [1, 2, 6])
def test_any_rate_and_channel_count(tmp_path, sr, ch):
    p = tmp_path / f'x_{sr}_{ch}.wav'; sf.write(p, tone(sr, 1.0, ch), sr)
    y = load_audio(p)
    assert y.shape == (SR,) and y.dtype == torch.float32
    spec = torch.fft.rfft(y).abs()
    assert abs(int(spec.argmax()) - 110) <= 1                                # the tone survives at its frequency

@pytest.mark.parametrize('fmt,ext', [('FLAC', 'flac'), ('OGG', 'ogg'), ('WAV', 'wav')])
def test_formats(tmp_path, fmt, ext):
    p = tmp_path / f'x.{ext}'; sf.write(p, tone(44100, 2.0, 2), 44100, format=fmt)
    assert abs(len(load_audio(p)) - 2 * SR) <= 1

def test_mp3_if_libsndfile_supports_it(tmp_path):
    if 'MP3' not in sf.available_formats(): pytest.skip('this libsndfile has no MP3 support')
    p = tmp_path / 'x.mp3'; sf.write(p, tone(44100, 2.0), 44100, format='MP3')
    assert abs(len(load_audio(p)) - 2 * SR) < SR // 10

def test_project_rate_44100_by_config(tmp_path):
    p = tmp_path / 'x.wav'; sf.write(p, tone(22050), 22050)
    assert load_audio(p, sr=44100).shape == (44100,)

@pytest.mark.parametrize('content,msg', [(b'', 'empty'), (b'not audio at all' * 50, 'cannot decode'),
                                         (b'RIFF\x24\x00\x00\x00WAVEfmt ' + b'\x00' * 20, 'cannot decode')])
def test_corrupt_and_empty_files(tmp_path, content, msg):
    p = tmp_path / 'bad.wav'; p.write_bytes(content)
    with pytest.raises(AudioError, match=msg) as e: load_audio(p)
    assert 'bad.wav' in str(e.value)

def test_nan_samples_named(tmp_path):
    x = tone(22050).astype(np.float32); x[500] = np.nan
    p = tmp_path / 'nan.wav'; sf.write(p, x, 22050, subtype='FLOAT')
    with pytest.raises(AudioError, match=r"nan\.wav.*NaN"): load_audio(p)

def test_zero_length_file(tmp_path):
    p = tmp_path / 'zero.wav'; sf.write(p, np.zeros(0), 22050)
    with pytest.raises(AudioError, match='empty'): load_audio(p)

def test_silent_audio_is_a_correct_result(tmp_path):
    p = tmp_path / 'silence.wav'; sf.write(p, np.zeros(22050), 22050)
    y = load_audio(p); assert y.shape == (SR,) and is_silent(y)

def test_missing_file_and_directory(tmp_path):
    with pytest.raises(AudioError, match='no such file'): load_audio(tmp_path / 'nope.wav')
    with pytest.raises(AudioError, match='no such file'): load_audio(tmp_path)

def test_region_reads_only_what_is_asked(tmp_path):
    p = tmp_path / 'long.flac'; sf.write(p, tone(22050, 30.0), 22050)
    assert load_audio(p, offset=10.0, duration=2.0).shape == (2 * SR,)
    with pytest.raises(AudioError, match='past its end'): load_audio(p, offset=40.0)

def test_save_refuses_nan_and_clips(tmp_path):
    with pytest.raises(AudioError, match='NaN'): save_audio(tmp_path / 'n.wav', torch.tensor([0.0, float('nan')]))
    save_audio(tmp_path / 'c.wav', torch.tensor([2.0, -3.0, 0.5]))
    y, _ = sf.read(tmp_path / 'c.wav'); assert y.max() <= 1.0 and y.min() >= -1.0
