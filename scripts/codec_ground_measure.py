"""Codec-level: does grounding the timbre channels on a reference move the decoded pitch? N test basses, each encoded,
its timbre channels grounded (stats, strength 1) on every style reference, decoded; PESTO median pitch spread across
references, frames keeping the ungrounded decode's note, style accuracy (shipped timbre classifier); and PESTO's
median pitch of each true bass and of its ungrounded decode against the labelled notes' median.

    python scripts/codec_ground_measure.py CODEC N [SKIP] [DATA]   # CODEC: 'shipped' or a run folder; SKIP: '1' leaves
                                                                   # channel 1 ungrounded (the shipped setting)
"""
import json, sys, librosa, numpy as np, torch
from bass_ld.dataset import read_manifest
from bass_ld.note_codec import NoteCodec, item_notes
from bass_ld.grounding import reference_latent, timbre_encoder, ground_stats, TimbreClassifier, style_accuracy
from bass_ld.eval_conditions import style_references
from bass_ld.metrics import bass_pitch
from bass_ld.audio import load_audio
from bass_ld.core import WEIGHTS
torch.set_grad_enabled(False)
path, n, skip = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3].split(',') if c] if len(sys.argv) > 3 else []
data = sys.argv[4] if len(sys.argv) > 4 else 'data/pairs'
codec = NoteCodec.from_pretrained(None if path == 'shipped' else path, device='cpu'); sr = codec.ae.cfg.sr; C = codec.cfg.timbre
chans = [c for c in range(C) if c not in skip]
items = read_manifest(data, 'test')
pick = np.random.default_rng(1).permutation(len(items))[:n]
L = 64 * codec.stride
basses = [load_audio(items[int(i)]['bass'], sr)[:L] for i in pick]
notes = [[r for r in item_notes(items[int(i)], sr) if r[0] < L / sr] for i in pick]
refs = style_references(sr)
styles = json.loads((WEIGHTS.parent / 'examples' / 'styles.json').read_text())['styles']
k0 = sorted(styles)[0]
label = {k: (k if k in styles else k0) for k in refs}
clf = TimbreClassifier.from_pretrained(device='cpu')
enc = timbre_encoder(codec)
zr = {k: reference_latent(enc, r, sr) for k, r in refs.items()}
zs = [codec.encode(b, notes=nt) for b, nt in zip(basses, notes)]          # the labelled notes: what the codec is told
P, hits = {}, []
for k, ref in list(zr.items()) + [('none', None)]:
    fn = ground_stats(ref[chans]) if ref is not None else None
    for j, (z, b) in enumerate(zip(zs, basses)):
        z2 = z.clone()
        if fn: z2[chans] = fn(z[None, chans])[0]
        y = codec.decode(z2, length=len(b))
        _, f0, v = bass_pitch(y.numpy(), sr)
        P[k, j] = (librosa.hz_to_midi(np.maximum(f0, 1)), v)
        if ref is not None: hits.append(style_accuracy([y], [label[k]], clf, sr))
names = list(zr)
spread, same, samepc, truth, true_pesto = [], [], [], [], []
for j in range(len(zs)):
    meds = [np.median(P[k, j][0][P[k, j][1]]) if P[k, j][1].any() else np.nan for k in names]
    spread.append(np.nanmax(meds) - np.nanmin(meds))
    for k in names:
        both = P[k, j][1] & P['none', j][1]
        d = np.round(P[k, j][0][both]) - np.round(P['none', j][0][both])
        same.append((d == 0).mean() if both.any() else np.nan); samepc.append((d % 12 == 0).mean() if both.any() else np.nan)
    lab = np.median([r[2] for r in notes[j]]) if notes[j] else np.nan
    own = np.median(P['none', j][0][P['none', j][1]]) if P['none', j][1].any() else np.nan
    truth.append(own - lab)
    _, f0, v = bass_pitch(basses[j].numpy(), sr)
    true_pesto.append(float(np.median(librosa.hz_to_midi(f0[v]))) - lab if v.any() else np.nan)
res = dict(codec=path, n=n, grounded_channels=chans, spread_mean=round(float(np.nanmean(spread)), 2),
           spread_median=round(float(np.nanmedian(spread)), 2), spread=[round(float(s), 1) for s in spread],
           same_note=round(float(np.nanmean(same)), 3), same_pitch_class=round(float(np.nanmean(samepc)), 3),
           style=round(float(np.mean(hits)), 3),
           ungrounded_minus_labels=[round(float(t), 1) for t in truth],
           ungrounded_within_1st=round(float(np.nanmean(np.abs(truth) <= 1)), 3),
           true_minus_labels=[round(float(t), 1) for t in true_pesto],
           true_within_1st=round(float(np.nanmean(np.abs(true_pesto) <= 1)), 3))
print(json.dumps(res))
