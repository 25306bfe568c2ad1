#!/usr/bin/env python
"""Compile librosa's numba functions once, in one process, so that test workers running in parallel only read them.

librosa caches its numba-compiled functions (onset peak picking, local maxima, the Viterbi decoder under pYIN, the
beat tracker) in its own package folder on first use. When several fresh processes compile the same function at
once, the cache index can end up pointing at an entry another process is still writing, and every later process that
loads it dies of a segmentation fault (seen on a clean clone, 2 workers: nine notebooks). Compiling here first, for
the input types the library passes (float32 and float64), leaves the parallel runs nothing to write.

    python scripts/warm_caches.py
"""
import time
import numpy as np
import librosa

t0, sr = time.time(), 22050
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    t = np.arange(2 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 110 * t) * (np.sin(2 * np.pi * 2 * t) > 0) + 0.01 * rng.standard_normal(len(t)))
    y = y.astype(dtype)
    env = librosa.onset.onset_strength(y=y, sr=sr)
    librosa.onset.onset_detect(onset_envelope=env, sr=sr)
    librosa.util.peak_pick(env, pre_max=3, post_max=3, pre_avg=3, post_avg=5, delta=0.1, wait=10)
    librosa.util.localmax(env)
    librosa.beat.beat_track(onset_envelope=env, sr=sr)
    librosa.pyin(y, fmin=30, fmax=400, sr=sr, frame_length=2048)
print(f'librosa numba cache warm ({time.time() - t0:.1f} s)')
