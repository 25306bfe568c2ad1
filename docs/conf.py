"""Sphinx configuration of the bass_ld documentation site. `scripts/docs.py` builds it (never sphinx-build alone):
it executes the notebooks, prepares them and the API pages in `build/docs_src`, and renders them with this file."""
import inspect, re
from pathlib import Path

project = 'bass_ld'
author = 'the bass_ld developers'
copyright = '2026, the bass_ld developers'
extensions = ['myst_nb', 'sphinx.ext.autodoc']
nb_execution_mode = 'off'           # scripts/docs.py executed (and cached) every notebook already
nb_merge_streams = True
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_heading_anchors = 3
suppress_warnings = ['misc.highlighting_failure', 'myst.header', 'mystnb.unknown_mime_type', 'toc.not_included']
exclude_patterns = ['_build', '**.ipynb_checkpoints']
html_theme = 'sphinx_book_theme'
html_title = 'bass_ld'
html_theme_options = {'show_toc_level': 2, 'navigation_with_keys': False,
                      'use_download_button': False}   # it would offer the sources this site does not carry
html_static_path = []
html_copy_source = False          # the notebooks are in the repository; the site need not carry them twice
html_show_sourcelink = False
autodoc_member_order = 'bysource'
autodoc_typehints = 'signature'
autodoc_default_options = {'members': True, 'undoc-members': True, 'show-inheritance': False}


_CODE = re.compile(r'(?<![`\\])`([^`]+)`(?!`)')


def _markdown_inline(line:str) -> str:
    "Our docstrings are Markdown: `code` becomes reStructuredText's ``code``; a bare | is a character, not a substitution."
    def lit(m):   # a literal right before a letter (`Track`s) needs reST's escaped space after it
        after = m.string[m.end():m.end() + 1]
        return f'``{m.group(1)}``' + ('\\ ' if after.isalnum() else '')
    return _CODE.sub(lit, line.replace('|', '\\|'))


def _docments(app, what, name, obj, options, lines):
    """Append each parameter's docment (the comment beside it in the notebook, which is how the code documents its
    parameters) to the docstring as a field list."""
    lines[:] = _markdown_inline('\n'.join(lines)).split('\n')        # a `code` span may cross a line
    if what not in ('function', 'method', 'class') or not callable(obj): return
    try:
        from fastcore.docments import docments
        target = obj.__init__ if inspect.isclass(obj) else obj
        docs = docments(target, full=False)
    except Exception: return
    fields = [f':param {k}: {_markdown_inline(v)}' for k, v in docs.items() if v and k not in ('self', 'return')]
    if docs.get('return'): fields.append(f":returns: {_markdown_inline(docs['return'])}")
    if fields: lines.extend(['', *fields])


# Math renders offline: MathJax's TeX-to-HTML bundle and its fonts (1.6 MB), taken from the sphinx-mathjax-offline
# package, instead of Sphinx's default CDN address (a reader without a network would see raw TeX).
mathjax_path = 'mathjax/tex-chtml.js'


def _copy_mathjax(app, exc):
    import importlib.util, shutil
    if exc is not None: return
    src = Path(importlib.util.find_spec('sphinx-mathjax-offline').origin).parent / 'static' / 'mathjax'
    dst = Path(app.outdir) / '_static' / 'mathjax'
    (dst / 'output' / 'chtml' / 'fonts').mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / 'tex-chtml.js', dst / 'tex-chtml.js')
    shutil.copytree(src / 'output' / 'chtml' / 'fonts' / 'woff-v2', dst / 'output' / 'chtml' / 'fonts' / 'woff-v2',
                    dirs_exist_ok=True)


def setup(app):
    app.connect('autodoc-process-docstring', _docments)
    app.connect('build-finished', _copy_mathjax)
