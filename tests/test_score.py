"""`ssb export` and `ssb score` end to end on the tiny demo: the export holds no label, a trained run's predictions scored
back give the run's metrics, every refusal writes nothing, class-only predictions, validation thresholds, compare."""
import io
import json

import numpy as np
import pandas as pd
import pytest

from conftest import SMALL, ssb_ok
from socialsignalbench.data.labels import load_scheme
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import choose_thresholds, read_report
from socialsignalbench.pipeline.cli import main
from socialsignalbench.pipeline.explore import list_runs
from socialsignalbench.pipeline.suite import leaderboard

FAST = SMALL + "train: {epochs: 3}\neval: {n_boot: 200}\n"
SCORE_FILES = ('metrics.json', 'predictions.csv', 'results.csv', 'errors.csv', 'confusion_matrix.png', 'reliability.png',
               'score_summary.json', 'score.ipynb', 'score.html', 'config.yaml', 'manifest.json')


@pytest.fixture(scope='module')
def trained(project):
    """A run of the small demo through demo_data, preprocess, train and evaluate."""
    (project / 'configs' / 'score.yaml').write_text(FAST)
    ssb_ok('--config', 'configs/score.yaml', '--mode', 'demo_data', 'preprocess', 'train', 'evaluate', '--run-id', 'sc-trained',
           cwd=project)
    return project / 'outputs' / 'runs' / 'sc-trained'


def submission(pred_csv, out, pred_only=False):
    """A system's predictions file made from a run's predictions CSV: id and one probability column per class (or pred)."""
    p = Predictions.read_csv(pred_csv)
    t = pd.DataFrame(p.probs, columns=list(p.classes)).assign(id=list(p.ids))[['id', *p.classes]]
    if pred_only:
        t = pd.DataFrame({'id': list(p.ids), 'pred': np.array(p.classes)[p.y_pred]})
    t.sample(frac=1, random_state=0).to_csv(out, index=False)   # any row order
    return out


def runs(project):
    return project / 'outputs' / 'runs'


def test_export_has_no_labels(trained, project, tmp_path):
    r = ssb_ok('export', '--config', 'configs/score.yaml', cwd=project)
    t = pd.read_csv(io.StringIO(r.stdout), dtype=str)
    assert list(t.columns) == ['id', 'path', 'group', 'modality']
    assert sorted(t['id']) == sorted(Predictions.read_csv(trained / 'predictions.csv').ids)
    scheme = load_scheme('seed')
    words = set(scheme.classes) | {e for m in scheme.members.values() for e in m}
    assert not words & set(t.to_numpy().ravel())
    classes = ssb_ok('export', '--config', 'configs/score.yaml', '--classes', cwd=project).stdout.split()
    assert classes == list(scheme.classes)
    ssb_ok('export', '--config', 'configs/score.yaml', '--split', 'val', '--out', tmp_path / 'val.csv', cwd=project)
    assert sorted(pd.read_csv(tmp_path / 'val.csv')['id']) == sorted(Predictions.read_csv(trained / 'predictions_val.csv').ids)


def test_round_trip_gives_the_runs_metrics(trained, project, tmp_path):
    test, val = submission(trained / 'predictions.csv', tmp_path / 't.csv'), submission(trained / 'predictions_val.csv', tmp_path / 'v.csv')
    ssb_ok('score', '--config', 'configs/score.yaml', '--predictions', test, '--val-predictions', val, '--name', 'sc-ext', cwd=project)
    out = runs(project) / 'sc-ext'
    assert not [f for f in SCORE_FILES if not (out / f).is_file()]
    a, b = read_report(trained / 'metrics.json'), read_report(out / 'metrics.json')
    assert (b.ids, b.n_groups, b.meta['role'], b.meta['protocol']) == (a.ids, a.n_groups, 'external', 'external')
    assert set(b.headline) == set(a.headline)
    for k, e in a.headline.items():
        assert [b.headline[k][f] for f in ('value', 'low', 'high')] == pytest.approx([e[f] for f in ('value', 'low', 'high')], abs=1e-6), k
    # thresholds chosen on the given validation predictions (the evaluate stage recomputes those from the checkpoint: 1e-6 apart)
    mine = choose_thresholds(Predictions.read_csv(trained / 'predictions_val.csv'), 'seed')
    assert {p: x['threshold'] for p, x in b.proxies.items()} == pytest.approx(mine)
    assert {p: x['threshold'] for p, x in a.proxies.items()} == pytest.approx(mine, abs=1e-5)
    # compare, leaderboard and explorer read it like any run
    ssb_ok('compare', 'sc-trained', 'sc-ext', '--config', 'configs/score.yaml', '--out', tmp_path / 'cmp', cwd=project)
    c = json.loads((tmp_path / 'cmp' / 'comparison.json').read_text())['comparisons'][0]
    uar = next(d for d in c['full']['metrics'] if d['metric'] == 'uar')
    assert uar['diff'] == 0 and c['full']['mcnemar']['a_only'] == c['full']['mcnemar']['b_only'] == 0
    board = leaderboard(runs(project))
    row = lambda run, role: board[(board['run'] == run) & (board['role'] == role)].iloc[0]
    assert row('sc-ext', 'external')['UAR'] == row('sc-trained', 'model')['UAR']
    assert 'sc-ext' in set(list_runs(runs(project))['run'])


