"""A corpus of your own through `ssb`: a CSV of photos and clips -> ingest_csv -> data card, and bad rows reported."""
import json

import cv2
import numpy as np
import pandas as pd
import soundfile as sf

from conftest import ssb
from socialsignalbench.config import load_config
from socialsignalbench.data.dataset import corpora, labelled, manifest_path, split_info
from socialsignalbench.data.ravdess import load_manifest
from socialsignalbench.data.stages import stage_ingest_csv

CONFIG = """extends: demo.yaml
name: mine
paths: {data_dir: data/mine, cache_dir: data/mine/cache}
csv:
  - {name: mine, csv: corpus/list.csv, group_column: person, emotion_column: feeling, val: 0.2, test: 0.2}
"""


def _corpus(root, n_people=10):
    """n_people people, each with a neutral and a smiling 'photo' and a neutral and a happy 'clip'; one row names no file."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_people):
        for emo in ('Neutral', 'Joy'):
            img = root / 'photos' / f'{i:02d}_{emo}.png'
            img.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(img), rng.integers(0, 255, (64, 64), dtype=np.uint8))
            wav = root / 'clips' / f'{i:02d}_{emo}.wav'
            wav.parent.mkdir(parents=True, exist_ok=True)
            sf.write(wav, 0.1 * np.sin(np.arange(8000) * (0.05 + 0.01 * i)) + 0.01 * rng.normal(size=8000), 16000)
            rows += [dict(path=f'photos/{img.name}', person=f'p{i:02d}', feeling=emo, gender='female' if i % 2 else 'male'),
                     dict(path=f'clips/{wav.name}', person=f'p{i:02d}', feeling=emo, gender='female' if i % 2 else 'male')]
    rows.append(dict(path='photos/gone.png', person='p99', feeling='happy', gender='male'))
    pd.DataFrame(rows).to_csv(root / 'list.csv', index=False)
    return len(rows) - 1


def test_csv_corpus_through_ssb(project):
    n = _corpus(project / 'corpus')
    cfg_path = project / 'configs' / 'mine.yaml'
    cfg_path.write_text(CONFIG)
    res = ssb('--config', cfg_path, '--mode', 'ingest_csv', 'data_card', '--run-id', 'csv-mine', cwd=project)
    assert res.returncode == 0, res.stderr[-3000:]
    # the bad row is reported in the terminal, not only in the report
    assert '[ingest_csv] mine: 40 rows; 1 input(s) left out' in res.stdout, res.stdout
    assert 'photos/gone.png: CSV line 42: file not found' in res.stdout, res.stdout
    cfg = load_config(cfg_path)
    assert corpora(cfg) == ['ravdess', 'ckplus', 'london', 'mine']
    man = load_manifest(manifest_path(cfg, 'mine'))
    assert len(man) == n == 40 and man['modality'].value_counts().to_dict() == {'image': 20, 'audio': 20}
    assert set(man['emotion']) == {'neutral', 'happy'} and man['group'].str.startswith('mine_p').all()
    lab = labelled(man, cfg, 'mine')
    per = lab.groupby('split')['group'].nunique().to_dict()
    assert per == {'train': 6, 'val': 2, 'test': 2} and lab.groupby('group')['split'].nunique().max() == 1
    card = json.loads((project / 'outputs' / 'runs' / 'csv-mine' / 'data_card_summary.json').read_text())['corpora']['mine']
    assert {s: len(v['groups']) for s, v in card.items()} == per
    assert split_info(cfg, 'mine') == dict(name='mine_group_holdout_0.2_0.2', version=1, seed=0, mode='holdout')


def test_csv_corpus_kfold(tmp_path):
    """Under split.mode: kfold a CSV corpus gets seeded grouped folds, every person in exactly one fold."""
    _corpus(tmp_path / 'corpus', n_people=6)
    (tmp_path / 'settings.ini').write_text('')
    (tmp_path / 'c.yaml').write_text('split: {mode: kfold, k_folds: 3}\n'
                                     'csv: [{name: mine, csv: corpus/list.csv, group_column: person, emotion_column: feeling}]\n')
    cfg = load_config(tmp_path / 'c.yaml')
    stage_ingest_csv(cfg)
    lab = labelled(load_manifest(manifest_path(cfg, 'mine')), cfg, 'mine')
    assert lab['fold'].dtype == np.int64 and lab.groupby('fold')['group'].nunique().tolist() == [2, 2, 2]
    assert lab.groupby('group')['fold'].nunique().max() == 1
    assert split_info(cfg, 'mine')['name'] == 'mine_group_3fold'
