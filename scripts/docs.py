#!/usr/bin/env python
"""Build the documentation site offline: every notebook executed, with its figures, tables and audio players, an API
reference from the exported code's docstrings and docments, and full-text search (Sphinx + myst-nb).

    .venv/bin/python scripts/docs.py                  # the whole site into _docs/ (open _docs/index.html)
    .venv/bin/python scripts/docs.py --only 01_audio  # the landing page, these notebooks and the API reference

Notebooks run in `nbs/` (as `nbdev_test` runs them; cells flagged `slow`/`gpu` or `eval: false` are shown, not run;
cells flagged `docs` run only here) and are cached in `build/docs_cache` under a hash of the notebook and of what it
reads (the library, its weights' cards, `nbs/results`): an unchanged notebook is not run again. Embedded audio is
cut to `--clip` seconds and stored as MP3, so the site stays small. The built site is not committed.
"""
import argparse, base64, hashlib, io, logging, os, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme import include  # noqa: E402  (the README's <!-- include: PATH --> lines, filled the same way)

ROOT = Path(__file__).resolve().parent.parent
NBS, BUILD = ROOT / 'nbs', ROOT / 'build'
SRC, CACHE = BUILD / 'docs_src', BUILD / 'docs_cache'
SKIP = {'slow', 'gpu', 'eval: false'}          # settings.ini's tst_flags (but `docs`) and nbdev's eval: false
AUDIO = re.compile(r"data:audio/wav;base64,([A-Za-z0-9+/=]+)")


def directives(src:str) -> list[str]:
    "The `#| ...` lines at the top of a cell, without the marker."
    out = []
    for line in src.splitlines():
        if not line.startswith('#|'): break
        out.append(line[2:].strip())
    return out


def tree_hash() -> str:
    "What every notebook's outputs depend on besides itself: the library, the weights' cards, the committed results."
    h = hashlib.sha1()
    files = [*sorted((ROOT / 'bass_ld').rglob('*.py')), *sorted((ROOT / 'bass_ld' / 'weights').glob('*.json')),
             *sorted(p for p in (NBS / 'results').rglob('*') if p.is_file())]
    for p in files: h.update(p.relative_to(ROOT).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def clip_audio(html:str, seconds:float) -> str:
    """Every embedded WAV player's audio cut to `seconds` and re-encoded as MP3 (libsndfile's encoder, ~53 kb/s at
    22.05 kHz: a sixth of the WAV's bytes; every browser plays it)."""
    import soundfile as sf
    def one(m):
        x, sr = sf.read(io.BytesIO(base64.b64decode(m.group(1))), dtype='float32')
        buf = io.BytesIO()
        sf.write(buf, x[:int(seconds * sr)], sr, format='MP3', subtype='MPEG_LAYER_III')
        return 'data:audio/mpeg;base64,' + base64.b64encode(buf.getvalue()).decode()
    return AUDIO.sub(one, html)


def execute(nb_path:Path, out:Path, clip:float, threads:int, timeout:int) -> tuple[str, float, str]:
    "Run one notebook in nbs/ and write it, executed, to `out`; returns (name, seconds, error or '')."
    import nbformat
    from nbclient import NotebookClient
    t = time.time()
    nb = nbformat.read(nb_path, as_version=4)
    held = {}
    for i, c in enumerate(nb.cells):                  # shown, not run: flagged cells
        if c.cell_type == 'code' and SKIP & set(directives(c.source)): held[i], c.source = c.source, ''
    # figures inline (as in Jupyter; a test runner's Agg would draw them nowhere)
    os.environ.update(MPLBACKEND='module://matplotlib_inline.backend_inline', OMP_NUM_THREADS=str(threads),
                      PYTHONHASHSEED='0')
    try:
        # widget state is left out: the app's live widgets embed every audio buffer they hold (8 MB for 14_widgets)
        # and cannot run without a kernel anyway; their pages show the screenshot and the text outputs
        NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(NBS)}},
                       store_widget_state=False).execute()
        nb.metadata.pop('widgets', None)
    except Exception as e:
        last = [l for l in str(e).strip().splitlines() if l.strip()]
        return nb_path.stem, time.time() - t, (last[-1] if last else type(e).__name__)[:300]
    for i, src in held.items(): nb.cells[i].source, nb.cells[i].outputs = src, []
    for c in nb.cells:
        for o in c.get('outputs', []):
            html = o.get('data', {}).get('text/html')
            if html: o['data']['text/html'] = clip_audio(''.join(html) if isinstance(html, list) else html, clip)
    tmp = out.with_suffix('.tmp')
    nbformat.write(nb, tmp)
    tmp.replace(out)                                  # whole or not at all
    return nb_path.stem, time.time() - t, ''


