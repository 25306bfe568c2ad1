"""Which of the shipped note codec's timbre channels carry register (09_grounding's `register_channels`), measured on
true bass clips of the valid split with the bundled style references and the first one pitch-shifted ±7 semitones
(the references `bass-ld evaluate`'s pitch-invariance check uses).

    python scripts/register_channels.py [--data data/pairs] [--n 8] [--write-card]

Writes nbs/results/register_channels.json; --write-card also records the result in the shipped codec's model card
(bass_ld/weights/note_codec.json: the card is not part of the weights hash that pairs the codec with its model).
"""
import argparse, json
from pathlib import Path
import numpy as np, torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default='data/pairs')
    ap.add_argument('--n', type=int, default=8)
    ap.add_argument('--frames', type=int, default=64)
    ap.add_argument('--write-card', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    import librosa
    from bass_ld.audio import load_audio
    from bass_ld.core import WEIGHTS
    from bass_ld.dataset import read_manifest
    from bass_ld.grounding import register_channels
    from bass_ld.note_codec import NoteCodec
    codec = NoteCodec.from_pretrained(device='cpu')
    sr, L = codec.ae.cfg.sr, a.frames * codec.ae.cfg.stride
    its = read_manifest(a.data, 'valid')
    basses = []
    for i in np.random.default_rng(3).permutation(len(its)):
        b = load_audio(its[i]['bass'], sr)
        if len(b) >= L and float(b[:L].pow(2).mean()) > 1e-6: basses.append(b[:L])
        if len(basses) == a.n: break
    ex = WEIGHTS.parent / 'examples'
    styles = json.loads((ex / 'styles.json').read_text())['styles']
    refs = {k: (k, load_audio(ex / v['file'], sr)) for k, v in styles.items()}
    k0 = sorted(refs)[0]
    for st in (-7, 7):      # a pitch-shifted contrabass is still asked to sound like one
        refs[f'{k0} {st:+d} st'] = (k0, torch.from_numpy(librosa.effects.pitch_shift(refs[k0][1].numpy(), sr=sr,
                                                                                     n_steps=st)))
    res = register_channels(codec, basses, refs)
    res['data'] = f'{a.data}: valid split, {len(basses)} true bass clips of {a.frames} latent frames (seed 3)'
    res['command'] = 'python scripts/register_channels.py' + (' --write-card' if a.write_card else '')
    print(json.dumps(res))
    Path('nbs/results/register_channels.json').write_text(json.dumps(res, indent=1) + '\n')
    if a.write_card:
        p = WEIGHTS / 'note_codec.json'
        info = json.loads(p.read_text())
        info['card']['register_channels'] = {k: res[k] for k in ('channels', 'all', 'without', 'rest', 'style',
                                                                  'threshold', 'style_drop', 'data')}
        tmp = p.with_suffix('.tmp')
        tmp.write_text(json.dumps(info, indent=1) + '\n')
        tmp.replace(p)


if __name__ == '__main__':
    main()
