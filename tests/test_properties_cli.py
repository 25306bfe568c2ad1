"""Property-based: any audio file a user may hand over — channels, rate, sample format, length, content — and any
option value gives a clear one-line error or a correct result; never a traceback, never a changed input file."""
import hashlib
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from hypothesis import given, settings, strategies as st, HealthCheck
from bass_ld.cli import main

SR = 22050
RATES = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000]
SUBTYPES = ['PCM_16', 'PCM_24', 'FLOAT', 'DOUBLE']
RUN = settings(max_examples=12, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

@st.composite
def audio_files(draw):
    "(channels, rate, subtype, signal) with content from silence to full-scale noise, NaN for float files."
    ch, sr, sub = draw(st.integers(1, 8)), draw(st.sampled_from(RATES)), draw(st.sampled_from(SUBTYPES))
    n = draw(st.one_of(st.integers(1, 2000), st.integers(int(0.3 * sr), int(3 * sr))))          # tiny or a few seconds
    kind = draw(st.sampled_from(['tone', 'noise', 'silence', 'dc', 'loud'] + (['nan'] if sub in ('FLOAT', 'DOUBLE') else [])))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    t = np.arange(n) / sr
    x = {'tone': lambda: 0.3 * np.sin(2 * np.pi * draw(st.floats(40, 2000)) * t)[:, None] * np.ones(ch),
         'noise': lambda: 0.2 * rng.standard_normal((n, ch)), 'silence': lambda: np.zeros((n, ch)),
         'dc': lambda: np.full((n, ch), 0.5), 'loud': lambda: np.clip(3 * rng.standard_normal((n, ch)), -1, 1),
         'nan': lambda: np.where(rng.random((n, ch)) < 0.01, np.nan, 0.1 * rng.standard_normal((n, ch)))}[kind]()
    return ch, sr, sub, kind, x.astype(np.float64)

def call(args):
    "Run the CLI in-process: None on success, else the one-line message it exits with (anything else fails the test)."
    try: main([str(a) for a in args])
    except SystemExit as e:
        msg = e.code
        assert isinstance(msg, str) and msg.startswith('bass-ld ') and '\n' not in msg and 'Traceback' not in msg, repr(msg)
        return msg
    return None

def write(tmp_path, f):
    ch, sr, sub, kind, x = f
    p = tmp_path / 'in.wav'
    sf.write(p, x, sr, subtype=sub)
    return p, hashlib.sha1(p.read_bytes()).hexdigest(), len(x) / sr

@RUN
@given(f=audio_files())
def test_generate_any_audio(tmp_path_factory, f):
    tmp = tmp_path_factory.mktemp('gen')
    p, h, secs = write(tmp, f)
    msg = call(['generate', p, '--out', tmp / 'bass.wav', '--steps', 4, '--quiet'])
    assert hashlib.sha1(p.read_bytes()).hexdigest() == h
    if msg is None:
        y, sr = sf.read(tmp / 'bass.wav')
        assert sr == SR and abs(len(y) - secs * SR) <= 1 and np.isfinite(y).all()
    else:
        assert not (tmp / 'bass.wav').exists()
        if f[3] in ('silence', 'nan'): assert any(w in msg for w in ('silent', 'NaN', 'empty', 'latent frame')), msg

@RUN
@given(f=audio_files())
def test_reconstruct_any_audio(tmp_path_factory, f):
    tmp = tmp_path_factory.mktemp('rec')
    p, h, secs = write(tmp, f)
    msg = call(['reconstruct', p, '--out', tmp / 'rec.flac', '--latents', tmp / 'z.npy'])
    assert hashlib.sha1(p.read_bytes()).hexdigest() == h
    if msg is None:
        y, sr = sf.read(tmp / 'rec.flac')
        assert sr == SR and abs(len(y) - secs * SR) <= 1 and np.load(tmp / 'z.npy').ndim == 2
    else: assert not (tmp / 'rec.flac').exists()

@RUN
@given(steps=st.one_of(st.integers(-5, 1200), st.just(10**12)), cfg=st.floats(allow_nan=True, allow_infinity=True),
       harmony=st.floats(allow_nan=True, allow_infinity=True), seed=st.integers(-2, 2**65), variations=st.integers(-1, 100))
def test_generate_any_option_values(tmp_path_factory, steps, cfg, harmony, seed, variations):
    "Out-of-range values are refused before any work (so this runs fast); in-range ones are not refused by the check."
    from bass_ld.sampling import check_settings
    tmp = tmp_path_factory.mktemp('opt')
    try: check_settings(steps=steps, cfg=cfg, harmony=harmony, seed=seed, variations=variations); ok = True
    except ValueError: ok = False
    if ok: return                                              # a valid combination: sampling is tested above
    sf.write(tmp / 'mix.wav', 0.3 * np.sin(np.arange(SR) / 10), SR)
    msg = call(['generate', tmp / 'mix.wav', '--out', tmp / 'b.wav', f'--steps={steps}', f'--cfg={cfg}', f'--harmony={harmony}',
                f'--seed={seed}', f'--variations={variations}', '--quiet'])          # '=' so that '-inf' is a value
    assert msg and not (tmp / 'b.wav').exists()