def module_of(nb) -> str | None:
    for c in nb.cells:
        for d in directives(c.source) if c.cell_type == 'code' else []:
            if d.startswith('default_exp'): return d.split()[1]
    return None


def prepare(nb, name:str, modules:dict, pages:list[str]):
    """The executed notebook as a page: nbdev directives become myst-nb cell tags (`hide`: the whole cell left out;
    `echo: false`: only its output shown) and leave the code; includes are filled in; a link to the module's API."""
    import nbformat
    cells = []
    for c in nb.cells:
        if c.cell_type == 'markdown':
            c.source = include(c.source)
        elif c.cell_type == 'code':
            ds = directives(c.source)
            tags = set(c.metadata.get('tags', []))
            if 'hide' in ds or any(d.startswith('default_exp') for d in ds) and len(c.source.splitlines()) == len(ds):
                tags.add('remove-cell')
            if 'echo: false' in ds: tags.add('remove-input')
            c.source = '\n'.join(c.source.splitlines()[len(ds):]).strip('\n')
            if not c.source and not c.get('outputs'): continue
            c.metadata['tags'] = sorted(tags)
        cells.append(c)
    mod = modules.get(name)
    if mod:
        link = nbformat.v4.new_markdown_cell(f'*Exported to* [`bass_ld.{mod}`](api/{mod}.md) *(API reference).*')
        cells.insert(1, link)
    if name == 'index':
        toc = '\n'.join(p for p in pages if p != 'index')
        cells.append(nbformat.v4.new_markdown_cell(f'```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\napi/index\n```'))
    nb.cells = cells
    return nb


def data_entries(m:str) -> str:
    """reST entries for the module's public constants (autodoc documents its functions and classes): the value when it
    is short, and the comment beside the definition."""
    import importlib, inspect
    mod = importlib.import_module(f'bass_ld.{m}')
    src = (ROOT / 'bass_ld' / f'{m}.py').read_text(encoding='utf-8').splitlines()
    out = []
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj): continue
        line = next((l for l in src if re.match(rf'{re.escape(name)}\s*(:[^=]*)?=', l)), '')
        note = line.split('  # ', 1)[1].strip() if '  # ' in line else ''
        value = f'logging.getLogger({obj.name!r})' if isinstance(obj, logging.Logger) else repr(obj)
        out.append(f'.. py:data:: {name}\n   :module: bass_ld.{m}\n'
                   + (f'   :value: {value}\n' if len(value) <= 70 and '\n' not in value else '')
                   + (f'\n   {note}\n' if note else '') + '\n')
    return ''.join(out)


def api_pages(modules:dict, pages:list[str]):
    "One page per exported module (`automodule`: every name in its `__all__`), linked back to its notebook."
    (SRC / 'api').mkdir(parents=True, exist_ok=True)
    names = sorted(p.stem for p in (ROOT / 'bass_ld').glob('*.py') if not p.stem.startswith('_'))
    nb_of = {m: n for n, m in modules.items()}
    for m in names:
        back = f"Defined and taught in [{nb_of[m]}](../{nb_of[m]}.ipynb).\n\n" if nb_of.get(m) in pages else ''
        (SRC / 'api' / f'{m}.md').write_text(f'# bass_ld.{m}\n\n{back}```{{eval-rst}}\n.. automodule:: bass_ld.{m}\n\n'
                                             + data_entries(m) + '```\n')
    (SRC / 'api' / 'index.md').write_text('# API reference\n\nEvery public name of every exported module, with its '
                                          'parameters.\n\n```{toctree}\n:maxdepth: 1\n\n' + '\n'.join(names) + '\n```\n')


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        for k in ('href', 'src'):
            if a.get(k) and tag in ('a', 'img', 'link', 'script'): self.links.append(a[k])


