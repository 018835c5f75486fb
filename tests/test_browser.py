"""The leaderboard and a report as a reader sees them, in headless Chromium (selenium with the system chromedriver,
nothing downloaded): `outputs/index.html` of the tiny demo suite fits 800 and 1280 px windows with the model and UAR
columns in view and its report links resolve; an evaluate report's "Show code" button shows and hides the code.
Skipped where no browser is installed (`apt-get install chromium chromium-driver`; `.ci/run` tries)."""
import shutil
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