def test_without_val_predictions_f1_at_threshold_is_left_out(trained, project, tmp_path):
    ssb_ok('score', '--config', 'configs/score.yaml', '--predictions', submission(trained / 'predictions.csv', tmp_path / 't.csv'),
           '--name', 'sc-noval', cwd=project)
    rep = read_report(runs(project) / 'sc-noval' / 'metrics.json')
    assert all('f1_at_threshold' not in b and b['threshold'] is None for b in rep.proxies.values())
    assert '--val-predictions' in rep.meta['thresholds_note']
    assert 'no validation predictions (--val-predictions)' in (runs(project) / 'sc-noval' / 'score.html').read_text()


def test_class_predictions_only(trained, project, tmp_path):
    f = submission(trained / 'predictions.csv', tmp_path / 'p.csv', pred_only=True)
    ssb_ok('score', '--config', 'configs/score.yaml', '--predictions', f, '--name', 'sc-pred', cwd=project)
    out = runs(project) / 'sc-pred'
    rep, full = read_report(out / 'metrics.json'), read_report(trained / 'metrics.json')
    assert rep.meta['probabilities'] is False and 'ece' not in rep.headline and 'ece' in rep.meta['not_available']
    assert not [k for b in rep.proxies.values() for k in ('auroc', 'average_precision', 'f1_at_threshold') if k in b]
    assert rep.headline['uar'] == full.headline['uar'] and not (out / 'reliability.png').exists()
    ssb_ok('compare', 'sc-trained', 'sc-pred', '--config', 'configs/score.yaml', '--out', tmp_path / 'cmp', cwd=project)
    names = {d['metric'] for d in json.loads((tmp_path / 'cmp' / 'comparison.json').read_text())['comparisons'][0]['full']['metrics']}
    assert 'uar' in names and not {'ece', 'Engagement/auroc'} & names


def _variants(good: str, val: str) -> dict:
    """Bad predictions files made from a good one: case -> (text or bytes, what the refusal must say)."""
    head, *rows = good.strip().split('\n')
    first_id = rows[0].split(',')[0]
    cells = rows[0].split(',')
    first = lambda *c: '\n'.join([head, ','.join([cells[0], *c, *cells[2:]]), *rows[1:]])   # the first row's engagement cell changed
    return {
        'missing': ('\n'.join([head, *rows[1:]]), f'missing: 1 test item(s) have no row: {first_id}'),
        'extra': ('\n'.join([head, *rows, ','.join(['ravdess:nope.wav', *cells[1:]])]),
                  'extra: 1 id(s) are no item of ravdess: ravdess:nope.wav'),
        'duplicate': ('\n'.join([head, *rows, rows[0]]), f'duplicate: 1 id(s) on several rows: {first_id} (lines 2, {len(rows) + 2})'),
        'unknown column': ('\n'.join([head + ',true', *(r + ',happy' for r in rows)]), "unknown column 'true'"),
        'missing class column': ('\n'.join(','.join(r.split(',')[:-1]) for r in [head, *rows]), 'missing class column(s) other'),
        'not finite': (first('nan'), "line 2, column 2 ('engagement'): 'nan' is not finite"),
        'negative': (first('-0.5'), "line 2, column 2 ('engagement'): '-0.5' is negative"),
        'sum': (first(str(float(cells[1]) + .01)), 'line 2: the probabilities sum to'),
        'empty': ('', 'is empty'),
        'not utf-8': (('\n'.join([head, *rows]) + '\n').encode() + b'\xff\n', f'line {len(rows) + 2}, byte 1 is not UTF-8'),
        'other split': (val, 'are items of the val split, not test'),
        'other corpus': ('\n'.join([head, *(r.replace('ravdess:', 'ckplus:', 1) for r in rows)]), "are not of corpus 'ravdess'"),
    }


def test_refusals_write_nothing(trained, project, tmp_path, capsys):
    good = submission(trained / 'predictions.csv', tmp_path / 'good.csv').read_text()
    val = submission(trained / 'predictions_val.csv', tmp_path / 'val.csv').read_text()
    cfg = str(project / 'configs' / 'score.yaml')
    for i, (case, (content, msg)) in enumerate(_variants(good, val).items()):
        f = tmp_path / f'bad{i}.csv'
        f.write_bytes(content) if isinstance(content, bytes) else f.write_text(content)
        capsys.readouterr()
        assert main(['score', '--config', cfg, '--predictions', str(f), '--name', f'sc-bad{i}']) == 2, case
        err = capsys.readouterr().err
        assert msg in err, (case, err)
        assert not (runs(project) / f'sc-bad{i}').exists(), case
    # a name that holds a trained run is refused, and that run is left alone
    before = (trained / 'metrics.json').read_bytes()
    assert main(['score', '--config', cfg, '--predictions', str(tmp_path / 'good.csv'), '--name', 'sc-trained']) == 2
    assert 'holds another run' in capsys.readouterr().err and (trained / 'metrics.json').read_bytes() == before
