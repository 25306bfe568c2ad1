"""The documentation site, built by `scripts/docs.py` (the landing page, one notebook and the API reference) and read
in a real browser: headless Chromium (Debian's) driven by Playwright."""
import functools, http.server, importlib, shutil, socket, subprocess, sys, threading
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
sys.path.insert(0, str(ROOT / 'scripts'))
import docs  # noqa: E402

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason='needs Chromium (Debian: apt-get install chromium)')

# every <audio> of the page: its source fetched and decoded by the browser's own decoder; the seconds of each
DECODED = """async () => {
  const out = [];
  for (const a of document.querySelectorAll('audio')) {
    const buf = await (await fetch(a.src)).arrayBuffer();
    const audio = await new OfflineAudioContext(1, 1, 22050).decodeAudioData(buf);
    out.push(audio.duration);
  }
  return out;
}"""


def build(tmp_path):
    "The landing page, 01_audio and the API reference, served on a free local port."
    out = tmp_path / 'site'
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'docs.py'), '--only', '01_audio', '--out', str(out)],
                       capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return out, f'http://127.0.0.1:{port}', server


def test_site_in_a_browser(tmp_path):
    "One test, so that one pytest worker builds the site (the build folder is shared)."
    from playwright.sync_api import sync_playwright
    out, url, server = build(tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
            page = browser.new_page()
            pages_render_with_figures_and_audio_that_plays(out, url, page)
            api_reference_lists_every_public_name_with_its_parameters(out, url, page)
            search_finds_grounding_and_no_link_is_broken(out, url, page)
            browser.close()
    finally:
        server.shutdown()


def pages_render_with_figures_and_audio_that_plays(out, url, page):
    page.goto(f'{url}/index.html')
    assert 'bass_ld' in page.title() and page.locator('h1').first.inner_text().strip().startswith('bass_ld')
    assert 'Quickstart' in page.inner_text('main')
    seconds = page.evaluate(DECODED)                      # the demo: mix, mix + bass, mix + styled bass
    assert len(seconds) == 3 and all(7.5 < s <= 8.1 for s in seconds), seconds
    page.goto(f'{url}/01_audio.html')
    seconds = page.evaluate(DECODED)
    assert len(seconds) >= 1 and all(s > 0.2 for s in seconds)
    figures = page.evaluate("() => [...document.querySelectorAll('main img')].map(i => [i.complete, i.naturalWidth])")
    assert any(ok and w > 100 for ok, w in figures), figures     # at least one figure, loaded
    api = page.locator('a[href*="api/audio"]')                  # the page links its module's API reference
    assert api.count() >= 1


def api_reference_lists_every_public_name_with_its_parameters(out, url, page):
    page.goto(f'{url}/api/pipeline.html')
    gen = page.locator('[id="bass_ld.pipeline.BassGenerator.generate"]')
    assert gen.count() == 1
    entry = gen.locator('xpath=..').inner_text()                # the signature and its parameter list
    for p in ('mix', 'sr', 'style', 'config', 'variations', 'keep', 'regions'): assert p in entry
    assert 'every sampling setting' in entry                    # a docment, not just the name
    missing = []
    for m in sorted(p.stem for p in (ROOT / 'bass_ld').glob('*.py') if not p.stem.startswith('_')):
        html = (out / 'api' / f'{m}.html').read_text(encoding='utf-8')
        missing += [f'{m}.{n}' for n in importlib.import_module(f'bass_ld.{m}').__all__
                    if f'id="bass_ld.{m}.{n}"' not in html]
    assert missing == []


def search_finds_grounding_and_no_link_is_broken(out, url, page):
    page.goto(f'{url}/search.html?q=grounding')
    page.wait_for_selector('#search-results ul.search li', timeout=30_000)
    hits = page.locator('#search-results ul.search li a').all_inner_texts()
    assert any('grounding' in h.lower() for h in hits), hits
    assert docs.broken_links(out) == []


def test_docs_command_refuses_bad_options(capsys):
    assert docs.main(['--only', 'no_such_notebook']) == 2
    assert docs.main(['--clip', '0']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['docs: no notebook named no_such_notebook in nbs/', 'docs: --clip must be a number of seconds above 0, not 0.0']
