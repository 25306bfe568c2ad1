#!/usr/bin/env bash
# Set up bass_ld in ./.venv: system FluidSynth and mma (Debian packages, when missing), then the package itself.
#   scripts/setup.sh        runtime install (enough for `bass-ld demo`)
#   scripts/setup.sh dev    also the test tools
# Safe to run again: it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=""; [ "${1:-}" = "dev" ] && extra="[dev]"

py=""
for c in python3.11 python3.12 python3.10 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(not (3,10) <= sys.version_info[:2] < (3,13))'; then py=$c; break; fi
done
[ -n "$py" ] || { echo "bass_ld needs Python 3.10-3.12 on the PATH: install one (e.g. apt-get install python3.11 python3.11-venv) and run this again." >&2; exit 1; }

have_fluidsynth() { ldconfig -p 2>/dev/null | grep -q 'libfluidsynth\.so'; }
need=""
{ have_fluidsynth && [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; } || need="libfluidsynth3 fluid-soundfont-gm"
command -v mma >/dev/null 2>&1 || need="$need mma"
# dev: the documentation test reads the built site in a headless Chromium
[ -n "$extra" ] && ! command -v chromium >/dev/null 2>&1 && need="$need chromium"
if [ -n "$need" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian packages:$need (FluidSynth and its GM SoundFont render the data; mma arranges grooves; chromium reads the docs in the dev tests)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  elif ! have_fluidsynth; then
    echo "bass_ld renders its training data with FluidSynth: install libfluidsynth (Debian: apt-get install libfluidsynth3 fluid-soundfont-gm) and run this again." >&2
    exit 1
  else
    case "$need" in *chromium*) echo "note: 'chromium' is not installed (Debian: apt-get install chromium); the documentation's browser test is skipped." >&2;; esac
    case "$need" in *mma*) echo "note: 'mma' is not installed (Debian: apt-get install mma); \`bass-ld dataset\` will build the corpus source only and its tests are skipped." >&2;; esac
  fi
fi

[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=".venv/.bass_ld-installed$extra"
want=$(cat settings.ini setup.py | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing bass_ld$extra into .venv (torch is large: a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  echo "$want" > "$stamp"
fi
echo "== ready: .venv/bin/bass-ld"
