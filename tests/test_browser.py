"""What a reader sees, in headless Chromium (selenium with the system chromedriver, nothing downloaded):
`outputs/index.html` of the tiny demo suite fits 800 and 1280 px windows with the model and UAR columns in view and
its report links resolve; an evaluate report's "Show code" button shows and hides the code; the docs tutorial's
plotly figures are drawn with data from the site's own plotly.js; JupyterLab opens the explorer tutorial, runs all
its cells on the suite and no output is an error; the built docs pages (download, reports) fit 800 and 1280 px windows with
every stage name on one line.
Skipped where no browser is installed (`apt-get install chromium chromium-driver`; `.ci/run` tries)."""
import os
import shutil
import signal
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser
CHROMEDRIVER = Path('/usr/bin/chromedriver')


def chromium():
    """The Chromium executable, or None."""
    return next((p for p in map(shutil.which, ('chromium', 'chromium-browser')) if p), None)


@pytest.fixture(scope='module')
def browser():
    """A headless Chromium driven through the system chromedriver (skip when either is missing)."""
    webdriver = pytest.importorskip('selenium.webdriver', reason='selenium is not installed: pip install -e ".[dev]"')
    if not CHROMEDRIVER.is_file() or chromium() is None:
        pytest.skip(f'no browser: {CHROMEDRIVER} or chromium missing (apt-get install chromium chromium-driver)')
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium()
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars'):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield d
    d.quit()


def local_path(url):
    """The file a file:// URL names."""
    return Path(unquote(urlparse(url).path))


@pytest.mark.parametrize('width', [800, 1280])
def test_index_fits_the_window_and_links_resolve(browser, suite, width):
    root, _ = suite
    browser.set_window_size(width, 1000)
    browser.get((root.parents[1] / 'index.html').as_uri())
    inner, scroll = browser.execute_script('return [window.innerWidth, document.documentElement.scrollWidth]')
    assert scroll <= inner, f'index.html is {scroll} px wide in a {inner} px window'
    # the model and UAR columns of every leaderboard table are in view
    heads = browser.find_elements('xpath', '//th[.="model" or .="UAR"]')
    assert len(heads) >= 4, [h.text for h in heads]
    assert all(0 <= h.rect['x'] and h.rect['x'] + h.rect['width'] <= inner for h in heads)
    links = [a.get_attribute('href') for a in browser.find_elements('css selector', 'a[href]')]
    assert any(u.endswith('/audio/evaluate.html') for u in links) and any(u.endswith('/compare/compare.html') for u in links)
    assert [u for u in links if not local_path(u).is_file()] == []


def test_evaluate_report_show_code_toggles(browser, suite):
    root, _ = suite
    browser.set_window_size(1280, 1000)
    browser.get((root / 'audio' / 'evaluate.html').as_uri())
    code = browser.find_elements('css selector', '.ssb-code')
    label = browser.find_element('css selector', 'label[for=ssb-show-code]')
    assert code and not any(c.is_displayed() for c in code) and label.text == 'Show code'
    label.click()
    assert all(c.is_displayed() for c in code) and label.text == 'Hide code'
    label.click()
    assert not any(c.is_displayed() for c in code) and label.text == 'Show code'


# ---- the docs tutorial's figures (site/ from `make docs`, else a one-page build of the tutorial) ----

