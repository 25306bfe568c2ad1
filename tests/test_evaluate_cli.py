"`bass-ld evaluate` end to end on a small rendered dataset: the report, its known answers, resuming, bad input."
import json, subprocess
import pytest

# one worker runs this module (test.sh: --dist loadgroup), so the rendered dataset below is built once, not per worker
pytestmark = pytest.mark.xdist_group('evaluate')

@pytest.fixture(scope='module')
def pairs(tmp_path_factory, bass_ld_cmd):
    d = tmp_path_factory.mktemp('eval') / 'pairs'
    subprocess.run(bass_ld_cmd + ['dataset', '--out', str(d), '--sources', 'corpus,mma', '--limit', '6', '--max-seconds', '14',
                                  '--quiet'], check=True)
    recs = [json.loads(l) for l in (d / 'manifest.jsonl').read_text().splitlines() if l.strip()]
    split = max(('train', 'valid', 'test'), key=lambda s: min(sum(r['split'] == s and r['source'] == x for r in recs)
                                                              for x in ('corpus', 'mma')))
    return d, split

def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)

def test_evaluate_writes_table_and_resumes(pairs, bass_ld_cmd, tmp_path):
    d, split = pairs
    out = tmp_path / 'rep' / 'results.md'
    args = bass_ld_cmd + ['evaluate', '--data', str(d), '--split', split, '--n', '2', '--steps', '2', '--parts', 'table', '--clip-frames', '24',
            '--out', str(out)]
    r = run(args)
    assert r.returncode == 0, r.stderr
    md = out.read_text()
    from bass_ld.sampling import SamplingConfig
    d = SamplingConfig()
    own = f'{d.guidance} CFG, w = {d.w:g}'                                  # the shipped guidance, harmony off
    for row in ('true bass', 'true bass through the autoencoder', "another piece's bass", 'rule: estimated chord root on every beat',
                'unconditional (w = 0)', 'conditional, no guidance (w = 1)', f'plain CFG, w = {d.w:g}',
                f'rescaled CFG, w = {d.w:g}', own + ' + harmony', own + ' + harmony + grounding'):
        assert md.count(f'| {row} |') == 4, row                              # fit and sound tables, per source
    assert 'Source: music21' in md and 'Source: songs arranged by mma' in md
    assert 'bass-ld evaluate --data' in md                                   # the report names its command
    parts = json.loads(out.with_suffix('.json').read_text())['parts']
    assert set(parts) == {'table/corpus', 'table/mma'}
    for src in ('corpus', 'mma'):                                            # the labels score the true bass: its notes are
        T = parts[f'table/{src}']['result']                                  # the labelled ones, and it plays chord roots
        assert T['true bass']['note_f1']['mean'] > max(0.5, T["another piece's bass"]['note_f1']['mean'] + 0.2), src
    T = parts['table/corpus']['result']
    assert T['true bass']['raw_pitch']['mean'] == pytest.approx(1.0)           # the true bass against itself
    assert T["another piece's bass"]['raw_pitch']['mean'] < 0.5
    ae = T['true bass through the autoencoder']                             # the codec's ceiling: same stems, decoded
    assert 0 <= ae['raw_pitch']['mean'] <= ae['raw_chroma']['mean'] <= 1 and ae['harmonic']['mean'] != T['true bass']['harmonic']['mean']
    assert T['true bass']['style']['mean'] == pytest.approx(1.0)               # rendered stems: the classifier knows them
    r2 = run(args)
    assert r2.returncode == 0 and 'table/mma already done' in r2.stderr        # saved parts are not redone

def test_evaluate_refuses_bad_input(pairs, bass_ld_cmd, tmp_path):
    d, split = pairs
    present = {json.loads(l)['split'] for l in (d / 'manifest.jsonl').read_text().splitlines() if l.strip()}
    empty = next((s for s in ('train', 'valid', 'test') if s not in present), None)
    cases = [(['--data', str(tmp_path / 'nowhere')], 'manifest.jsonl'),
             (['--data', str(d), '--split', split, '--parts', 'table,fly'], 'unknown parts'),
             (['--data', str(d), '--split', split, '--clip-frames', '3'], 'clip_frames must be 8 .. 4096')]
    if empty: cases.append((['--data', str(d), '--split', empty], f"no items in split '{empty}'"))
    from bass_ld.cli import main                     # in this process: a refusal is a SystemExit with its one line
    for extra, msg in cases:
        with pytest.raises(SystemExit) as e: main(['evaluate', '--out', str(tmp_path / 'x.md'), '--quiet'] + extra)
        assert msg in str(e.value.code), (extra, e.value.code)
        assert not (tmp_path / 'x.md').exists()

def test_choose_writes_the_defaults_for_these_models(pairs, bass_ld_cmd, tmp_path, monkeypatch, capsys):
    """`evaluate --choose` picks the guidance kind, phi, w, the harmony and grounding strengths on the valid split,
    writes them and says whether the library ships them. The rule itself, on small grids, is 12c_choose's lesson; here
    the command runs in this process with the grids cut to two values each (the full grids cost a minute even at 2
    clips); the clips are 4.4 s (24 frames) instead of the training crop's 12."""
    import functools, shutil
    import bass_ld.choose
    from bass_ld.cli import main
    d = tmp_path / 'pairs'; shutil.copytree(pairs[0], d)                  # a copy: the other tests keep the fixture as built
    recs = [json.loads(l) for l in (d / 'manifest.jsonl').read_text().splitlines() if l.strip()]
    if not any(r['split'] == 'valid' for r in recs):                      # a small build may hold no valid piece
        (d / 'manifest.jsonl').write_text(''.join(json.dumps(dict(r, split='valid')) + '\n' for r in recs))
    monkeypatch.setattr(bass_ld.choose, 'choose_defaults', functools.partial(
        bass_ld.choose.choose_defaults, phis=(0.8, 0.9), spread_ws=(1, 8), ws=(4, 8), strengths=(0.0, 0.1),
        groundings=(0.5, 1.0), spread_n=1))
    out = tmp_path / 'choice.json'
    main(['--threads', '1', 'evaluate', '--data', str(d), '--choose', str(out), '--steps', '2', '--n', '2', '--clip-frames', '24',
          '--quiet'])
    said = capsys.readouterr().out
    ch = json.loads(out.read_text())
    from bass_ld.sampling import SamplingConfig
    d_ = SamplingConfig()
    assert ch['split'] == 'valid' and ch['n'] == 2 and ch['frames'] == 24 and ch['phi'] in (0.8, 0.9)
    assert ch['guidance'] in ('plain', 'rescaled') and ch['w'] in (4.0, 8.0) and ch['harmony'] == 0.1
    best = max(ch['fit'], key=ch['fit'].get)                                                 # the rule, as written:
    kept = ch['evidence'] is not None and ch['evidence'] < bass_ld.choose.SWITCH             # the best score, unless
    assert f"{ch['guidance']} w={ch['w']:g}" == (f"{d_.guidance} w={d_.w:g}" if kept else best)   # no surer than that
    assert ch['worst'][str(ch['phi'])] == min(ch['worst'].values())
    assert ch['grounding'] == bass_ld.choose.pick_grounding(ch['by_grounding']) and ch['grounding'] in (0.5, 1.0)
    assert f"{ch['guidance']} guidance, phi {ch['phi']:g}, w {ch['w']:g}" in said and 'grounding' in said
    with pytest.raises(SystemExit) as e: main(['evaluate', '--data', str(d), '--choose', str(tmp_path / 'c.txt')])
    assert '.json' in str(e.value.code) and not (tmp_path / 'c.txt').exists()       # one line, before any model loads
