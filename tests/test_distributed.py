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

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    t = tmp_path_factory.mktemp('ddp')
    return dict(one=single(t / 'one'), two=launch(t / 'two'), two_accum=launch(t / 'two_accum', '--accum', 2),
                no_sync=launch(t / 'no_sync', '--no-sync'), tmp=t)

def test_two_processes_hold_identical_weights_after_every_step(runs):
    rec = runs['two']
    assert rec['world'] == 2 and rec['steps'] == 12
    assert same_weights_every_step(rec)

def test_the_check_fails_without_gradient_synchronisation(runs):
    assert not same_weights_every_step(runs['no_sync'])         # each process then follows its own half

def test_each_process_gets_its_own_share_of_every_batch(runs):
    for key in ('two', 'two_accum'):
        a, b = (r['seen'] for r in runs[key]['processes'])
        k = 2 if key == 'two_accum' else 1
        for s in range(12):                                        # the k micro-batches of each step, per process
            mine = [set(sum((x['idx'] for x in p[s * k:(s + 1) * k]), [])) for p in (a, b)]
            assert not mine[0] & mine[1]                           # no item seen twice
            assert len(mine[0]) == len(mine[1]) == 4               # and every item of the batch of 8 seen once
            assert max(mine[0] | mine[1]) - min(mine[0] | mine[1]) == 7

def test_two_processes_match_one_with_the_same_global_batch(runs):
    one = np.array(runs['one']['weight'] + runs['one']['bias'])
    for key in ('two', 'two_accum'):
        two = np.array(runs[key]['weight'] + runs[key]['bias'])
        assert np.abs(two - one).max() < 1e-5, (key, one, two)     # float sums in another order, nothing more
    assert runs['one']['loss'][-1] < 0.2 * runs['one']['loss'][0]  # and it learns

def test_a_killed_two_process_run_resumes_exactly(runs):
    out = runs['tmp'] / 'killed'
    p = launch(out, '--die-after', 7, check=False)                 # both processes die after step 7 (checkpoint at 4)
    assert not isinstance(p, dict) and p.returncode != 0
    assert (out / 'last.safetensors').exists()
    rec = launch(out)                                              # the same command again
    assert rec['steps'] == 12 and len(rec['processes'][0]['seen']) == 8      # steps 5 .. 12 only
    assert np.abs(np.array(rec['weight']) - np.array(runs['two']['weight'])).max() < 1e-6

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
