"""Pack a `bass-ld encode` file small enough to travel to a lent GPU machine, and unpack it there.

A lent machine takes a working tree of at most 64 MiB, and our latent files are larger (the note-codec latents of
the full corpus: 143 MB in fp16). Packing keeps only the splits training reads (train, valid), stores the
*conditions* (the mix latent and the mix's pitch features) as 8-bit codes with a per-channel scale and offset (an
error of at most 1/510 of each channel's range: far below the noise the model is trained under), keeps the bass
latent and its note channels (what the model learns to generate) exactly in fp16, and compresses the lot with xz.
Unpacking writes an ordinary latent file (fp16, the same metadata and index) that `train_diffusion` and
`scripts/gpu_train.py` read as they are. It needs only torch, numpy and safetensors.

    python scripts/pack_latents.py pack   latents.safetensors packed.xz [--splits train valid]
    python scripts/pack_latents.py unpack packed.xz latents.safetensors
"""
import argparse, json, lzma, sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load as st_load, save as st_save, save_file

QUANTISED = ('mix', 'mix_features')                     # conditions: 8-bit codes; everything else stays fp16


def pack(src, dst, splits=('train', 'valid')) -> dict:
    "Write `dst` (xz of a safetensors file) from the latent file `src`; returns sizes."
    with safe_open(str(src), 'pt') as f:
        md = f.metadata() or {}
        if 'index' not in md: sys.exit(f"'{src}' is not a bass_ld latent file (no index in its metadata)")
        index = {k: v for k, v in json.loads(md['index']).items() if v.get('split') in splits}
        if not index: sys.exit(f"'{src}' holds no items of the splits {', '.join(splits)}")
        out = {}
        for key in f.keys():
            item, name = key.rsplit('/', 1)
            if item not in index: continue
            t = f.get_tensor(key).float()
            if name in QUANTISED:                         # (C, T): per-channel affine 8-bit codes
                lo, hi = t.amin(-1, keepdim=True), t.amax(-1, keepdim=True)
                scale = (hi - lo).clamp_min(1e-8) / 255
                out[key + '.q'] = ((t - lo) / scale).round().clamp(0, 255).to(torch.uint8)
                out[key + '.lo'], out[key + '.scale'] = lo.half(), scale.float()
            else: out[key] = t.half()
    raw = st_save(out, metadata=dict(meta=md.get('meta', '{}'), index=json.dumps(index), packed='1'))
    tmp = Path(str(dst) + '.part')
    tmp.write_bytes(lzma.compress(raw, preset=6))
    tmp.replace(dst)
    return dict(items=len(index), raw_mb=len(raw) / 1e6, packed_mb=Path(dst).stat().st_size / 1e6)


def unpack(src, dst) -> dict:
    "Write the ordinary fp16 latent file `dst` from a packed `src`."
    try: raw = lzma.decompress(Path(src).read_bytes())
    except (OSError, lzma.LZMAError) as e: sys.exit(f"'{src}' is not a packed latent file ({e})")
    md = json.loads(raw[8:8 + int.from_bytes(raw[:8], 'little')]).get('__metadata__', {})
    if md.get('packed') != '1': sys.exit(f"'{src}' is not a packed latent file")
    t = st_load(raw)
    out = {}
    for key, v in t.items():
        if key.endswith('.q'):
            k = key[:-2]
            out[k] = (v.float() * t[k + '.scale'] + t[k + '.lo'].float()).half()
        elif not key.endswith(('.lo', '.scale')): out[key] = v
    tmp = Path(str(dst) + '.part')
    save_file(out, str(tmp), metadata=dict(meta=md['meta'], index=md['index']))
    tmp.replace(dst)
    return dict(items=len(json.loads(md['index'])), tensors=len(out), mb=Path(dst).stat().st_size / 1e6)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('pack'); a.add_argument('src'); a.add_argument('dst')
    a.add_argument('--splits', nargs='+', default=['train', 'valid'])
    b = sub.add_parser('unpack'); b.add_argument('src'); b.add_argument('dst')
    a = p.parse_args(argv)
    r = pack(a.src, a.dst, tuple(a.splits)) if a.cmd == 'pack' else unpack(a.src, a.dst)
    print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