def tutorial_page(tmp_path_factory):
    """site/tutorials/explore.html when `make docs` built it after the notebook last changed, else a one-page mkdocs
    build of the tutorial (the site's theme, hooks and offline plotly.js) in a temporary folder."""
    import json
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    nb, built = root / 'nbs' / 'tutorials' / 'explore.ipynb', root / 'site' / 'tutorials' / 'explore.html'
    if built.is_file() and built.stat().st_mtime > nb.stat().st_mtime:
        return built
    sys.path.insert(0, str(root / 'scripts'))
    import build_docs
    import yaml
    from nbdev import serve_drv
    from nbdev.serve import _proc_file
    d = tmp_path_factory.mktemp('docs')
    job = _proc_file(nb, cache=d / 'proc', path=root / 'nbs')     # nbdev's processing of this one notebook, as `make docs`
    serve_drv.main(job)
    build_docs.DOC_URL = build_docs.doc_url(build_docs.get_config())
    page, _ = build_docs.page_notebook(json.loads(job[1].read_text(encoding='utf-8')), '../')
    (d / 'docs' / 'tutorials').mkdir(parents=True)
    (d / 'docs' / 'tutorials' / 'explore.ipynb').write_text(json.dumps(page), encoding='utf-8')
    (d / 'docs' / 'ssb.css').write_text((root / 'scripts' / 'docs.css').read_text(encoding='utf-8'))
    cfg = yaml.safe_load((root / 'mkdocs.yml').read_text(encoding='utf-8'))
    cfg.update(docs_dir=str(d / 'docs'), site_dir=str(d / 'site'), hooks=[str(root / 'scripts' / 'docs_hooks.py')],
               nav=[{'Explore': 'tutorials/explore.ipynb'}], validation={'links': {'not_found': 'info'}})
    cfg['plugins'][1]['mkdocs-jupyter']['cache_dir'] = str(d / 'cache')
    (d / 'mkdocs.yml').write_text(yaml.safe_dump(cfg), encoding='utf-8')
    r = subprocess.run([str(Path(sys.executable).parent / 'mkdocs'), 'build', '-q', '-f', str(d / 'mkdocs.yml')],
                       capture_output=True, text=True, timeout=600, env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return d / 'site' / 'tutorials' / 'explore.html'


def test_docs_tutorial_plotly_figures_have_data(browser, tmp_path_factory):
    page = tutorial_page(tmp_path_factory)
    browser.set_window_size(1280, 1000)
    browser.get(page.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait
    figs = browser.find_elements('css selector', '.plotly-graph-div')
    assert figs, f'{page} has no plotly figure'
    # plotly.js (the site's own copy: no network) has drawn each figure: traces with data, and an SVG plot
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')].every(g => g._fullData && g.querySelector('.main-svg'))"))
    counts = browser.execute_script("""return [...document.querySelectorAll('.plotly-graph-div')].map(g => g._fullData.map(
        t => ['x', 'y', 'z', 'values'].reduce((n, k) => n + (t[k] ? t[k].length : 0), 0)))""")
    assert all(c and all(n > 0 for n in c) for c in counts), counts
    assert not browser.execute_script("return [...document.scripts].some(s => /^https?:/.test(s.getAttribute('src') || ''))")


@pytest.mark.parametrize('width', [800, 1280])
def test_docs_pages_fit_the_window_and_keep_stage_names_whole(browser, width):
    """The download page (its test server code once overflowed) and the reports page fit the window; every stage name
    of the reports table is drawn on one line (docs-check can only read the CSS that says so). Needs `make docs`."""
    site = Path(__file__).resolve().parents[1] / 'site'
    if not (site / 'reports.html').is_file():
        pytest.skip(f'{site} not built: `make docs` first')
    browser.set_window_size(width, 1000)
    for page in ('download.html', 'reports.html'):
        browser.get((site / page).as_uri())
        inner, scroll = browser.execute_script('return [window.innerWidth, document.documentElement.scrollWidth]')
        assert scroll <= inner, f'{page} is {scroll} px wide in a {inner} px window'
    lines = browser.execute_script("return [...document.querySelectorAll('code.ssb-stage')].map(c => [c.textContent, "
                                   "c.getClientRects().length])")
    assert len(lines) >= 10 and [n for n in lines if n[1] != 1] == [], lines


# ---- JupyterLab runs the explorer tutorial on a real suite ----

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get_json(url, timeout=5):
    import json
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def lab_run_all(browser, nb_path, timeout=600):
    """Open `nb_path` in a JupyterLab started on a free port with a token, run all cells from the Run menu, save it
    every few seconds and return the saved notebook once every code cell has run and the kernel is idle, or as soon
    as an output is an error. The server is stopped in any case."""
    import json
    import secrets
    import subprocess
    import sys
    import time
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    port, token = free_port(), secrets.token_hex(16)
    api = f'http://127.0.0.1:{port}/api'
    log = nb_path.parent / 'jupyterlab.log'
    with open(log, 'w') as out:
        cmd = [str(Path(sys.executable).parent / 'jupyter'), 'lab', '--no-browser', f'--port={port}', '--ServerApp.ip=127.0.0.1',
               f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={nb_path.parent}', '--LabApp.news_url=']
        cmd += ['--allow-root'] if os.geteuid() == 0 else []     # CI containers run as root
        server = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, 'SSB_PROGRESS': '0'},
                                  start_new_session=True)
    try:
        t_end = time.time() + 60
        while True:
            try:
                get_json(f'{api}/status?token={token}')
                break
            except OSError:
                assert server.poll() is None and time.time() < t_end, 'JupyterLab did not start:\n' + log.read_text()[-3000:]
                time.sleep(1)
        browser.set_window_size(1280, 1000)
        browser.get(f'http://127.0.0.1:{port}/lab/tree/{nb_path.name}?token={token}')
        wait = WebDriverWait(browser, 120)
        wait.until(lambda d: d.execute_script("return document.querySelector('.jp-Notebook .jp-Cell') !== null"))
        wait.until(lambda d: [k for k in get_json(f'{api}/kernels?token={token}') if k['execution_state'] == 'idle'])
        menu = wait.until(lambda d: [e for e in d.find_elements('css selector', '.lm-MenuBar-itemLabel') if e.text == 'Run'])
        menu[0].click()
        item = wait.until(lambda d: [e for e in d.find_elements('css selector', '.lm-Menu-itemLabel') if e.text == 'Run All Cells'])
        item[0].click()
        t_end, nb = time.time() + timeout, None
        while time.time() < t_end:
            time.sleep(3)
            browser.find_element('css selector', '.jp-Notebook').click()
            ActionChains(browser).key_down(Keys.CONTROL).send_keys('s').key_up(Keys.CONTROL).perform()
            time.sleep(1)
            nb = json.loads(nb_path.read_text(encoding='utf-8'))
            code = [c for c in nb['cells'] if c['cell_type'] == 'code']
            if any(o.get('output_type') == 'error' for c in code for o in c.get('outputs', [])):
                return nb
            idle = all(k['execution_state'] == 'idle' for k in get_json(f'{api}/kernels?token={token}'))
            if idle and all(c.get('execution_count') for c in code):
                return nb
        raise AssertionError(f'JupyterLab did not finish running {nb_path.name} in {timeout} s: '
                             f'{sum(bool(c.get("execution_count")) for c in code)} of {len(code)} code cells ran')
    finally:
        stop(server)


def stop(server):
    "Stop a server started in a session of its own (it and the kernels it started)."
    import subprocess
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
            server.wait(timeout=20)
            return
        except ProcessLookupError:
            server.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def explore_notebook_on(runs_dir, folder):
    """A copy of nbs/tutorials/explore.ipynb in `folder` with its `MY_RUNS` parameter set to `runs_dir`, outputs cleared."""
    import json
    src = Path(__file__).resolve().parents[1] / 'nbs' / 'tutorials' / 'explore.ipynb'
    nb = json.loads(src.read_text(encoding='utf-8'))
    cells = [c for c in nb['cells'] if ''.join(c['source']).startswith('MY_RUNS = ')]
    assert len(cells) == 1, 'explore.ipynb has no `MY_RUNS = ...` cell to point at the runs'
    cells[0]['source'] = f'MY_RUNS = {str(runs_dir)!r}\n'
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            c['outputs'], c['execution_count'] = [], None
    out = Path(folder) / 'explore.ipynb'
    out.write_text(json.dumps(nb), encoding='utf-8')
    return out


def test_jupyterlab_runs_the_explorer_on_a_suite(browser, suite, tmp_path):
    pytest.importorskip('jupyterlab', reason='JupyterLab is not installed: pip install -e ".[lab]"')
    root, _ = suite
    nb = lab_run_all(browser, explore_notebook_on(root.parent, tmp_path))
    errors = [(c['source'], o) for c in nb['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', [])
              if o.get('output_type') == 'error']
    assert not errors, '\n'.join(f"{''.join(s)[:200]}\n-> {o['ename']}: {o['evalue']}" for s, o in errors)
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    assert all(c['execution_count'] for c in code)
    assert any(o.get('data', {}).get('application/vnd.plotly.v1+json') for c in code for o in c.get('outputs', []))
