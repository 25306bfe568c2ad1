import os, sys, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='session')
def bass_ld_cmd():
    "The installed console script (next to this interpreter), so tests run the real entry point."
    exe = Path(sys.executable).with_name('bass-ld')
    return [str(exe)] if exe.exists() else [sys.executable, '-m', 'bass_ld.cli']

# The slowest tests first (`pytest -n 2 --durations=30` on 2 cores): pytest-xdist hands tests out in collection order,
# so a slow test collected last keeps one worker busy after the other has run out of work. A module on one worker
# (`xdist_group`) counts as one long test.
SLOW_FIRST = ('test_evaluate_cli.py', 'test_distributed.py::test_two_processes_train_as_one',
              'test_docs.py::test_site_in_a_browser', 'test_diffusion_cli.py::test_training_killed_mid_run',
              'test_gpu_recipe.py::test_gpu_recipe_cpu_path', 'test_codec_cli.py::test_codec_train_encode_generate')

def pytest_collection_modifyitems(session, config, items):
    rank = lambda item: next((i for i, k in enumerate(SLOW_FIRST) if k in item.nodeid), len(SLOW_FIRST))
    items.sort(key=rank)                                               # stable: the others keep their order
