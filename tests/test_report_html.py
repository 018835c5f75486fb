"""Report HTML reads as a report: title block, parameters table, code hidden behind a toggle; reports run directly
with papermill and document their parameters for `papermill --help-notebook`."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import ssb
from socialsignalbench.pipeline.runner import reports_dir

REPORTS = sorted(Path(reports_dir()).glob('*.ipynb'))
PAPERMILL = str(Path(sys.executable).parent / 'papermill')
HIDDEN_RULE = '#ssb-show-code:not(:checked) ~ '


def documented_parameters(nb_path):
    """name -> comment of each `name: type = value  # comment` line of the report's `parameters` cell."""
    cell = json.loads(nb_path.read_text(encoding='utf-8'))['cells'][0]
    return dict(re.findall(r'^(\w+)\s*(?::[^=]*)?=.*?#\s*(.+?)\s*$', ''.join(cell['source']), re.M))


@pytest.fixture(scope='module')
def card_run(project):
    """A small demo run with an executed `data_card` report: the run folder."""
    r = ssb('--config', project / 'configs' / 'small.yaml', '--mode', 'demo_data', 'data_card', '--run-id', 'html',
            cwd=project)
    assert r.returncode == 0, r.stderr
    return project / 'outputs' / 'runs' / 'html'


def default_view(soup):
    """The page as shown before "Show code" is pressed: drop what the toggle's CSS hides while unchecked."""
    css = '\n'.join(s.get_text() for s in soup.find_all('style'))
    hiding = [sel for rule in re.findall(r'([^{}]+)\{\s*display:\s*none;?\s*\}', css) for sel in rule.split(',')]
    hidden = [sel.strip()[len(HIDDEN_RULE):] for sel in hiding if sel.strip().startswith(HIDDEN_RULE)]
    assert hidden, 'no CSS rule hides anything while the toggle is unchecked'
    for sel in hidden:
        for el in soup.select(f'main > {sel}' if not sel.startswith('*') else f'main {sel[1:]}'):
            el.decompose()
    return soup


def test_report_html_title_parameters_and_hidden_code(card_run):
    html = (card_run / 'data_card.html').read_text(encoding='utf-8')
    soup = BeautifulSoup(html, 'html.parser')
    man = json.loads((card_run / 'manifest.json').read_text())
    # title block: one table of facts right after the report's own "# Data card" heading
    title = soup.select_one('main > section.ssb-title')
    assert title is not None and title.find_previous_sibling().find('h1').get_text(strip=True).startswith('Data card')
    facts = {tr.th.get_text(): tr.td.get_text() for tr in title.select('table.ssb-facts tr')}
    assert facts['stage'] == 'data_card' and facts['status'] == 'completed' and facts['run'] == 'html'
    assert facts['config'] == 'small-demo' and facts['config file'] == man['config_source']
    assert facts['socialsignalbench'] == man['package_version'] and re.fullmatch(r'\d{4}-\d\d-\d\d \d\d:\d\d UTC', facts['date'])
    # parameters table: the values the run used, with the comments that document them
    rows = {tds[0].get_text(): (tds[1].get_text(), tds[2].get_text())
            for tds in (tr.find_all('td') for tr in title.select('table.ssb-params tbody tr'))}
    doc = documented_parameters(reports_dir() / 'data_card.ipynb')
    assert rows['config_path'] == (f'"{card_run / "config.yaml"}"', doc['config_path'])
    assert rows['run_dir'] == (f'"{card_run}"', doc['run_dir'])
    # code hidden by default behind a toggle: an unchecked checkbox before every cell and its "Show code" label
    box = soup.select_one('main > input#ssb-show-code[type=checkbox]')
    assert box is not None and not box.has_attr('checked')
    assert all(box in c.find_previous_siblings() for c in soup.select('main > .jp-Cell'))
    assert 'Show code' in soup.select_one('label[for=ssb-show-code]').get_text()
    code_lines = [ln for el in soup.select('.ssb-code') for ln in el.get_text().splitlines()]
    assert any(ln.lstrip().startswith(('import ', 'from ')) for ln in code_lines), 'the code is in the page'
    view = default_view(soup)
    text = view.select_one('main').get_text('\n')
    assert not [ln for ln in text.splitlines() if re.match(r'\s*(from \S+ )?import ', ln)], 'code shows by default'
    assert not view.select('.ssb-code, .jp-InputPrompt') and 'Label scheme' in text and view.select('main img')
    cfg = yaml.safe_load((card_run / 'config.yaml').read_text())
    assert cfg['name'] == facts['config']


def test_report_runs_directly_with_papermill(card_run, tmp_path):
    out = tmp_path / 'run'
    r = subprocess.run([PAPERMILL, str(reports_dir() / 'data_card.ipynb'), str(tmp_path / 'out.ipynb'), '-p',
                        'config_path', str(card_run / 'config.yaml'), '-p', 'run_dir', str(out), '--no-progress-bar'],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / 'data_card_summary.json').read_text()) == \
        json.loads((card_run / 'data_card_summary.json').read_text())


@pytest.mark.parametrize('nb', REPORTS, ids=lambda p: p.stem)
def test_help_notebook_lists_documented_parameters(nb):
    r = subprocess.run([PAPERMILL, '--help-notebook', str(nb)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = documented_parameters(nb)
    assert {'config_path', 'run_dir'} <= set(doc), doc
    assert 'Unknown type' not in r.stdout, r.stdout      # every parameter carries a type hint papermill reads
    for name, comment in doc.items():
        assert re.search(rf'^\s*{name}: .*\n\s+{re.escape(comment)}\s*$', r.stdout, re.M), (name, r.stdout)
