"Guidance and style grounding as a user meets them: `bass-ld generate --guidance/--cfg/--style/--grounding`."
import json, subprocess
from pathlib import Path
import numpy as np, soundfile as sf, torch
from bass_ld.audio import SR, load_audio
from bass_ld.grounding import TimbreClassifier
from bass_ld.core import WEIGHTS

EXAMPLES = Path(__file__).resolve().parent.parent / 'bass_ld' / 'examples'

def run(cmd, *args, timeout=600):
    return subprocess.run(list(cmd) + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)

def test_style_reference_sets_the_timbre(tmp_path, bass_ld_cmd):
    """Three references of different timbres over both bundled mixes: the grounded bass is classified as its own
    reference's timbre in at least 5 of the 6 at the default settings (on the test split: 91% / 81%; the miss today
    is the synth reference over the first mix, which guidance at w = 12 pulls towards a tuba; with 12 sampling
    steps the second mix misses it too). One through the command line, the rest in one process (the same code)."""
    from bass_ld.pipeline import BassGenerator
    clf, styles = TimbreClassifier.from_pretrained(device='cpu'), json.loads((EXAMPLES / 'styles.json').read_text())['styles']
    mix = tmp_path / 'example.wav'
    sf.write(mix, load_audio(EXAMPLES / 'example_mix.flac').numpy(), SR)
    out = tmp_path / 'contrabass.wav'
    r = run(bass_ld_cmd, 'generate', mix, '--out', out, '--style', EXAMPLES / styles['contrabass']['file'], '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'style' in r.stdout and 'grounding stats' in r.stdout
    y, sr = sf.read(out); assert sr == SR and len(y) == len(load_audio(mix))
    got = {('example', 'contrabass'): clf.predict(torch.from_numpy(y).float())}
    g = BassGenerator.from_pretrained(device='cpu')
    for name in ('example', 'example2'):
        x = load_audio(EXAMPLES / f'{name}_mix.flac')
        for lab in ('slap_bass_1', 'synth_bass_2', 'contrabass'):
            if (name, lab) not in got:
                got[name, lab] = clf.predict(g.generate(x, style=load_audio(EXAMPLES / styles[lab]['file'])))
    assert sum(v == lab for (_, lab), v in got.items()) >= 5, got
    for name in ('example', 'example2'):                             # the reference, not the mix, sets the timbre
        assert len({v for (n, _), v in got.items() if n == name}) >= 2, got

def test_guidance_flag_changes_the_scale(tmp_path, bass_ld_cmd):
    "At w = 12 plain and rescaled guidance (--guidance) give different basses; a kind that does not exist is refused."
    sf.write(tmp_path / 'mix.wav', load_audio(EXAMPLES / 'example2_mix.flac')[:8 * SR].numpy(), SR)
    ys = {}
    for kind in ('plain', 'rescaled'):
        r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / f'{kind}.wav', '--cfg', 12,
                '--guidance', kind, '--steps', 8, '--quiet')
        assert r.returncode == 0, r.stderr
        assert f'{kind} guidance w 12' in r.stdout
        ys[kind] = sf.read(tmp_path / f'{kind}.wav')[0]
    assert not np.allclose(ys['plain'], ys['rescaled'], atol=1e-3)
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'x.wav', '--guidance', 'clipped')
    assert r.returncode != 0 and 'invalid choice' in r.stderr

def test_bad_style_reference_is_refused(tmp_path, bass_ld_cmd):
    sf.write(tmp_path / 'mix.wav', load_audio(EXAMPLES / 'example_mix.flac')[:4 * SR].numpy(), SR)
    sf.write(tmp_path / 'short.wav', 0.3 * np.sin(np.arange(SR // 2) * 2 * np.pi * 55 / SR), SR)
    sf.write(tmp_path / 'silent.wav', np.zeros(3 * SR), SR)
    cases = {'short.wav': 'at least 1 s', 'silent.wav': 'silent', 'nothere.wav': 'nothere.wav'}
    for name, msg in cases.items():
        r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'o.wav', '--style', tmp_path / name, '--quiet')
        assert r.returncode != 0 and msg in r.stderr, (name, r.stderr[-300:])
        assert not (tmp_path / 'o.wav').exists()
    r = run(bass_ld_cmd, 'generate', tmp_path / 'mix.wav', '--out', tmp_path / 'o.wav', '--style', EXAMPLES / 'style_contrabass.flac',
            '--grounding', 1.5, '--quiet')
    assert r.returncode != 0 and '[0, 1]' in r.stderr

def test_shipped_timbre_classifier():
    size = sum(p.stat().st_size for p in WEIGHTS.glob('timbre.*'))
    clf = TimbreClassifier.from_pretrained(device='cpu')
    assert 0 < size <= 5e6 and clf.card['parameters'] == sum(p.numel() for p in clf.parameters())
    assert clf.card['heldout_stems_accuracy'] >= 0.95
    for name in ('example', 'example2'):                         # held-out stems, labelled in their json
        assert clf.predict(load_audio(EXAMPLES / f'{name}_bass.flac')) == json.loads((EXAMPLES / f'{name}.json').read_text())['bass_label']
