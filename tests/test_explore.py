"""The explorer and the tutorial on a real `ssb --mode all` suite (the session's `suite` fixture), and MLflow tracking of
a stage run through the CLI: the logged metrics are those of the run's metrics files."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, ssb_ok

PAIR = '|'   # a fusion item: <clip id>|<face id>


def _show(ex):
    "What the items tab shows: (audio bytes, face bytes, audio shown, face shown)."
    w = ex.w
    return w['audio'].value, w['face'].value, w['audio'].layout.display != 'none', w['face'].layout.display != 'none'


def test_explorer_on_suite(suite_project, suite):
    pytest.importorskip('anywidget')     # the lab extra
    from plotly.callbacks import Points
    from socialsignalbench.pipeline.explore import Explorer, cell_items, face_crop, item_path, list_runs, png
    root, _ = suite
    runs = list_runs(suite_project / 'outputs' / 'runs').set_index('run')    # the documented folder: suites one level deeper
    media = {r: runs.loc[f'suite/{r}', 'media'] for r in ('audio', 'face', 'fusion')}
    assert media == {'audio': 'audio', 'face': 'image', 'fusion': 'audio|image'}
    assert (runs.loc[[r for r in runs.index if r.startswith('suite/')], 'suite'] == 'suite').all()
    ex = Explorer(suite_project / 'outputs' / 'runs', n_boot=20)
    assert PAIR not in runs.loc[ex.w['run'].value, 'media']                 # opens on an audio or face run, not on pairs
    ex.w['run'].value = 'suite/audio'
    clip = ex.w['item'].value
    audio, face, audio_on, face_on = _show(ex)
    assert audio == item_path(ex.run, clip).read_bytes() and (face, audio_on, face_on) == (b'', True, False)
    ex.w['run'].value = 'suite/face'
    audio, face, audio_on, face_on = _show(ex)
    assert face == png(face_crop(ex.run, ex.w['item'].value)) and (audio, audio_on, face_on) == (b'', False, True)
    ex.w['run'].value = 'suite/fusion'
    pair = ex.w['item'].value
    clip, face_id = pair.split(PAIR)
    audio, face, audio_on, face_on = _show(ex)
    assert audio == item_path(ex.run, clip).read_bytes() and face == png(face_crop(ex.run, face_id)) and audio_on and face_on
    assert pair in ex.w['info'].value and 'not found' not in ex.w['info'].value
    # a click on the confusion figure's fullest cell lists that cell's items
    items, classes = ex.run.items, list(ex.run.preds.classes)
    t, p = items.groupby(['true', 'pred']).size().idxmax()
    ex.cm.data[0]._dispatch_on_click(Points([[classes.index(t), classes.index(p)]], [p], [t], 'confusion', 0), None)
    assert [v for _, v in ex.w['item'].options] == list(cell_items(items, t, p)['id'].head(200))



def test_tutorial_on_suite(suite_project, suite):
    """`make lab`'s notebook, executed with MY_RUNS set to the documented runs folder of a demo suite_project."""
    pm = pytest.importorskip('papermill')
    out = suite_project / 'explore_tutorial.ipynb'
    pm.execute_notebook(str(ROOT / 'nbs' / 'tutorials' / 'explore.ipynb'), str(out),
                        parameters={'MY_RUNS': str(suite_project / 'outputs' / 'runs')},
                        cwd=str(ROOT / 'nbs' / 'tutorials'), progress_bar=False, kernel_name='python3')
    text = {o.get('text', '') if isinstance(o.get('text', ''), str) else ''.join(o['text'])
            for c in json.loads(out.read_text())['cells'] if c['cell_type'] == 'code' for o in c['outputs']}
    assert any(PAIR in t and 'fusion' in t for t in text)     # the fusion pair section found the suite's fusion run


def test_tracking_logs_a_stage_to_mlflow(suite_project, suite, tmp_path):
    """`tracking.mlflow` set: evaluating (a copy of) the suite's audio run logs its metrics files' headline metrics with
    their intervals, its config and its artefacts to a local MLflow store."""
    mlflow = pytest.importorskip('mlflow')
    root, _ = suite
    runs = suite_project / 'tracking-test' / tmp_path.name   # inside the suite_project: its data and cache are the suite's
    shutil.copytree(root / 'audio', runs / 'audio', ignore=shutil.ignore_patterns('manifest.json', 'mlflow_run.json'))
    store = tmp_path / 'mlruns'
    ssb_ok('--config', runs / 'audio' / 'config.yaml', '--mode', 'evaluate', '--run-id', 'audio', '--set', f'paths.runs_dir={runs}',
           '--set', f'eval.gold_slice={root / "gold"}', '--set', f'tracking.mlflow={store}', cwd=suite_project)
    rec = json.loads((runs / 'audio' / 'mlflow_run.json').read_text())
    os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
    client = mlflow.MlflowClient(store.as_uri())
    assert rec['tracking_uri'] == store.as_uri()
    run = client.get_run(rec['run_id'])
    expected = {}
    for f in sorted((runs / 'audio').glob('metrics*.json')):
        pre = f.stem.removeprefix('metrics').lstrip('_')
        for m, e in json.loads(f.read_text())['headline'].items():
            for k, suffix in (('value', ''), ('low', '_low'), ('high', '_high')):
                expected[f"{pre + '/' if pre else ''}{m}{suffix}"] = e[k]
    assert {'uar', 'uar_low', 'uar_high', 'reference/uar', 'gold/uar'} <= set(expected)
    assert run.data.metrics == expected
    assert run.data.params['model.name'] == 'audio_cnn' and run.data.tags['ssb.stage.evaluate'] == 'done'
    logged = {a.path for a in client.list_artifacts(rec['run_id'])}
    assert {'metrics.json', 'evaluate.html', 'confusion_matrix.png', 'reliability.png', 'config.yaml'} <= logged


def test_tracking_without_mlflow_names_the_extra(project, tmp_path):
    """`tracking` set but MLflow missing: the run stops before its first stage, naming the extra."""
    code = ("import sys; sys.modules['mlflow'] = None\nfrom socialsignalbench.pipeline.cli import main\n"
            f"sys.exit(main(['--config', 'configs/small.yaml', '--mode', 'data_card', '--set', 'tracking.mlflow={tmp_path / 'ml'}']))")
    r = subprocess.run([sys.executable, '-c', code], cwd=project, capture_output=True, text=True, timeout=300,
                       env={**os.environ, 'SSB_PROGRESS': '0'})
    assert r.returncode != 0 and "socialsignalbench[mlflow]" in r.stdout + r.stderr
    assert 'data_card' not in r.stdout and not (tmp_path / 'ml').exists()


def test_no_tracking_no_mlflow_import(project):
    """Without `tracking:` the runner never imports MLflow."""
    code = ("import sys; from socialsignalbench.pipeline import runner, suite, cli; "
            "from socialsignalbench.pipeline.tracking import stage_tracker; from socialsignalbench.config import load_config; "
            "assert stage_tracker(load_config('configs/small.yaml')) is None; print('mlflow' in sys.modules)")
    r = subprocess.run([sys.executable, '-c', code], cwd=project, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr[-2000:]
