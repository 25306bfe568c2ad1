#!/usr/bin/env python3
"""Render README.md from nbs/index.ipynb (nbdev_readme needs quarto, which cannot be installed offline).

Markdown cells are copied; code cells become ```python blocks followed by their text output; cells whose first
line is `#| hide` (or `#| docs`: run only by scripts/docs.py) are left out. A markdown line `<!-- include: PATH -->` (PATH relative to the repository root) is
replaced by that file's text, so tables written by commands (e.g. `bass-ld evaluate`) reach the README untyped.
Images linked as `images/...` (relative to nbs/) are linked as `nbs/images/...` from the repository root.

usage: scripts/readme.py [--check]   (--check: exit 1 if README.md is stale)
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^<!-- include: (\S+) -->$', re.M)

def include(md:str) -> str:
    "Each `<!-- include: PATH -->` line replaced by that file's text."
    return INCLUDE.sub(lambda m: (ROOT / m.group(1)).read_text(encoding='utf-8').strip('\n'), md)

def render(nb_path) -> str:
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    out = ['<!-- generated from nbs/index.ipynb by scripts/readme.py: edit the notebook, not this file -->\n']
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if not src or src.startswith('#| hide') or src.startswith('#| docs'): continue   # docs: the site's only
        if c['cell_type'] == 'markdown': out.append(include(src).replace('](images/', '](nbs/images/') + '\n'); continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
        out.append(f'```python\n{code}\n```\n')
        texts = [''.join(o.get('text', '')) or ''.join(o.get('data', {}).get('text/plain', '')) for o in c.get('outputs', [])]
        text = ''.join(texts).strip('\n')
        if text: out.append(f'```\n{text}\n```\n')
    return '\n'.join(out)

if __name__ == '__main__':
    root = ROOT
    text = render(root / 'nbs' / 'index.ipynb')
    if '--check' in sys.argv:
        ok = (root / 'README.md').read_text(encoding='utf-8') == text
        print('README.md is up to date' if ok else 'README.md is stale: run scripts/readme.py'); sys.exit(0 if ok else 1)
    (root / 'README.md').write_text(text, encoding='utf-8'); print('wrote README.md')
