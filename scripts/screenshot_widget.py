#!/usr/bin/env python
"""Screenshot of the widget app (nbs/14_widgets) as it looks in JupyterLab, for the docs. Not a test.

Starts JupyterLab (no token, a free local port) on a scratch notebook that builds `BassApp`, generates once with
the bundled example and its defaults, and displays the app; then a headless Chromium, driven by Playwright, runs
the notebook and saves the rendered app to `nbs/images/widget_app.png`. Needs a Chromium (`apt-get install
chromium`) and Playwright in any Python (`pip install playwright`; its own browser download is not used):

    /path/to/python-with-playwright scripts/screenshot_widget.py [--jupyter .venv/bin/jupyter] [--out nbs/images/widget_app.png]
"""
import argparse, json, os, socket, subprocess, tempfile, time, urllib.request
from pathlib import Path

CELLS = ["import torch; torch.set_num_threads(2)\nfrom bass_ld.widgets import BassApp\napp = BassApp(device='cpu')\n"
         "r = app.generate()\napp"]

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--jupyter', default='.venv/bin/jupyter'); ap.add_argument('--out', default='nbs/images/widget_app.png')
    ap.add_argument('--chromium', default='/usr/bin/chromium'); ap.add_argument('--timeout', type=float, default=300)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    repo, out = Path(__file__).resolve().parent.parent, Path(a.out).resolve()
    work, port = Path(tempfile.mkdtemp(prefix='bass_ld_shot_')), free_port()
    nb = dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
              cells=[dict(cell_type='code', id=f'c{i}', metadata={}, execution_count=None, outputs=[], source=c) for i, c in enumerate(CELLS)])
    (work / 'app.ipynb').write_text(json.dumps(nb))
    env = dict(os.environ, PYTHONPATH=str(repo))
    lab = subprocess.Popen([str(Path(a.jupyter).resolve()), 'lab', '--no-browser', f'--port={port}', '--allow-root',
                            '--ServerApp.token=', '--ServerApp.password=', '--ServerApp.disable_check_xsrf=True',
                            f'--ServerApp.root_dir={work}'], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f'http://127.0.0.1:{port}'
        for _ in range(120):
            try: urllib.request.urlopen(url + '/api'); break
            except OSError: time.sleep(0.5)
        with sync_playwright() as p:
            br = p.chromium.launch(executable_path=a.chromium, args=['--no-sandbox'])
            page = br.new_page(viewport=dict(width=1100, height=1400))
            page.goto(url + '/lab/tree/app.ipynb', timeout=a.timeout * 1000)
            page.wait_for_selector('.jp-Notebook', timeout=a.timeout * 1000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=a.timeout * 1000)
            page.locator('.jp-Cell').first.click()
            page.keyboard.press('Shift+Enter')
            app = page.locator('.jp-OutputArea-output .widget-vbox').first
            app.wait_for(state='visible', timeout=a.timeout * 1000)
            page.wait_for_selector('.jp-OutputArea-output .widget-vbox img', timeout=a.timeout * 1000)
            time.sleep(2)
            out.parent.mkdir(parents=True, exist_ok=True)
            app.screenshot(path=str(out))
            br.close()
        print('wrote', out)
    finally:
        lab.terminate(); lab.wait(10)

if __name__ == '__main__':
    main()