def broken_links(site:Path) -> list[str]:
    "Internal links (pages, anchors, images, scripts) of the built site that point at nothing: 'page -> link'."
    parsed = {}
    for p in site.rglob('*.html'):
        if p.relative_to(site).parts[0] == '_static': continue       # the theme's templates, not pages
        h = _Links()
        h.feed(p.read_text(encoding='utf-8', errors='replace'))
        parsed[p.resolve()] = h
    bad = []
    for p, h in parsed.items():
        for link in h.links:
            u = urlsplit(link)
            if u.scheme or u.netloc or link.startswith(('data:', 'mailto:', 'javascript:')): continue
            target = (p.parent / unquote(u.path)).resolve() if u.path else p
            if target.is_dir(): target = target / 'index.html'
            if not target.exists(): bad.append(f'{p.relative_to(site.resolve())} -> {link}')
            elif u.fragment and target.suffix == '.html' and target in parsed and u.fragment not in parsed[target].ids:
                bad.append(f'{p.relative_to(site.resolve())} -> {link}')
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT / '_docs'), help='the site (default: _docs/)')
    ap.add_argument('--only', nargs='*', default=None, help='notebook names: build the landing page and these only')
    ap.add_argument('--jobs', type=int, default=max(1, min(2, os.cpu_count() or 1)), help='notebooks run at once')
    ap.add_argument('--clip', type=float, default=8.0, help='seconds of audio kept per player (default 8)')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds a notebook cell may take')
    a = ap.parse_args(argv)
    if not a.clip > 0: return print(f'docs: --clip must be a number of seconds above 0, not {a.clip}', file=sys.stderr) or 2
    t0 = time.time()
    every = sorted(p.stem for p in NBS.glob('*.ipynb'))
    if a.only is not None and (unknown := sorted(set(a.only) - set(every))):
        return print(f"docs: no notebook named {', '.join(unknown)} in nbs/", file=sys.stderr) or 2
    pages = ['index', *[n for n in every if n != 'index' and (a.only is None or n in a.only)]]
    CACHE.mkdir(parents=True, exist_ok=True)
    th = tree_hash()
    todo, cached = [], {}
    for n in pages:
        made = th.encode() + Path(__file__).read_bytes() + f'{a.clip}'.encode()     # and how this script runs them
        key = hashlib.sha1((NBS / f'{n}.ipynb').read_bytes() + made).hexdigest()[:16]
        cached[n] = CACHE / f'{n}-{key}.ipynb'
        if not cached[n].exists(): todo.append(n)
    print(f'docs: {len(pages)} pages, {len(pages) - len(todo)} from the cache, {len(todo)} to run', flush=True)
    threads = max(1, (os.cpu_count() or 2) // a.jobs)
    with ProcessPoolExecutor(a.jobs) as ex:
        runs = [ex.submit(execute, NBS / f'{n}.ipynb', cached[n], a.clip, threads, a.timeout) for n in todo]
        failed = []
        for r in runs:
            name, secs, err = r.result()
            print(f"  {'ok  ' if not err else 'FAIL'} {name}: {secs:.0f} s{'  ' + err if err else ''}", flush=True)
            if err: failed.append(name)
    if failed: return print(f"docs: notebook(s) failed: {', '.join(failed)}", file=sys.stderr) or 1
    for old in CACHE.glob('*.ipynb'):                 # keep one version of each notebook
        if old.stem.rsplit('-', 1)[0] in pages and old not in cached.values(): old.unlink()
    import nbformat
    shutil.rmtree(SRC, ignore_errors=True)
    SRC.mkdir(parents=True)
    shutil.copytree(NBS / 'images', SRC / 'images')
    nbs = {n: nbformat.read(cached[n], as_version=4) for n in pages}
    modules = {n: m for n, nb in nbs.items() if (m := module_of(nb))}
    for n, nb in nbs.items(): nbformat.write(prepare(nb, n, modules, pages), SRC / f'{n}.ipynb')
    api_pages(modules, pages)
    from sphinx.cmd.build import build_main
    out = Path(a.out).resolve()
    tmp = BUILD / 'html'                              # (myst-nb writes its jupyter_execute/ beside the build folder)
    shutil.rmtree(tmp, ignore_errors=True)
    if build_main(['-b', 'html', '-q', '-c', str(ROOT / 'docs'), '-d', str(BUILD / 'doctrees'), str(SRC), str(tmp)]):
        return print('docs: sphinx-build failed (its messages are above)', file=sys.stderr) or 1
    shutil.rmtree(out, ignore_errors=True)           # the old site stays until the new one is whole
    shutil.move(str(tmp), str(out))
    size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file())
    print(f'docs: {out}/index.html — {len(pages)} pages + API reference, {size / 1e6:.1f} MB, {time.time() - t0:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
