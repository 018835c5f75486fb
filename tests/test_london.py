"""`ssb --mode download_london`: the London faces downloaded from a local HTTP server serving archives in figshare's
layout (built here from a few photos: the real ones beside the repo, else small generated JPEGs), and a complete copy
used where it is (the resized copy in ../shared/data)."""
import hashlib
import json
import zipfile

import cv2
import numpy as np
import pandas as pd

from conftest import SHARED, need_shared, ssb
from test_download_cli import server  # noqa: F401 (the fixture)

PEOPLE = ('001', '002', '003', '004')


def photo(pid, view):
    """JPEG bytes of one photo: the real one when the shared copy is there, else a small generated face-sized image."""
    p = SHARED / 'faces_london_512' / ('neutral' if view == '03' else 'smiling') / f'{pid}_{view}.jpg'
    if p.is_file():
        return p.read_bytes()
    return cv2.imencode('.jpg', np.full((64, 64, 3), int(pid) * 20 + int(view), np.uint8))[1].tobytes()


def figshare_files(www):
    """neutral_front.zip, smiling_front.zip (one top folder, plus a template and a macOS resource file, as a packer
    leaves them) and london_faces_info.csv in `www`; their MD5s by name."""
    for expr, view in (('neutral', '03'), ('smiling', '08')):
        with zipfile.ZipFile(www / f'{expr}_front.zip', 'w') as z:
            for pid in PEOPLE:
                z.writestr(f'{expr}_front/{pid}_{view}.jpg', photo(pid, view))
            z.writestr(f'{expr}_front/001_{view}.tem', '189\n0 0\n')
            z.writestr(f'{expr}_front/._001_{view}.jpg', b'\0\5\26\7')
    (www / 'london_faces_info.csv').write_text('face_id,face_age,face_gender,face_eth\n' + ''.join(
        f'{pid},{20 + i},{"female" if i % 2 else "male"},white\n' for i, pid in enumerate(PEOPLE)))
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in www.iterdir()}


def config(project, name, body):
    cfg = project / 'configs' / f'{name}.yaml'
    cfg.write_text(f'extends: base_config.yaml\npaths: {{data_dir: data/{name}}}\n{body}')
    return cfg


def files_yaml(url, md5s):
    return 'london:\n  files:\n' + ''.join(
        f'    - {{name: {n}, url: "{url}/{n}", md5: {json.dumps(md5s[n])}}}\n'
        for n in ('neutral_front.zip', 'smiling_front.zip', 'london_faces_info.csv'))


def test_download_london_from_a_mirror(project, server):  # noqa: F811
    url, www = server
    md5s = {**figshare_files(www), 'smiling_front.zip': None}   # one file left unverified: a warning, not an error
    cfg = config(project, 'lon', files_yaml(url, md5s) + '  root: data/lon/london\n  downloads: data/lon/dl\n  backoff: 0.01\n')
    r = ssb('--config', cfg, '--mode', 'download_london', 'data_card', '--run-id', 'lon')
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'smiling_front.zip was not checked (its md5 is null under london.files): it has MD5' in r.stdout, r.stdout
    run, root = project / 'outputs' / 'runs' / 'lon', project / 'data' / 'lon' / 'london'
    summary = json.loads((run / 'download_london_summary.json').read_text())
    assert summary['summaries']['london']['n_rows'] == 8 and summary['summaries']['london']['n_problems'] == 0
    assert [u[0] for u in summary['detail']['unverified']] == ['smiling_front.zip']
    m = pd.read_csv(root / 'manifest.csv', dtype=str)
    assert sorted(m['path'])[:2] == ['neutral_front/001_03.jpg', 'neutral_front/002_03.jpg']
    assert set(m['emotion']) == {'neutral', 'happy'} and set(m['gender']) == {'female', 'male'}
    df = pd.read_parquet(project / 'data' / 'lon' / 'manifests' / 'london.parquet')
    assert sorted(df['group'].unique()) == [f'london_{p}' for p in PEOPLE] and set(df['modality']) == {'image'}
    card = json.loads((run / 'data_card_summary.json').read_text())['corpora']['london']
    assert sum(len(s['groups']) for s in card.values()) == len(PEOPLE)

    # a second run downloads nothing (the folder is now a complete copy) and leaves the manifest as it was
    for p in list(www.iterdir()):
        p.unlink()
    r = ssb('--config', cfg, '--mode', 'download_london', '--run-id', 'lon2')
    assert r.returncode == 0, r.stderr[-3000:]
    again = json.loads((project / 'outputs' / 'runs' / 'lon2' / 'download_london_summary.json').read_text())
    assert again['detail']['skipped'] is True and again['changed'] == []


def test_download_london_wrong_checksum_names_the_key(project, server):  # noqa: F811
    url, www = server
    md5s = {**figshare_files(www), 'neutral_front.zip': 'f' * 32}
    cfg = config(project, 'lonbad', files_yaml(url, md5s) + '  root: data/lonbad/london\n  downloads: data/lonbad/dl\n')
    r = ssb('--config', cfg, '--mode', 'download_london', '--run-id', 'lonbad')
    assert r.returncode == 1 and 'neutral_front.zip (url and md5 under london.files' in r.stderr, r.stderr[-2000:]
    assert 'Checksum mismatch' in r.stderr and not (project / 'data' / 'lonbad' / 'london' / 'manifest.csv').exists()


def test_complete_copy_is_used_where_it_is(project):
    src = need_shared('faces_london_512')
    before = {p: p.stat().st_mtime_ns for p in src.rglob('*')}
    cfg = config(project, 'loncopy', f'london: {{root: "{src}"}}\n')
    r = ssb('--config', cfg, '--mode', 'download_london', '--run-id', 'loncopy')
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads((project / 'outputs' / 'runs' / 'loncopy' / 'download_london_summary.json').read_text())
    assert summary['detail']['skipped'] is True and summary['detail']['downloads'] == []
    assert summary['summaries']['london']['n_rows'] == 144 and summary['summaries']['london']['n_groups'] == 72
    assert {p: p.stat().st_mtime_ns for p in src.rglob('*')} == before   # nothing written into the copy
