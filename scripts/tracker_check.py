"""Which pitch tracker reads the bass the labels say? On true test-split basses (rendered from labelled notes), each
tracker's frame pitch against the sounding labelled note (the lowest, where several sound): raw pitch accuracy
(within half a semitone), octave errors (a whole number of octaves off), other harmonics (a twelfth, 19 semitones),
and the clip's median pitch against the labels' median. Trackers: PESTO (`metrics.bass_pitch`, the evaluation's),
librosa's pYIN (`metrics.register(..., 'pyin')`'s settings).

    python scripts/tracker_check.py N [DATA] > tracker_check.json        # N clips per source, 11.9 s each
"""
import json, sys, time
import librosa, numpy as np
from bass_ld.audio import load_audio, SR
from bass_ld.dataset import read_manifest
from bass_ld.metrics import bass_pitch, HOP
from bass_ld.note_codec import item_notes

n, data = int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else 'data/pairs'
L = 64 * 4096                                                     # the evaluation's clip: 64 latent frames

def pesto(x):
    t, f0, v = bass_pitch(x, SR)
    return t, f0, v

def pyin(x):
    f0, v, _ = librosa.pyin(x, fmin=30, fmax=500, sr=SR, frame_length=4096, hop_length=HOP)
    return librosa.times_like(f0, sr=SR, hop_length=HOP), np.nan_to_num(f0), v

trackers = dict(pesto=pesto, pyin=pyin)

def label_pitch(notes, t):
    out = np.full(len(t), np.nan)
    for s, e, p in sorted(notes, key=lambda r: -r[2]):           # the lowest sounding note wins
        out[(t >= s) & (t < e)] = p
    return out

items = read_manifest(data, 'test')
res = dict(clips={}, trackers=list(trackers), data=str(data), clip_seconds=round(L / SR, 2), per_source=n)
rows = {k: [] for k in trackers}
for src in sorted({it['source'] for it in items}):
    pool = [it for it in items if it['source'] == src]
    for i in np.random.default_rng(1).permutation(len(pool))[:n]:
        it = pool[int(i)]
        x = load_audio(it['bass'], SR)[:L].numpy()
        notes = [tuple(r[:3]) for r in item_notes(it, SR) if r[0] < len(x) / SR]
        for k, tr in trackers.items():
            t0 = time.time()
            t, f0, v = tr(x)
            lab = label_pitch(notes, t)
            both = v & ~np.isnan(lab) & (f0 > 0)
            d = librosa.hz_to_midi(f0[both]) - lab[both]
            oct_ = np.abs(d - 12 * np.round(d / 12)) < 0.5
            rows[k].append(dict(source=src, id=it['id'], frames=int(both.sum()),
                                raw=float(np.mean(np.abs(d) < 0.5)) if both.any() else np.nan,
                                octave=float(np.mean(oct_ & (np.abs(d) >= 11.5))) if both.any() else np.nan,
                                twelfth=float(np.mean(np.abs(d - 19) < 0.5)) if both.any() else np.nan,
                                median_minus_labels=float(np.median(librosa.hz_to_midi(f0[v & (f0 > 0)]))
                                                          - np.nanmedian(lab)) if v.any() else np.nan,
                                seconds=time.time() - t0))
summary = {}
for k, r in rows.items():
    m = lambda q, rr=r: round(float(np.nanmean([x[q] for x in rr])), 3)
    med = np.array([x['median_minus_labels'] for x in r])
    summary[k] = dict(raw_pitch=m('raw'), octave_errors=m('octave'), twelfth=m('twelfth'),
                      median_within_1st=round(float(np.mean(np.abs(med) <= 1)), 3),
                      median_12_or_more_above=round(float(np.mean(med >= 11)), 3),
                      seconds_per_clip=m('seconds'),
                      by_source={s: dict(raw_pitch=round(float(np.nanmean([x['raw'] for x in r if x['source'] == s])), 3),
                                         median_within_1st=round(float(np.mean([abs(x['median_minus_labels']) <= 1
                                                                                 for x in r if x['source'] == s])), 3))
                                 for s in sorted({x['source'] for x in r})})
res['summary'], res['clips'] = summary, rows
print(json.dumps(res, indent=1))
