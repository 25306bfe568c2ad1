"Bad settings and output paths are refused in one line before any work; an input file is never overwritten."
import hashlib, os
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from bass_ld.cli import main
from bass_ld.pipeline import MAX_STEPS

SR = 22050

@pytest.fixture
def song(tmp_path):
    p = tmp_path / 'song.wav'
    t = np.arange(2 * SR) / SR
    sf.write(p, (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), SR)
    return p

def digest(p): return hashlib.sha1(Path(p).read_bytes()).hexdigest()

def refused(args, capsys) -> str:
    "Run the CLI in-process; it must exit non-zero with one line (no traceback) and return that line."
    with pytest.raises(SystemExit) as e: main([str(a) for a in args])
    msg = e.value.code
    assert isinstance(msg, str) and msg.startswith('bass-ld ') and '\n' not in msg and 'Traceback' not in msg, msg
    return msg

@pytest.mark.parametrize('flag', ['--out', '--together', '--midi'])
def test_generate_never_writes_over_its_mix(song, tmp_path, capsys, flag):
    before = digest(song)
    args = ['generate', song, '--out', tmp_path / 'bass.wav', '--quiet']
    if flag == '--out': args[3] = song
    else: args += [flag, song]
    assert 'it is the input' in refused(args, capsys)
    assert digest(song) == before and not (tmp_path / 'bass.wav').exists()

def test_links_and_relative_paths_are_seen_through(song, tmp_path, capsys, monkeypatch):
    os.symlink(song, tmp_path / 'alias.wav')
    monkeypatch.chdir(tmp_path)
    before = digest(song)
    for out in ('alias.wav', f'../{tmp_path.name}/song.wav'):
        assert 'it is the input' in refused(['generate', 'song.wav', '--out', out, '--quiet'], capsys)
    assert 'it is the input' in refused(['reconstruct', 'song.wav', '--out', 'alias.wav'], capsys)
    assert 'two outputs' in refused(['generate', 'song.wav', '--out', 'b.wav', '--together', 'b.wav', '--quiet'], capsys)
    assert digest(song) == before

@pytest.mark.parametrize('extra,msg', [
    (['--cfg', 'nan'], 'must be a finite number'), (['--cfg', 'inf'], 'must be a finite number'),
    (['--cfg', '-5'], 'cfg (guidance strength w) must be in [0, 100]'), (['--harmony', 'nan'], 'harmony strength must be a finite'),
    (['--harmony', '1e6'], 'harmony strength must be in [0, 1]'), (['--grounding', '2'], 'grounding strength must be in [0, 1]'),
    (['--steps', '10000000000'], f'steps must be in [1, {MAX_STEPS}]'), (['--steps', '0'], 'steps must be in'),
    (['--seed', str(2**64)], 'seed must be in'), (['--seed', '-1'], 'seed must be in'),
    (['--variations', '1000'], 'variations must be in [1, 64]'), (['--variations', '0'], 'variations must be in')])
def test_generate_settings_are_checked_before_any_work(song, tmp_path, capsys, extra, msg):
    out = tmp_path / 'bass.wav'
    assert msg in refused(['generate', song, '--out', out, '--quiet'] + extra, capsys)
    assert not out.exists()

@pytest.mark.parametrize('seconds', ['0', '-3', 'nan'])
def test_demo_refuses_a_meaningless_length(tmp_path, capsys, seconds):
    assert '--seconds must be a positive number' in refused(['demo', '--out', tmp_path, '--seconds', seconds, '--quiet'], capsys)
    assert not list(tmp_path.iterdir())
