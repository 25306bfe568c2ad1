import os, sys, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='session')
def bass_ld_cmd():
    "The installed console script (next to this interpreter), so tests run the real entry point."
    exe = Path(sys.executable).with_name('bass-ld')
    return [str(exe)] if exe.exists() else [sys.executable, '-m', 'bass_ld.cli']
