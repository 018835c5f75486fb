"""`ssb --mode all` on the tiny demo: every report of the chain executes through papermill (the smoke test of the
reports), the suite's runs name each other, and outputs/index.html links every report."""
import json
import re

from conftest import ssb_ok

STAGES = {'data': ['demo_data', 'data_card', 'preprocess'], 'audio': ['train', 'evaluate'], 'face': ['train', 'evaluate'],
          'fusion': ['train_fusion', 'evaluate'], 'gold': ['mine_gold_slice'], 'compare': ['compare']}


def test_mode_all_on_tiny_demo(suite_project, suite):
    root, r = suite
    seed_run = next(p.name for p in root.iterdir() if p.name.startswith('audio-seed'))
    for run, stages in {**STAGES, seed_run: ['train', 'evaluate']}.items():
        for st in stages:
            assert (root / run / f'{st}.ipynb').is_file() and (root / run / f'{st}.html').is_file(), (run, st)
        assert not list((root / run).glob('*.failed.ipynb')), run
    # the suite's runs read each other by their short ids: fusion its two baselines, the gold slice the audio runs
    assert json.loads((root / 'fusion' / 'metrics.json').read_text())['meta']['protocol'] == 'fusion'
    assert (root / 'fusion' / 'robustness.csv').is_file() and (root / 'gold' / 'gold_slice.json').is_file()
    gold = {run: json.loads((root / run / 'metrics_gold.json').read_text())['meta'] for run in ('audio', seed_run)}
    assert gold['audio']['circular'] and not gold[seed_run]['circular']   # mined from 'audio', checked on the other seed
    # one terminal screen ending with the index, which links every executed report
    assert 'fusion (fusion_concat) vs' in r.stdout and r.stdout.rstrip().endswith(str(root))
    index = suite_project / 'outputs' / 'index.html'
    assert f'[ssb] leaderboard: {index}' in r.stdout
    links = set(re.findall(r'href="([^"]+)"', index.read_text()))
    for run in ('audio', 'face', 'fusion', seed_run):
        assert f'runs/suite/{run}/evaluate.html' in links, run
    assert all((suite_project / 'outputs' / link).is_file() for link in links)
    # the leaderboard's fusion gain is in the compare report: the same pair (fusion against the better modality alone)
    gain = re.search(r'fusion \(fusion_concat\) vs \w+ alone on \d+ pairs: UAR \S+ -> \S+, (\S+ \[\S+ \S+\])', r.stdout)
    assert gain and gain.group(1) in (root / 'compare' / 'comparison.md').read_text(), r.stdout[-1500:]
    assert 'runs/suite/compare/compare.html' in links


def test_reports_outside_the_suite_run_on_tiny_demo(project):
    """The reports --mode all does not run: ingest_ckplus on the demo's CK+ layout, and a one-cell sweep."""
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'demo_data', 'ingest_ckplus', 'preprocess', 'sweep', '--set', 'sweep.seeds=[1]',
           '--set', 'train.epochs=2', '--run-id', 'rest', cwd=project, timeout=1800)
    run = project / 'outputs' / 'runs' / 'rest'
    for st in ('ingest_ckplus', 'sweep'):
        assert (run / f'{st}.html').is_file() and not (run / f'{st}.failed.ipynb').exists(), st
    assert len((run / 'sweep.csv').read_text().strip().splitlines()) == 2   # header + the one cell
