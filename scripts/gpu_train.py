"""Train the diffusion model on one GPU from pre-encoded latents within a wall-time budget.

A recipe for a lent GPU machine that has no package index: it imports only torch, numpy, safetensors and accelerate
(with huggingface_hub, which accelerate brings) from a checkout — no audio stack, no nbdev.

    PYTHONPATH=. python scripts/gpu_train.py --latents lat.safetensors --out RUN --export OUT [--minutes 8] [--compile]

It times a few throw-away steps at the chosen batch, sets the number of steps so that training (and its learning-rate
schedule) ends inside `--minutes`, trains with bf16 autocast and the latents resident on the GPU, and exports the
EMA weights in shards of at most `--shard-mb` MB. `OUT/throughput.json` (and stdout) record steps/s, crops/s, peak
GPU memory and the wall time; `--export` gets the model shards, model.json, history.json and throughput.json (what a
machine that hands back at most 8 files of 16 MB can return). Resumable like any `bass-ld train` run.
"""
import argparse, json, shutil, sys, time
from pathlib import Path

import torch


def throughput(config:str, latents, batch:int, frames:int, device, compile:bool, features:bool, steps:int=30) -> float:
    "Optimizer steps per second of a throw-away copy of the model on random crops of the real shape (after warm-up)."
    from bass_ld.diffusion_train import LatentCrops, new_denoiser
    data = LatentCrops(latents, 'train', frames, batch, features=features)
    den = new_denoiser(config, data, features).to(device)
    if compile: den.net.compile()
    opt = torch.optim.AdamW(den.parameters(), lr=1e-4)
    x = torch.randn(batch, data.channels, frames, device=device)
    c = torch.randn(batch, data.cond_channels, frames, device=device)
    mask = torch.ones(batch, frames, dtype=torch.bool, device=device)
    bf16 = torch.device(device).type == 'cuda'
    def step():
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            loss = den.loss(x, c, mask)['loss']
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    for _ in range(5): step()                                     # warm-up (and compilation)
    if bf16: torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps): step()
    if bf16: torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--latents', required=True, help='a `bass-ld encode` file (fp16)')
    p.add_argument('--out', required=True, help='run folder (checkpoints; resumable)')
    p.add_argument('--export', default=None, help='copy the exported model and logs here (e.g. $OUT)')
    p.add_argument('--config', default='small', choices=['tiny', 'small', 'paper'])
    p.add_argument('--minutes', type=float, default=8.0,
                   help='wall-time budget of the training itself (the steps are sized to it; it stops one minute past it)')
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--frames', type=int, default=None, help='crop length in latent frames (default: the config\'s)')
    p.add_argument('--lr', type=float, default=None, help="default: the config's, times sqrt(batch / its batch)")
    p.add_argument('--steps', type=int, default=None, help='default: as many as fit in --minutes (timed first)')
    p.add_argument('--compile', action='store_true', help='torch.compile the U-Net')
    p.add_argument('--features', action='store_true')
    p.add_argument('--p-mean', type=float, default=None, help='training noise levels: ln σ ~ N(p_mean, p_std²) '
                   '(default: the library\'s P_MEAN, P_STD)')
    p.add_argument('--p-std', type=float, default=None)
    p.add_argument('--note-weight', type=float, default=1.0,
                   help="loss weight of the note channels (--features) against the timbre's 1")
    p.add_argument('--init', default=None, help="fine-tune: start from these weights ('shipped' or a run folder)")
    p.add_argument('--shard-mb', type=float, default=15.0)
    p.add_argument('--device', default=None, help='default: cuda if available')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    from bass_ld.diffusion_train import DIFF_TRAIN, train_diffusion
    from bass_ld.diffusion import P_MEAN, P_STD
    from bass_ld.core import default_device, hardware
    dev = default_device(a.device)
    hp = DIFF_TRAIN['finetune' if a.init else a.config]
    frames = a.frames or hp['frames']
    lr = a.lr or hp['lr'] * (a.batch / hp['batch']) ** 0.5
    t0 = time.time()
    steps, rate = a.steps, None
    if steps is None:
        rate = throughput(a.config, a.latents, a.batch, frames, dev, a.compile, a.features)
        steps = max(10, int(0.85 * rate * 60 * a.minutes))            # room for validation and checkpoints
        print(f'timed {rate:.2f} steps/s at batch {a.batch} x {frames} frames on {dev}: training {steps} steps',
              flush=True)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    tr = train_diffusion(a.latents, a.out, a.config, steps=steps, batch=a.batch, frames=frames, lr=lr,
                         features=a.features, minutes=a.minutes + 1, device=a.device, seed=a.seed, resident=True,
                         compile=a.compile, ckpt_every=max(250, steps // 4), shard_bytes=int(a.shard_mb * 1e6),
                         progress=False, p_mean=P_MEAN if a.p_mean is None else a.p_mean,
                         p_std=P_STD if a.p_std is None else a.p_std, init=a.init, note_weight=a.note_weight)
    tr.close()
    h = tr.history
    k = min(len(h) - 1, max(1, len(h) // 10))                         # steady state: after the first tenth of the logs
    a0 = h[k - 1] if k >= 1 else dict(step=0, seconds=0.0)          # (a short run: from its start)
    sps = (h[-1]['step'] - a0['step']) / max(1e-9, h[-1]['seconds'] - a0['seconds']) if h else None
    report = dict(device=str(tr.device), hardware=hardware(tr.device),
                  config=a.config, batch=a.batch, frames=frames, lr=lr, compile=a.compile, steps=tr.step,
                  planned_steps=steps, timed_steps_per_s=rate, steps_per_s=sps,
                  crops_per_s=sps * a.batch if sps else None, train_seconds=h[-1]['seconds'] if h else 0,
                  wall_seconds=round(time.time() - t0, 1), done=tr.done,
                  peak_gpu_memory_gb=torch.cuda.max_memory_allocated(tr.device) / 1e9 if tr.device.type == 'cuda' else None,
                  final_loss=h[-1]['loss'] if h else None, valid=tr.valid[-1] if tr.valid else None)
    out = Path(a.out)
    (out / 'throughput.json').write_text(json.dumps(report, indent=1) + '\n')
    print(json.dumps(report), flush=True)
    if a.export and tr.done:
        dst = Path(a.export)
        dst.mkdir(parents=True, exist_ok=True)
        names = json.loads((out / 'model.json').read_text()).get('shards') or ['model.safetensors']
        for n in [*names, 'model.json', 'history.json', 'throughput.json']: shutil.copy2(out / n, dst / n)
    return 0 if tr.done else 3


if __name__ == '__main__':
    sys.exit(main())
