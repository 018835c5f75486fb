"""Cross-corpus evaluation: a checkpoint trained on the demo speech corpus evaluated on every item of another corpus (a CSV
corpus with `split: all`), with the proxy thresholds stored in the checkpoint from its own validation predictions."""
import shutil

import pandas as pd
import pytest

from conftest import SMALL, ssb, ssb_ok
from socialsignalbench.config import load_config
from socialsignalbench.data.dataset import corpus_root, manifest_path
from socialsignalbench.metrics.report import read_report
from socialsignalbench.train.checkpoint import load_checkpoint

FAST = SMALL + "train: {epochs: 3}\neval: {n_boot: 200}\n"
TARGET = """extends: xc.yaml
csv: [{name: other, csv: xcorpus/list.csv, split: all}]
train: {corpus: other}
"""


@pytest.fixture(scope='module')
def trained(project):
    """A run of the small demo speech corpus through demo_data, preprocess and train."""
    (project / 'configs' / 'xc.yaml').write_text(FAST)
    ssb_ok('--config', 'configs/xc.yaml', '--mode', 'demo_data', 'preprocess', 'train', '--run-id', 'xc-train', cwd=project)
    return project / 'outputs' / 'runs' / 'xc-train'


def other_corpus(project, n_groups=3):
    """A CSV corpus of its own: copies of the demo clips of `n_groups` speakers, listed with speaker and emotion."""
    cfg = load_config(project / 'configs' / 'xc.yaml')
    man, root, dest = pd.read_parquet(manifest_path(cfg, 'ravdess')), corpus_root(cfg, 'ravdess'), project / 'xcorpus'
    rows = []
    for g in sorted(man['group'].unique())[:n_groups]:
        for _, r in man[man['group'] == g].iterrows():
            (dest / r['path']).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / r['path'], dest / r['path'])
            rows.append(dict(path=r['path'], group=g.replace('ravdess_', 'spk'), emotion=r['emotion']))
    pd.DataFrame(rows).to_csv(dest / 'list.csv', index=False)
    (project / 'configs' / 'xc_target.yaml').write_text(TARGET)
    return pd.DataFrame(rows)


def test_checkpoint_on_every_item_of_another_corpus(trained, project):
    _, meta = load_checkpoint(trained / 'model_best.pt')
    assert set(meta['val_thresholds'][0]) == {'Engagement', 'Confusion', 'Hesitation'}   # stored by the train stage
    rows = other_corpus(project)
    ssb_ok('--config', 'configs/xc_target.yaml', '--mode', 'ingest_csv', 'preprocess', 'evaluate', '--checkpoint',
           trained / 'model_best.pt', '--run-id', 'xc-eval', cwd=project)
    out = project / 'outputs' / 'runs' / 'xc-eval'
    rep = read_report(out / 'metrics.json')
    m = rep.meta
    assert (m['cross_corpus'], m['trained_on'], m['corpus'], m['split']['name']) == (True, 'ravdess', 'other', 'other_all_test')
    assert "the checkpoint's own validation predictions on ravdess" in m['thresholds_from']
    assert {p: b['threshold'] for p, b in rep.proxies.items()} == meta['val_thresholds'][0]
    assert 'f1_at_threshold' in rep.proxies['Engagement']
    assert rep.n_items == len(rows) and rep.n_groups == 3   # every item of the corpus is a test item (seed: every emotion has a class)
    assert 'CROSS-CORPUS evaluation: trained on ravdess' in (out / 'evaluate.html').read_text()
    # the reference beside the checkpoint stored its thresholds too
    assert read_report(out / 'metrics_reference.json').meta['cross_corpus']
    # the items to predict are every item; there is no validation item
    items = ssb_ok('export', '--config', 'configs/xc_target.yaml', '--split', 'all', cwd=project).stdout
    assert len(items.strip().split('\n')) - 1 == len(rows)
    r = ssb('export', '--config', 'configs/xc_target.yaml', '--split', 'val', cwd=project)
    assert r.returncode == 2 and 'the val split of corpus other holds no item' in r.stderr, r.stderr
