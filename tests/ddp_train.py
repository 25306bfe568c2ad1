"""A toy regression trained by `bass_ld.train.Trainer`, for the distributed tests (`test_distributed.py`).

Run it alone (one process) or under `accelerate launch --cpu --num_processes N`. The loss draws nothing at random,
so runs of different process counts can be compared number for number. Every process records, before each of its
forward passes, a checksum of its weights and the ids of the items it was given; the main process writes them all
to `OUT/record.json` with the final weights.

    python tests/ddp_train.py OUT [--steps S] [--batch B] [--accum K] [--no-sync] [--die-after K]
"""
import argparse, json, os, sys
from pathlib import Path
import torch
from bass_ld.train import Trainer

W = torch.tensor([1.0, -2.0, 0.5, 3.0])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=12)
    ap.add_argument('--batch', type=int, default=8, help='the global batch')
    ap.add_argument('--accum', type=int, default=1)
    ap.add_argument('--no-sync', action='store_true', help='switch off gradient synchronisation (the tests show it fails)')
    ap.add_argument('--die-after', type=int, default=None, help='every process exits abruptly after this many batches')
    a = ap.parse_args()
    seen = []

    def batches(epoch, n=5):
        g = torch.Generator().manual_seed(epoch)                 # the same global batches in every process
        for s in range(n):
            if a.die_after is not None and len(seen) >= a.die_after * a.accum: os._exit(3)   # a kill, mid-run
            x = torch.randn(a.batch, 4, generator=g)
            yield dict(x=x, y=x @ W + 1, idx=torch.arange(a.batch) + 1000 * epoch + a.batch * s)

    def loss(m, b):
        seen.append(dict(idx=b['idx'].tolist(), weights=[round(float(v), 7) for v in m.weight.detach().flatten()]))
        return dict(loss=torch.nn.functional.mse_loss(m(b['x']).squeeze(-1), b['y']))

    torch.manual_seed(0)
    tr = Trainer(torch.nn.Linear(4, 1), loss, batches, a.out, steps=a.steps, lr=0.3, warmup=2, log_every=2,
                 ckpt_every=4, device='cpu', grad_accum=a.accum, progress=False)
    if a.no_sync:
        with tr.acc.no_sync(tr.wrapped): tr.fit()
    else: tr.fit()
    from accelerate.utils import gather_object
    records = gather_object([dict(rank=tr.rank, seen=seen)]) if tr.world > 1 else [dict(rank=0, seen=seen)]
    if tr.acc.is_main_process:
        Path(a.out, 'record.json').write_text(json.dumps(dict(
            world=tr.world, steps=tr.step, weight=tr.model.weight.flatten().tolist(), bias=tr.model.bias.tolist(),
            loss=[h['loss'] for h in tr.history], processes=sorted(records, key=lambda r: r['rank']))))
    tr.close()

if __name__ == '__main__':
    sys.exit(main())
