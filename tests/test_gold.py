"""The mine_gold_slice stage through the CLI on hand-written prediction files (no training): files, the mined ids,
and the refusal of a check run that is also a source."""
import json

import numpy as np

from conftest import ssb, ssb_ok
from socialsignalbench.config import load_config
from socialsignalbench.evaluation.gold import mine_gold
from socialsignalbench.metrics.predictions import Predictions, ids_sha256

CLASSES = ('engagement', 'confusion', 'hesitation', 'neutral', 'other')   # the seed scheme
GOLD = """extends: demo_tiny.yaml
name: gold-test
gold: {{sources: [g1, g2, g3], check_runs: [{check}], n_random: 50, min_share: 0.6}}
"""


def fake_run(runs, name, seed, n=60):
    "A predictions.csv of a fairly good model on the same 60 items of 6 speakers, different probabilities per seed."
    g, y = np.random.default_rng(seed), np.arange(n) % 5
    logits = g.normal(size=(n, 5)) + 2 * np.eye(5)[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    preds = Predictions([f'ravdess:a{i:02d}.wav' for i in range(n)], [f'ravdess_{i % 6:02d}' for i in range(n)], y, p, CLASSES)
    (runs / name).mkdir(parents=True, exist_ok=True)
    preds.write_csv(runs / name / 'predictions.csv')
    return preds


def test_mine_gold_slice_cli(project):
    runs = project / 'outputs' / 'runs'
    src = {n: fake_run(runs, n, s) for n, s in (('g1', 1), ('g2', 2), ('g3', 3))}
    fake_run(runs, 'g4', 4)
    (project / 'configs' / 'gold.yaml').write_text(GOLD.format(check='g4'))
    ssb_ok('--config', 'configs/gold.yaml', '--mode', 'mine_gold_slice', '--run-id', 'gold1', cwd=project)
    out = runs / 'gold1'
    for f in ('gold_slice.json', 'gold_slice.csv', 'gold_items.csv', 'gold_runs.csv', 'gold_jaccard.csv', 'gold_validation.csv',
              'gold_random.csv', 'gold_validation.png', 'mine_gold_slice_summary.json', 'mine_gold_slice.html'):
        assert (out / f).is_file(), f
    gs = json.loads((out / 'gold_slice.json').read_text())
    expected = mine_gold(src, 'seed', load_config(project / 'configs' / 'gold.yaml').gold).slice
    assert 0 < len(gs['ids']) < 60 and gs['ids'] == list(expected.ids)
    assert gs['sha256'] == ids_sha256(gs['ids']) and gs['version'] == f"gold-{gs['sha256'][:12]}"
    assert [s['run'] for s in gs['sources']] == ['g1', 'g2', 'g3']
    summary = json.loads((out / 'mine_gold_slice_summary.json').read_text())
    assert set(summary['validation']) == {'g4'} and summary['verdicts'][0].startswith('g4: UAR')


def test_check_run_that_is_a_source_is_refused(project):
    runs = project / 'outputs' / 'runs'
    for n, s in (('g1', 1), ('g2', 2), ('g3', 3)):
        fake_run(runs, n, s)
    (project / 'configs' / 'gold_bad.yaml').write_text(GOLD.format(check='g2'))
    r = ssb('--config', 'configs/gold_bad.yaml', '--mode', 'mine_gold_slice', '--run-id', 'gold-bad', cwd=project)
    assert r.returncode != 0
    assert 'g2 is also a source (g2)' in r.stdout + r.stderr
    assert not (runs / 'gold-bad' / 'gold_slice.json').exists()


def test_empty_slice_warns_on_the_console(project):
    runs = project / 'outputs' / 'runs'
    for n, s in (('g1', 1), ('g2', 2), ('g3', 3)):
        fake_run(runs, n, s)
    (project / 'configs' / 'gold_empty.yaml').write_text(   # nothing is hard enough for every source at once
        'extends: demo_tiny.yaml\nname: gold-empty\ngold: {sources: [g1, g2, g3], n_random: 50, min_share: 1.0, max_confidence: 0.0,'
        ' max_margin: 0.0, confusion_pairs: []}\n')
    r = ssb_ok('--config', 'configs/gold_empty.yaml', '--mode', 'mine_gold_slice', '--run-id', 'gold-empty', cwd=project)
    summary = json.loads((runs / 'gold-empty' / 'mine_gold_slice_summary.json').read_text())
    assert summary['n_items'] == 0 and len(summary['warnings']) == 1
    assert f"\n[ssb]   warning: the gold slice {summary['version']} has 0 items: none of the 60 test items" in r.stdout, r.stdout
