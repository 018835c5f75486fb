"""`ssb --mode download` against a local HTTP server serving an archive this test builds (no real network)."""
import functools
import hashlib
import http.server
import io
import json
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import ssb
from socialsignalbench.data.ravdess import ravdess_names


@pytest.fixture
def server(tmp_path):
    """A threaded http.server on 127.0.0.1 serving `tmp_path/www`; yields (base_url, www)."""
    www = tmp_path / 'www'
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}', www
    srv.shutdown()
    srv.server_close()


def wav_bytes(seed):
    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(seed).normal(0, 0.1, 1600).astype('float32'), 16000, format='WAV',
             subtype='PCM_16')
    return buf.getvalue()


def download(project, name, url, md5, actors=None, archive='a.zip'):
    """Write a config that downloads `url` into data/<name> and run `ssb --mode download` with run id `name`."""
    cfg = project / 'configs' / f'{name}.yaml'
    extra = f', actors: {actors}' if actors else ''
    cfg.write_text(f'extends: base_config.yaml\npaths: {{data_dir: data/{name}}}\n'
                   f'ravdess: {{url: "{url}", md5: "{md5}"{extra},\n'
                   f'          archive: data/{name}/{archive}, root: data/{name}/ravdess, backoff: 0.01}}\n')
    return ssb('--config', cfg, '--mode', 'download', '--run-id', name)


def test_download_mode_fetches_verifies_extracts_and_indexes(project, server):
    url, www = server
    with zipfile.ZipFile(www / 'Audio_Speech_Actors_01-24.zip', 'w') as z:
        for actor in (1, 2):
            for i, name in enumerate(ravdess_names(actor)):
                z.writestr(f'Actor_{actor:02d}/{name}', wav_bytes(actor * 100 + i))
    md5 = hashlib.md5((www / 'Audio_Speech_Actors_01-24.zip').read_bytes()).hexdigest()
    r = download(project, 'dl', f'{url}/Audio_Speech_Actors_01-24.zip', md5, [1, 2])
    assert r.returncode == 0, r.stderr[-3000:]
    run = project / 'outputs' / 'runs' / 'dl'
    summary = json.loads((run / 'download_summary.json').read_text())
    assert summary['summaries']['ravdess']['n_rows'] == 120 and summary['summaries']['ravdess']['n_problems'] == 0
    assert summary['detail']['download']['md5'] == md5
    df = pd.read_parquet(project / 'data' / 'dl' / 'manifests' / 'ravdess.parquet')
    assert len(df) == 120 and sorted(df.group.unique()) == ['ravdess_01', 'ravdess_02']
    assert (project / 'data/dl/ravdess/Actor_02' / ravdess_names(2)[0]).exists()
    assert json.loads((run / 'manifest.json').read_text())['inputs']['ravdess'] == \
        hashlib.sha256((project / 'data/dl/manifests/ravdess.parquet').read_bytes()).hexdigest()

    # a second run fetches nothing (the marker matches) and leaves the manifest untouched
    (www / 'Audio_Speech_Actors_01-24.zip').unlink()
    r = ssb('--config', project / 'configs' / 'dl.yaml', '--mode', 'download', '--run-id', 'dl2')
    assert r.returncode == 0, r.stderr[-3000:]
    again = json.loads((project / 'outputs' / 'runs' / 'dl2' / 'download_summary.json').read_text())
    assert again['detail']['skipped'] is True and again['changed'] == []


def test_download_mode_with_wrong_checksum_extracts_nothing(project, server):
    url, www = server
    with zipfile.ZipFile(www / 'a.zip', 'w') as z:
        z.writestr('Actor_01/03-01-01-01-01-01-01.wav', wav_bytes(0))
    r = download(project, 'badmd5', f'{url}/a.zip', 'f' * 32)
    assert r.returncode == 1 and 'MD5' in r.stderr.upper(), r.stderr[-2000:]
    assert not (project / 'data/badmd5/ravdess').exists() and not (project / 'data/badmd5/a.zip').exists()
    assert not (project / 'data/badmd5/manifests').exists()


def test_download_mode_reports_manifest_problems(project, server):
    """A stray file, an emotion code 09 and a file in the wrong actor folder: the run succeeds, the summary lists all
    three, and the terminal that ran `ssb` shows each of them (not only "done")."""
    url, www = server
    with zipfile.ZipFile(www / 'p.zip', 'w') as z:
        for i, name in enumerate(ravdess_names(1)):
            z.writestr(f'Actor_01/{name}', wav_bytes(i))
        z.writestr('Actor_01/notes.wav', b'not audio')
        z.writestr('Actor_01/03-01-09-01-01-01-01.wav', wav_bytes(98))
        z.writestr(f'Actor_02/{ravdess_names(1)[0]}', wav_bytes(99))
    md5 = hashlib.md5((www / 'p.zip').read_bytes()).hexdigest()
    r = download(project, 'problems', f'{url}/p.zip', md5, [1], 'p.zip')
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads((project / 'outputs' / 'runs' / 'problems' / 'download_summary.json').read_text())
    assert summary['summaries']['ravdess']['n_problems'] == 3 and summary['summaries']['ravdess']['n_rows'] == 60
    text = r.stdout
    assert '[download] ravdess: 60 rows; 3 input(s) left out' in text, text
    for what in ('Actor_01/notes.wav', 'emotion_code=09', "folder 'Actor_02'"):
        assert what in text, text


def test_full_disk_names_the_part_file_and_keeps_it_to_resume(server, tmp_path, monkeypatch):
    import builtins
    import errno
    from socialsignalbench.core import SSBError
    from socialsignalbench.data import download as dl
    url, www = server
    data = np.random.default_rng(0).bytes(10_000)
    (www / 'a.zip').write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()

    class FullDisk(io.FileIO):       # room for 4096 bytes, then errno 28 like a full disk
        def write(self, b):
            if self.tell() + len(b) > 4096:
                raise OSError(errno.ENOSPC, 'No space left on device')
            return super().write(b)
    monkeypatch.setattr(dl, 'open', lambda p, mode='r', *a, **k: FullDisk(p, mode.replace('b', '')) if str(p).endswith('.part')
                        else builtins.open(p, mode, *a, **k), raising=False)
    dest = tmp_path / 'data' / 'a.zip'
    with pytest.raises(SSBError) as e:
        dl.download_file(f'{url}/a.zip', dest, md5, retries=2, backoff=0.01, chunk=1024)
    part = tmp_path / 'data' / 'a.zip.part'
    assert str(e.value) == (f"No space left on the device while writing {part}. Free some space (or point the config's paths at a "
                            f"bigger disk) and run again. The 4096 bytes received so far are kept in {part}: the next run resumes from "
                            f"there.")
    assert part.read_bytes() == data[:4096] and not dest.exists()
    monkeypatch.undo()
    r = dl.download_file(f'{url}/a.zip', dest, md5, retries=2, backoff=0.01, chunk=1024)
    assert dest.read_bytes() == data and r.n_requests == 1 and not part.exists()   # (http.server ignores Range: resuming is
    #                                                               checked against a Range-serving host in nbs/10_download.ipynb)
