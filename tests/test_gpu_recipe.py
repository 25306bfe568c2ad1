"""`scripts/gpu_train.py`, the one-GPU recipe, on its CPU path: it must run where only torch, numpy, safetensors and
accelerate are installed (a lent GPU machine has no audio stack and no package index), fit its steps to the time
budget, and hand back a sharded model that loads."""
import json, os, re, site, subprocess, sys
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
# what a lent GPU machine lacks: the audio stack, the notebook tooling, and this package installed (it runs from the
# checkout, PYTHONPATH=.)
ABSENT = re.compile(r'^(_?soundfile|librosa|fastcore|nbdev|execnb|pretty_midi|music21|torchcrepe|mido|pyloudnorm|'
                    r'matplotlib|mpl_toolkits|ipywidgets|IPython|ipykernel|scipy|sklearn|scikit_learn|torchaudio|numba|'
                    r'llvmlite|pesto|basic_pitch|hypothesis|bass_ld)([-_.].*)?$', re.I)

def bare_site(dst:Path) -> Path:
    "A copy (links) of this environment's site-packages without the packages a GPU machine lacks."
    dst.mkdir()
    for src in site.getsitepackages():
        for n in os.listdir(src):
            if not (n.endswith('.pth') or ABSENT.match(n) or (dst / n).exists()): (dst / n).symlink_to(Path(src) / n)
    return dst

def bare_python(path:Path, *args, **kw):
    "Run Python with only `path` (and the checkout) importable: `-S` leaves this environment's site-packages out."
    env = {**os.environ, 'PYTHONPATH': f'{path}{os.pathsep}{ROOT}', 'OMP_NUM_THREADS': '2'}
    return subprocess.run([sys.executable, '-S', *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300, **kw)

def test_gpu_recipe_cpu_path_without_audio_stack(tmp_path):
    from bass_ld.dataset import save_latents
    from bass_ld.diffusion import Denoiser
    bare = bare_site(tmp_path / 'site')
    for gone in ('soundfile', 'librosa', 'torchaudio', 'scipy', 'fastcore'):     # the environment really lacks them
        assert bare_python(bare, '-c', f'import {gone}').returncode != 0, gone
    g = torch.Generator().manual_seed(0)
    save_latents(tmp_path / 'lat.safetensors',
                 {f'p{i}': dict(mix=torch.randn(8, 20 + i, generator=g), bass=torch.randn(8, 20 + i, generator=g),
                                label=0, split='train' if i < 6 else 'valid') for i in range(8)},
                 meta=dict(frame_rate=5.38))
    r = bare_python(bare, 'scripts/gpu_train.py', '--latents', tmp_path / 'lat.safetensors', '--out', tmp_path / 'run',
                    '--export', tmp_path / 'back', '--config', 'tiny', '--batch', 8, '--minutes', 0.05,
                    '--shard-mb', 0.1, '--device', 'cpu')
    assert r.returncode == 0, r.stderr[-3000:]
    rep = json.loads((tmp_path / 'back' / 'throughput.json').read_text())
    assert rep['done'] and rep['steps'] == rep['planned_steps'] >= 10 and rep['steps_per_s'] > 0
    assert rep['train_seconds'] <= 2 * 60 * 0.05 + 5                          # the steps were sized to the budget
    info = json.loads((tmp_path / 'back' / 'model.json').read_text())
    assert len(info['shards']) > 1 and info['card']['steps'] == rep['steps']
    sizes = [(tmp_path / 'back' / n).stat().st_size for n in info['shards']]
    assert max(sizes) <= 0.1e6 + 4096                                         # a shard: its limit plus a header
    back, run = Denoiser.from_pretrained(tmp_path / 'back', device='cpu'), Denoiser.from_pretrained(tmp_path / 'run', device='cpu')
    assert all(torch.equal(v, run.state_dict()[k]) for k, v in back.state_dict().items())

def test_pack_latents_round_trip_without_audio_stack(tmp_path):
    "The packed file that travels: train/valid only, conditions within 1/510 of each channel's range, targets exact."
    from bass_ld.dataset import read_latents, save_latents
    bare = bare_site(tmp_path / 'site')
    g = torch.Generator().manual_seed(0)
    lat = {f'p{i}': dict(mix=3 * torch.randn(8, 30, generator=g), mix_features=torch.rand(4, 30, generator=g),
                         bass=torch.randn(6, 30, generator=g), notes=torch.randint(0, 3, (5, 30), generator=g) * 1.5,
                         label=i % 2, split=['train', 'valid', 'test'][i % 3]) for i in range(9)}
    save_latents(tmp_path / 'lat.safetensors', lat, meta=dict(frame_rate=5.38, note='kept'))
    r = bare_python(bare, 'scripts/pack_latents.py', 'pack', tmp_path / 'lat.safetensors', tmp_path / 'lat.xz')
    assert r.returncode == 0, r.stderr[-3000:]
    r = bare_python(bare, 'scripts/pack_latents.py', 'unpack', tmp_path / 'lat.xz', tmp_path / 'back.safetensors')
    assert r.returncode == 0, r.stderr[-3000:]
    index, meta, z = read_latents(tmp_path / 'back.safetensors', names=None)
    _, meta0, z0 = read_latents(tmp_path / 'lat.safetensors', names=None)
    assert meta == meta0 and sorted(index) == sorted(k for k, v in lat.items() if v['split'] != 'test')
    for k in index:
        assert index[k] == dict(label=lat[k]['label'], split=lat[k]['split'])
        for n in ('bass', 'notes'): assert torch.equal(z[k][n], z0[k][n])          # what the model learns: exact
        for n in ('mix', 'mix_features'):
            x = z0[k][n].float()
            err = (z[k][n].float() - x).abs().amax(-1)
            assert bool((err <= (x.amax(-1) - x.amin(-1)) / 510 + 2e-3).all()), n   # 8-bit codes (+ fp16 rounding)
    r = bare_python(bare, 'scripts/pack_latents.py', 'unpack', tmp_path / 'lat.safetensors', tmp_path / 'x.safetensors')
    assert r.returncode != 0 and 'not a packed latent file' in r.stderr and not (tmp_path / 'x.safetensors').exists()
