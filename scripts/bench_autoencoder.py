#!/usr/bin/env python
"""Encode + decode speed of the shipped autoencoder (real-time factor = audio seconds / wall seconds).

    .venv/bin/python scripts/bench_autoencoder.py [--device cpu|cuda] [--threads 2] [--seconds 30 600]

Prints a markdown table (paste it into the README) and, with --json, writes the numbers.
Needs only torch, numpy and safetensors plus bass_ld, so it runs on a bare GPU machine with PYTHONPATH=.
"""
import argparse, json, platform, time, sys
import torch

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--device', default=None); p.add_argument('--threads', type=int, default=None)
    p.add_argument('--seconds', type=float, nargs='+', default=[30.0, 600.0])
    p.add_argument('--repeats', type=int, default=3); p.add_argument('--json', default=None)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    from bass_ld.autoencoder import AutoEncoder
    from bass_ld.train import default_device, hardware
    ae = AutoEncoder.from_pretrained(device=a.device)
    dev = ae.device
    sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)
    g = torch.Generator().manual_seed(0)
    rows = []
    ae.reconstruct(torch.randn(ae.cfg.sr * 5, generator=g) * 0.1)   # warm-up
    for sec in a.seconds:
        x = (torch.randn(int(sec * ae.cfg.sr), generator=g) * 0.1).to(dev)
        times = {}
        for _ in range(a.repeats):
            sync(); t = time.perf_counter(); z = ae.encode(x); sync(); te = time.perf_counter() - t
            t = time.perf_counter(); y = ae.decode(z, length=len(x)); sync(); td = time.perf_counter() - t
            times.setdefault('enc', []).append(te); times.setdefault('dec', []).append(td)
        te, td = min(times['enc']), min(times['dec'])
        rows.append(dict(device=hardware(dev), audio_s=sec, encode_s=round(te, 3), decode_s=round(td, 3),
                         encode_decode_x_realtime=round(sec / (te + td), 1)))
    print('| device | audio (s) | encode (s) | decode (s) | encode+decode × real time |\n|---|---|---|---|---|')
    for r in rows: print(f"| {r['device']} | {r['audio_s']:g} | {r['encode_s']} | {r['decode_s']} | {r['encode_decode_x_realtime']} |")
    if a.json: json.dump(rows, open(a.json, 'w'), indent=1)

if __name__ == '__main__': main()
