"End-to-end: the `bass-ld` command as a user runs it, on both sources of pairs (music21's scores and mma's grooves)."
import json, subprocess
from pathlib import Path
import numpy as np, librosa, pytest, torch
from bass_ld.audio import load_audio, SR

@pytest.fixture(scope='module')
def built(tmp_path_factory, bass_ld_cmd):
    out = tmp_path_factory.mktemp('ds') / 'pairs'
    r = subprocess.run(bass_ld_cmd + BUILD + ['--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out, r.stdout

BUILD = ['dataset', '--sources', 'corpus,mma', '--limit', '3', '--max-seconds', '12', '--quiet']

def records(out): return [json.loads(l) for l in (out / 'manifest.jsonl').read_text().splitlines()]

def test_dataset_limit_3_writes_pairs_from_each_source(built):
    out, stdout = built
    recs = records(out)
    assert 'pairs' in stdout and 'h (train' in stdout and 'hours per source: corpus' in stdout
    for src in ('corpus', 'mma'): assert 1 <= sum(r['source'] == src for r in recs) <= 3, src
    for r in recs:
        assert 'mix' in Path(r['mix']).name and 'bass' in Path(r['bass']).name and r['split'] in ('train', 'valid', 'test')
        if r['source'] == 'corpus': assert r['bass_part_index'] not in r['mix_part_indices']
        else: assert r['groove'] in r['grooves'] and r['family'] and r['bass_tracks'] and 'labels' not in r

def stem_checks(mix, bass, notes, sr=SR) -> dict:
    "pYIN's view of a bass stem against its labelled notes, and how much of the stem's waveform the mix holds."
    f0, voiced, _ = librosa.pyin(bass, fmin=30, fmax=500, sr=sr, frame_length=2048, hop_length=256)
    t = librosa.times_like(f0, sr=sr, hop_length=256)
    pc = np.where(voiced, np.round(librosa.hz_to_midi(np.nan_to_num(f0, nan=1.0))).astype(int) % 12, -1)
    lab = np.full(len(t), -1)
    for a, b, p in notes: lab[(t >= a + 0.05) & (t < b)] = p % 12
    ok = voiced & (lab >= 0)
    changes = []                                        # where the labelled pitch class changes, the tracker's does too
    for (_, _, p0), (a1, b1, p1) in zip(notes, notes[1:]):
        if p0 % 12 == p1 % 12 or b1 - a1 < 0.15: continue
        before, after = pc[(t > a1 - 0.12) & (t < a1 - 0.02)], pc[(t > a1 + 0.05) & (t < a1 + 0.15)]
        if len(before) and len(after): changes.append(np.mean(after == p1 % 12) > 0.5 and np.mean(before == p1 % 12) < 0.5)
    corr = lambda x, y: float(x @ y / np.sqrt((x @ x) * (y @ y)))
    return dict(voiced=float(voiced.mean()), f0=float(np.nanmedian(f0)), pitch=float(np.mean(pc[ok] == lab[ok])),
                changes=changes, in_mix=corr(mix, bass), in_song=corr(mix + bass, bass))

def test_bass_file_holds_the_labelled_bass_line_and_the_mix_does_not(built):
    "For each source: the bass stem is voiced, in the bass register, at the labelled pitches and times; the mix lacks it."
    from bass_ld.render import item_labels
    out, _ = built
    changes = []
    for r in records(out):
        mix, bass = load_audio(out / r['mix']).numpy(), load_audio(out / r['bass']).numpy()
        assert len(mix) == len(bass) == round(r['duration'] * SR)
        notes = item_labels(out, r)['bass']
        assert notes and all(28 <= p <= 60 for _, _, p in notes), r['id']          # labelled notes in E1..C4
        c = stem_checks(mix, bass, notes)
        assert c['voiced'] > 0.5 and 30 < c['f0'] < 270, (r['id'], c)              # mostly voiced, bass register (41-262 Hz)
        assert c['pitch'] > 0.6, (r['id'], c['pitch'])                            # the labelled pitch classes
        assert abs(c['in_mix']) < 0.1 < c['in_song'], (r['id'], c['in_mix'], c['in_song'])   # not in the mix (detectably)
        changes += c['changes']
    assert len(changes) > 10 and np.mean(changes) > 0.8, (len(changes), np.mean(changes))     # at the labelled times

def test_dataset_rerun_resumes_without_rework(built, bass_ld_cmd):
    out, _ = built
    before = {p: p.stat().st_mtime_ns for p in out.rglob('*.flac')}
    r = subprocess.run(bass_ld_cmd + BUILD + ['--out', str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob('*.flac')} == before

def test_interrupted_item_is_redone(built, bass_ld_cmd, tmp_path):
    "An item whose JSON record is missing (killed mid-write) is rendered again; nothing half-written survives."
    import shutil
    out = tmp_path / 'copy'; shutil.copytree(built[0], out)
    rec = json.loads((out / 'manifest.jsonl').read_text().splitlines()[0])
    j = out / Path(rec['mix']).parent / f"{rec['id']}.json"; j.unlink()
    (out / rec['bass']).write_bytes(b'half a file')                          # as if the process died here
    r = subprocess.run(bass_ld_cmd + BUILD + ['--out', str(out)], capture_output=True, text=True, timeout=300)
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

def _marked_pids(mark):
    "Processes whose environment holds `mark` (this test's build and any worker it started)."
    pids = []
    for d in Path('/proc').iterdir():
        if not d.name.isdigit(): continue
        try: env = (d / 'environ').read_bytes()
        except OSError: continue
        if mark.encode() in env: pids.append(int(d.name))
    return pids

@pytest.mark.skipif(not Path('/proc/self/environ').exists(), reason='needs /proc (Linux)')
def test_killed_build_leaves_no_orphans_and_resumes_to_the_same_dataset(built, bass_ld_cmd, tmp_path):
    "SIGKILL the builder twice mid-build: its workers die with it, and a re-run completes to the uninterrupted build."
    import os, signal, time, uuid
    out, mark = tmp_path / 'pairs', f'BASS_LD_TEST_{uuid.uuid4().hex}'
    env = {**os.environ, mark: '1'}
    for wait_items in (1, 3):                                       # kill once the build has finished this many items
        p = subprocess.Popen(bass_ld_cmd + BUILD + ['--out', str(out), '--jobs', '2'], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while time.time() - t0 < 120 and p.poll() is None and len(list(out.rglob('*.json'))) < wait_items + 1: time.sleep(0.05)
        p.send_signal(signal.SIGKILL); p.wait()
        t0 = time.time()
        while _marked_pids(mark) and time.time() - t0 < 10: time.sleep(0.1)
        assert not _marked_pids(mark), 'worker processes outlived the killed build'
    r = subprocess.run(bass_ld_cmd + BUILD + ['--out', str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert records(out) == records(built[0])                        # nothing lost, nothing twice, nothing different
    assert not list(out.rglob('.*.tmp*'))
