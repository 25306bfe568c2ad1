"Bad settings and output paths are refused in one line before any work; an input file is never overwritten."
import hashlib, os
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from bass_ld.cli import main
from bass_ld.sampling import MAX_STEPS

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
    (['--cfg', '-5'], 'guidance strength w must be in [0, 100]'), (['--harmony', 'nan'], 'harmony strength must be a finite'),
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

def shipped_copy(tmp_path, kind='diffusion'):
    import shutil
    from bass_ld.train import WEIGHTS
    for ext in ('.safetensors', '.json'): shutil.copy(WEIGHTS / f'{kind}{ext}', tmp_path / f'bad{ext}')
    return tmp_path / 'bad'

@pytest.mark.parametrize('damage,msg', [
    (lambda info: [1, 2], "expected an object with a 'config' object"),
    (lambda info: {**info, 'config': {k: v for k, v in info['config'].items() if k != 'unet'}}, "KeyError: 'unet'"),
    (lambda info: {**info, 'config': {**info['config'], 'sigma_data': 'abc'}}, 'its config does not build this model (ValueError'),
    (lambda info: '{"kind": ', 'not valid JSON')])
def test_malformed_weights_are_one_checkpoint_line(song, tmp_path, capsys, damage, msg):
    import json
    w = shipped_copy(tmp_path)
    info = json.loads(w.with_suffix('.json').read_text())
    bad = damage(info)
    w.with_suffix('.json').write_text(bad if isinstance(bad, str) else json.dumps(bad))
    line = refused(['generate', song, '--out', tmp_path / 'bass.wav', '--weights', w, '--quiet'], capsys)
    assert msg in line and str(w) in line, line
    assert not (tmp_path / 'bass.wav').exists()

def test_nan_weights_are_refused(song, tmp_path, capsys):
    from safetensors.torch import load_file, save_file
    w = shipped_copy(tmp_path)
    st = load_file(str(w.with_suffix('.safetensors')))
    k = next(k for k, v in st.items() if v.is_floating_point()); st[k] = st[k].clone(); st[k].view(-1)[0] = float('nan')
    save_file(st, str(w.with_suffix('.safetensors')))
    assert 'NaN or infinite' in refused(['generate', song, '--out', tmp_path / 'bass.wav', '--weights', w, '--quiet'], capsys)

def test_wrong_files_for_training_and_evaluation(song, tmp_path, capsys):
    assert 'is not a bass_ld latent file' in refused(['train', 'diffusion', '--data', song, '--out', tmp_path / 'run', '--quiet'], capsys)
    assert 'no such latent file' in refused(['train', 'diffusion', '--data', tmp_path / 'none.safetensors', '--out', tmp_path / 'run', '--quiet'], capsys)
    (tmp_path / 'pairs').mkdir(); (tmp_path / 'pairs' / 'manifest.jsonl').write_text('')
    line = refused(['evaluate', '--data', tmp_path / 'pairs', '--embedder', 'no_such_module:fn', '--out', tmp_path / 'r.md'], capsys)
    assert "embedder 'no_such_module:fn' cannot be loaded" in line

def test_interrupted_generate_does_not_promise_a_resume(song, tmp_path, capsys, monkeypatch):
    import bass_ld.cli_generate as verbs
    def stop(a): raise KeyboardInterrupt
    monkeypatch.setattr(verbs, 'run_generate', stop)
    line = refused(['generate', song, '--out', tmp_path / 'bass.wav'], capsys)
    assert 'interrupted' in line and 'resume' not in line

@pytest.mark.parametrize('steps,guidance,clamp', [(2, 'plain', 'auto'), (3, 'plain', 'auto'), (3, 'rescaled', 'auto'),
                                                  (3, 'plain', 'off')])
