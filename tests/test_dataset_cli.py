"End-to-end: the `bass-ld` command as a user runs it."
import json, subprocess
from pathlib import Path
import numpy as np, librosa, pytest, torch
from bass_ld.audio import load_audio, SR

@pytest.fixture(scope='module')
def built(tmp_path_factory, bass_ld_cmd):
    out = tmp_path_factory.mktemp('ds') / 'pairs'
    r = subprocess.run(bass_ld_cmd + ['dataset', '--out', str(out), '--limit', '3', '--quiet'], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out, r.stdout

def test_dataset_limit_3_writes_pairs(built):
    out, stdout = built
    recs = [json.loads(l) for l in (out / 'manifest.jsonl').read_text().splitlines()]
    assert 1 <= len(recs) <= 3 and 'pairs' in stdout and 'h (train' in stdout
    for r in recs:
        assert 'mix' in Path(r['mix']).name and 'bass' in Path(r['bass']).name
        assert r['bass_part_index'] not in r['mix_part_indices'] and r['split'] in ('train', 'valid', 'test')

def test_bass_file_holds_a_bass_line_the_mix_does_not(built):
    out, _ = built
    for r in (json.loads(l) for l in (out / 'manifest.jsonl').read_text().splitlines()):
        mix, bass = load_audio(out / r['mix']).numpy(), load_audio(out / r['bass']).numpy()
        assert len(mix) == len(bass) == round(r['duration'] * SR)
        f0, voiced, _ = librosa.pyin(bass[:SR * 12], fmin=30, fmax=500, sr=SR, frame_length=4096)
        assert voiced.mean() > 0.5, (r['id'], voiced.mean())                 # mostly voiced
        assert 30 < np.nanmedian(f0) < 270, (r['id'], np.nanmedian(f0))      # bass register (E1..C4 is 41-262 Hz)
        gain = float(mix @ bass / (bass @ bass))                             # least-squares amount of bass in the mix
        assert abs(gain) < 0.1, (r['id'], gain)

def test_dataset_rerun_resumes_without_rework(built, bass_ld_cmd):
    out, _ = built
    before = {p: p.stat().st_mtime_ns for p in out.rglob('*.flac')}
    r = subprocess.run(bass_ld_cmd + ['dataset', '--out', str(out), '--limit', '3', '--quiet'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob('*.flac')} == before

def test_interrupted_item_is_redone(built, bass_ld_cmd, tmp_path):
    "An item whose JSON record is missing (killed mid-write) is rendered again; nothing half-written survives."
    import shutil
    out = tmp_path / 'copy'; shutil.copytree(built[0], out)
    rec = json.loads((out / 'manifest.jsonl').read_text().splitlines()[0])
    j = out / Path(rec['mix']).parent / f"{rec['id']}.json"; j.unlink()
    (out / rec['bass']).write_bytes(b'half a file')                          # as if the process died here
    r = subprocess.run(bass_ld_cmd + ['dataset', '--out', str(out), '--limit', '3', '--quiet'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and j.exists()
    assert len(load_audio(out / rec['bass'])) == round(rec['duration'] * SR)
    assert not list(out.rglob('.*.tmp*'))

def test_demo_writes_its_files_into_the_current_folder(tmp_path, bass_ld_cmd):
    import pretty_midi
    r = subprocess.run(bass_ld_cmd + ['demo', '--quiet'], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    names = ['demo_bass.wav', 'demo_mix_bass.wav', 'demo_bass_styled.wav', 'demo_mix_bass_styled.wav',
             'demo_bass.mid', 'demo_bass_styled.mid', 'demo.png']
    for n in names:
        assert (tmp_path / n).stat().st_size > 100 and n in r.stdout
    bass, styled = load_audio(tmp_path / 'demo_bass.wav'), load_audio(tmp_path / 'demo_bass_styled.wav')
    assert len(bass) == len(styled) == len(load_audio(tmp_path / 'demo_mix_bass.wav'))
    assert not torch.equal(bass, styled)                                  # the style reference changed the result
    notes = pretty_midi.PrettyMIDI(str(tmp_path / 'demo_bass_styled.mid')).instruments[0].notes
    assert len(notes) > 5 and all(24 <= n.pitch <= 67 for n in notes)     # a bass-register track

def test_bad_output_folder_is_a_clear_error(tmp_path, bass_ld_cmd):
    f = tmp_path / 'a_file'; f.write_text('x')
    r = subprocess.run(bass_ld_cmd + ['dataset', '--out', str(f), '--limit', '1', '--quiet'], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'a_file' in r.stderr and 'Traceback' not in r.stderr
