"""Static checks of the report notebooks in nbs/reports: the papermill contract and the house rules."""
import ast
import json
import re
from pathlib import Path

import pytest

from socialsignalbench.pipeline.runner import discover_stages, reports_dir

REPORTS = sorted(Path(reports_dir()).glob('*.ipynb'))


def cells(nb_path):
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    return [(c['cell_type'], ''.join(c['source']), c.get('metadata', {})) for c in nb['cells']]


def test_every_mode_has_its_report():
    names = {p.name for p in REPORTS}
    for st in discover_stages():
        assert st.notebook in names, st.name


@pytest.mark.parametrize('nb', REPORTS, ids=lambda p: p.stem)
def test_parameters_cell_first_with_a_comment_per_parameter(nb):
    kind, src, meta = cells(nb)[0]
    assert kind == 'code' and 'parameters' in meta.get('tags', []), 'first cell must be tagged `parameters`'
    assigned = [ln for ln in src.splitlines() if re.match(r'^\w+\s*(:[^=]*)?=', ln)]   # name[: type hint] = value
    assert {re.split(r'[:=]', ln)[0].strip() for ln in assigned} >= {'config_path', 'run_dir'}
    for ln in assigned:
        assert '#' in ln and ln.split('#', 1)[1].strip(), f'parameter without a comment: {ln}'


@pytest.mark.parametrize('nb', REPORTS, ids=lambda p: p.stem)
def test_imports_only_the_package(nb):
    for kind, src, _ in cells(nb):
        if kind != 'code':
            continue
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or '']
            else:
                continue
            assert all(m.split('.')[0] == 'socialsignalbench' for m in mods), f'{nb.name} imports {mods}'


@pytest.mark.parametrize('nb', REPORTS, ids=lambda p: p.stem)
def test_title_and_summary(nb):
    md = [src for kind, src, _ in cells(nb) if kind == 'markdown']
    assert md and md[0].lstrip().startswith('# ') and '\n> ' in md[0], 'needs a "# Title" and "> summary" cell'