def test_few_steps_give_a_bass_not_a_blast(tmp_path, capsys, steps, guidance, clamp):
    """2-3 Heun steps once gave near-full-scale noise (the correction across σ 80 -> 0.002): now never a blast. Plain
    guidance (the default) at w = 8 then wrote mostly rests below ~6 steps (3 steps: 3% of samples sounded); below 12
    steps the note channels are now clamped to their data range (`--clamp auto`, 08_guidance) and it writes a bass.
    Unclamped (`--clamp off`), no blast either."""
    from bass_ld.core import WEIGHTS
    mix = WEIGHTS.parent / 'examples' / 'example_mix.flac'
    main(['generate', str(mix), '--out', str(tmp_path / 'bass.wav'), '--steps', str(steps), '--guidance', guidance,
          '--clamp', clamp, '--quiet'])
    y, sr = sf.read(tmp_path / 'bass.wav')
    assert len(y) == len(sf.read(mix)[0]) and np.abs(y).max() < 0.99
    if clamp != 'off': assert (np.abs(y) > 0.01).mean() > 0.1

def test_same_seed_same_threads_same_bass(song, tmp_path, capsys):
    "What --help promises: one seed at one thread count gives the same bass, bit for bit."
    outs = [tmp_path / f'b{k}.wav' for k in range(2)]
    for o in outs: main(['--threads', '1', 'generate', str(song), '--out', str(o), '--steps', '8', '--seed', '7', '--quiet'])
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert '--threads must be 1 .. 1024' in refused(['--threads', '0', 'generate', song, '--out', tmp_path / 'x.wav'], capsys)

@pytest.mark.parametrize('args,msg', [
    (['--out', '{t}/bass.mp3'], "unsupported output format '.mp3'"),
    (['--out', '{t}/song.wav/sub/bass.wav'], 'is a file, not a folder'),
    (['--out', '{t}'], 'is a folder'),
    (['--out', '{t}/b.wav', '--together', '{t}/both.aiff'], "unsupported --together output format '.aiff'"),
    (['--out', '{t}/b.wav', '--midi', '{t}/b.txt'], "unsupported --midi output format '.txt' (use .mid, .midi)")])
def test_output_paths_are_checked_before_sampling(song, tmp_path, capsys, args, msg):
    assert msg in refused(['generate', song, '--quiet'] + [a.format(t=tmp_path) for a in args], capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['song.wav']            # nothing written

def test_reconstruct_checks_its_outputs_first(song, tmp_path, capsys):
    assert "unsupported output format '.mp3'" in refused(['reconstruct', song, '--out', tmp_path / 'r.mp3'], capsys)
    assert "unsupported --latents output format '.txt'" in refused(['reconstruct', song, '--out', tmp_path / 'r.wav', '--latents', tmp_path / 'z.txt'], capsys)

@pytest.mark.parametrize('args,msg', [
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--steps', '-5'], '--steps must be a whole number above 0'),
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--batch', '0'], '--batch must be'),
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--lr', 'nan'], '--lr must be a number above 0'),
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--note-weight', '0', '--features'],
     '--note-weight must be a number > 0'),
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--note-weight', '3'],
     '--note-weight weighs the note channels of `train diffusion --features`'),
    (['train', 'diffusion', '--data', '{t}/lat.safetensors', '--out', '{t}/r', '--ckpt-every', '0'],
     '--ckpt-every must be a whole number above 0'),
    (['train', 'probe', '--data', '{t}/d', '--latents', '{t}/lat.safetensors', '--out', '{t}/r', '--ckpt-every', '5'],
     '--ckpt-every is for models trained in steps'),
    (['evaluate', '--data', '{t}', '--out', '{t}/e.md', '--high-w', 'nan'], 'guidance strength w must be a finite number'),
    (['evaluate', '--data', '{t}', '--out', '{t}/e.md', '--steps', '0'], 'steps must be in [1, 1000]'),
    (['dataset', '--out', '{t}/d', '--limit', '-1'], '--limit must be a whole number above 0'),
    (['dataset', '--out', '{t}/d', '--max-seconds', '0'], '--max-seconds must be'),
    (['dataset', '--out', '{t}/d', '--jobs', '0'], '--jobs must be'),
    (['dataset', '--out', '{t}/d', '--sr', '0'], '--sr must be 8000 .. 192000 Hz'),
    (['dataset', '--out', '{t}/d', '--drum-share', '2'], '--drum-share must be in [0, 1]')])
def test_training_evaluation_and_dataset_options_are_checked_first(tmp_path, capsys, args, msg):
    assert msg in refused([a.format(t=tmp_path) for a in args] + ['--quiet'], capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == []                       # nothing was made
