"""Data-parallel training through Hugging Face Accelerate, for real: two CPU processes (gloo) launched with torchrun
(`accelerate launch` starts several processes on GPUs; on CPUs it wants MPI), compared with one process on the same
global batches."""
import json, os, shutil, socket, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / 'tests' / 'ddp_train.py'

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def launch(out, *args, n:int=2, check:bool=True):
    "Run the toy with `n` CPU processes under torchrun; returns the main process's record (or the failed process)."
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(n), '--master_port', str(free_port()),
           str(TOY), str(out), *map(str, args)]
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if check and p.returncode and 'Signal ' in p.stderr:     # a process died of a signal (native teardown), not of a
        cmd[cmd.index('--master_port') + 1] = str(free_port())   # failed check: run afresh once more, as
        shutil.rmtree(out, ignore_errors=True)                  # run_notebooks.py does
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if check: assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    return json.loads((Path(out) / 'record.json').read_text()) if p.returncode == 0 else p

def single(out, *args):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    p = subprocess.run([sys.executable, str(TOY), str(out), *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads((Path(out) / 'record.json').read_text())

def same_weights_every_step(rec) -> bool:
    "Whether every process held the same weights before each of its forward passes."
    a, b = (r['seen'] for r in rec['processes'])
    return len(a) == len(b) and all(x['weights'] == y['weights'] for x, y in zip(a, b))

def test_two_processes_train_as_one(tmp_path):
    "One test (one pytest worker) for all that needs the shared runs: they take ~25 s to make."
    one, two = single(tmp_path / 'one'), launch(tmp_path / 'two')
    two_accum, no_sync = launch(tmp_path / 'two_accum', '--accum', 2), launch(tmp_path / 'no_sync', '--no-sync')
    # both processes hold identical weights before every forward pass, and the check fails without gradient sync
    assert two['world'] == 2 and two['steps'] == 12
    assert same_weights_every_step(two) and same_weights_every_step(two_accum)
    assert not same_weights_every_step(no_sync)                # each process then follows its own half
    # each process gets its own share of every batch: no item twice, every item once
    for rec, k in ((two, 1), (two_accum, 2)):
        a, b = (r['seen'] for r in rec['processes'])
        for s in range(12):                                    # the k micro-batches of each step, per process
            mine = [set(sum((x['idx'] for x in p[s * k:(s + 1) * k]), [])) for p in (a, b)]
            assert not mine[0] & mine[1] and len(mine[0]) == len(mine[1]) == 4
            assert max(mine[0] | mine[1]) - min(mine[0] | mine[1]) == 7
    # two processes end where one does on the same global batches (float sums in another order, nothing more)
    w1 = np.array(one['weight'] + one['bias'])
    for rec in (two, two_accum): assert np.abs(np.array(rec['weight'] + rec['bias']) - w1).max() < 1e-5
    assert one['loss'][-1] < 0.2 * one['loss'][0]              # and it learns
    # a killed two-process run resumes to exactly the weights of the uninterrupted one
    out = tmp_path / 'killed'
    p = launch(out, '--die-after', 7, check=False)             # both processes die after step 7 (checkpoint at 4)
    assert not isinstance(p, dict) and p.returncode != 0 and (out / 'last.safetensors').exists()
    rec = launch(out)                                          # the same command again
    assert rec['steps'] == 12 and len(rec['processes'][0]['seen']) == 8      # steps 5 .. 12 only
    assert np.abs(np.array(rec['weight']) - np.array(two['weight'])).max() < 1e-6

def test_the_documented_multi_process_command_trains_and_exports(tmp_path):
    "`torchrun --nproc_per_node N -m bass_ld.cli train diffusion ...` at tiny size: one export, made by the main process."
    import torch
    from bass_ld.dataset import save_latents
    g = torch.Generator().manual_seed(0)
    save_latents(tmp_path / 'lat.safetensors', {f'p{i}': dict(mix=torch.randn(8, 40, generator=g), bass=torch.randn(
        8, 40, generator=g), label=0, split='train') for i in range(4)}, meta=dict(frame_rate=5.38))
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(free_port()),
           '-m', 'bass_ld.cli', '--threads', '1', 'train', 'diffusion', '--data', str(tmp_path / 'lat.safetensors'),
           '--out', str(tmp_path / 'run'), '--config', 'tiny', '--steps', '4', '--batch', '8', '--grad-accum', '2',
           '--device', 'cpu', '--quiet']
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)}, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    card = json.loads((tmp_path / 'run' / 'model.json').read_text())['card']
    assert (card['steps'], card['batch'], card['processes'], card['grad_accum']) == (4, 8, 2, 2)
    assert p.stdout.count('exported') == 1                       # one process reports

def test_the_documented_multi_node_command_fine_tunes_on_stems(tmp_path):
    """Two "machines" (two torchrun agents on this one, one process each, meeting at a rendezvous address), training
    from stem folders: the main process encodes them once, the other waits for the file, and one export is made."""
    import soundfile as sf
    from bass_ld.audio import SR, load_audio
    stems = tmp_path / 'stems'
    for k, name in enumerate(['example', 'example2']):
        (stems / f'track{k}').mkdir(parents=True)
        for stem, f in (('bass', 'bass'), ('other', 'mix')):
            sf.write(stems / f'track{k}' / f'{stem}.wav', load_audio(ROOT / 'bass_ld' / 'examples' / f'{name}_{f}.flac').numpy()[:6 * SR], SR)
    port = free_port()
    def node(rank):
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '2', '--node_rank', str(rank), '--nproc_per_node',
               '1', '--master_addr', '127.0.0.1', '--master_port', str(port), '-m', 'bass_ld.cli', '--threads', '1', 'train',
               'diffusion', '--stems', str(stems), '--out', str(tmp_path / 'run'), '--config', 'tiny', '--steps', '4',
               '--batch', '4', '--device', 'cpu', '--quiet']
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'})
    procs = [node(0), node(1)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs[0][1][-2000:] + outs[1][1][-2000:]
    card = json.loads((tmp_path / 'run' / 'model.json').read_text())['card']
    assert (card['steps'], card['processes']) == (4, 2) and 'latents.safetensors: train split, 2 pairs' in card['data']
    assert sum(o.count('exported') for o, _ in outs) == 1                # one process reports, one export
