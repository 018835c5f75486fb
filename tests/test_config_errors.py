"""Bad configs end to end: the command line refuses them with the config's own words, before any stage runs or any
folder is written; `--set` overrides are validated like a file and recorded in the run's `config.yaml`.

The messages themselves are checked once, in nbs/01_config.ipynb; here we check what the user sees from `ssb` (exit
code 2, one `error:` line naming the file or key) and that nothing was created or changed."""
import zipfile

import pytest
import yaml

from socialsignalbench.config import config_dict, load_config
from socialsignalbench.core import SSBError
from socialsignalbench.pipeline.cli import main
from socialsignalbench.runs import open_run


@pytest.fixture
def proj(tmp_path):
    """An empty project folder (`settings.ini` marker) with `configs/base.yaml` and a file in its data folder."""
    (tmp_path / 'settings.ini').write_text('')
    (tmp_path / 'configs').mkdir()
    (tmp_path / 'configs' / 'base.yaml').write_text('name: base\npaths: {data_dir: data, runs_dir: outputs/runs}\n')
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'keep.txt').write_text('mine')
    return tmp_path


def snapshot(d):
    """Every path below `d` with its bytes (None for folders)."""
    return {str(p.relative_to(d)): (None if p.is_dir() else p.read_bytes()) for p in sorted(d.rglob('*'))}


def write_zip(path):
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('base.yaml', 'seed: 1\n')


BAD = {  # file name -> (how to write it, what the error must say)
    'cfg.zip': (write_zip, 'is not a YAML text file (a zip archive)'),
    'binary.yaml': (lambda p: p.write_bytes(bytes(range(256))), 'is not a YAML text file'),
    'empty.yaml': (lambda p: p.write_text(''), 'is empty (no keys, at most comments)'),
    'list.yaml': (lambda p: p.write_text('- 1\n- 2\n'), 'a config must be a mapping'),
    'ext5.yaml': (lambda p: p.write_text('extends: 5\n'), "'extends' must name another config file"),
    'neg.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {params: {mfcc: {duration: -1}}}\n'),
                 "'features.params.mfcc.duration' is -1.0, out of range: it must be > 0"),
    'timeout.yaml': (lambda p: p.write_text('extends: base.yaml\nravdess: {timeout: -5, backoff: -1}\n'),
                     "'ravdess.timeout' is -5.0, out of range"),
    'bad_frac.yaml': (lambda p: p.write_text('extends: base.yaml\npreprocess: {max_bad_fraction: -1}\n'),
                      "'preprocess.max_bad_fraction' is -1.0, out of range: it must be in [0, 1]"),
    'mels.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {params: {mfcc: {n_mfcc: 80}}}\n'),
                  "'features.params.mfcc.n_mfcc' = 80: must be <= n_mels (64)"),
    'logmel_mfcc.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {params: {logmel: {n_mfcc: 20}}}\n'),
                         "'features.params.logmel.n_mfcc' is gone: log-mel frames have no MFCCs; n_mfcc is a parameter of the mfcc "
                         "feature"),
    'unknown_feature.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {params: {mfccs: {n_mfcc: 20}}}\n'),
                             "unknown_feature.yaml: 'features.params.mfccs': Unknown feature 'mfccs'. Did you mean 'mfcc'?"),
    'cascade.yaml': (lambda p: p.write_text('extends: base.yaml\n'
                                            'features: {params: {face_crop: {cascade: haarcascade_frontalface_defualt.xml}}}\n'),
                     "Did you mean 'haarcascade_frontalface_default.xml'?"),
    'old_audio.yaml': (lambda p: p.write_text('extends: base.yaml\naudio: {n_mfcc: 20, hop_length: 320}\n'),  # before features.params
                       "old_audio.yaml: the 'audio:' section is gone, its keys have moved: write audio.n_mfcc as "
                       "features.params.mfcc.n_mfcc; audio.hop_length as features.params.mfcc.hop_length"),
    'old_face.yaml': (lambda p: p.write_text('extends: base.yaml\nface: {size: 64}\nfeatures: {image: face_crop}\n'),
                      "write face.size as features.params.face_crop.size"),
    'md5.yaml': (lambda p: p.write_text('extends: base.yaml\nravdess: {md5: 12345678901234567890123456789012}\n'),
                 'put the value in quotes'),
    'moved.yaml': (lambda p: p.write_text('extends: base.yaml\nmodel: {widths: [64, 128]}\n'),  # the old layout
                   "moved.yaml: 'model.widths' has moved: write it as 'model.params.audio_cnn.widths'"),
    'rep.yaml': (lambda p: p.write_text('extends: base.yaml\naudio: {representation: logmel}\n'),  # before `features:`
                 "rep.yaml: the 'audio:' section is gone, its keys have moved: write audio.representation as features.audio "
                 "(the log-mel and the MFCCs are registered features of their own: write features.audio: logmel (or mfcc))"),
    'feature.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {audio: mel}\n'),
                     "'features.audio' = 'mel': Unknown feature 'mel'. Did you mean 'logmel'? Valid: "),
    'feature_modality.yaml': (lambda p: p.write_text('extends: base.yaml\nfeatures: {image: logmel}\n'),
                              "'features.image' = 'logmel': 'logmel' reads audio rows, not image rows"),
}


@pytest.mark.parametrize('name', sorted(BAD))
def test_bad_config_fails_before_anything_runs(proj, capsys, name):
    write, msg = BAD[name]
    cfg = proj / 'configs' / name
    write(cfg)
    before = snapshot(proj)
    assert main(['--config', str(cfg), '--mode', 'demo_data', 'preprocess']) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and msg in err and 'Traceback' not in err, err
    assert snapshot(proj) == before          # no run folder, no manifest, the config and data untouched


def test_set_overrides_are_validated_and_recorded(proj):
    base = proj / 'configs' / 'base.yaml'
    cfg = load_config(base, ['features.params.mfcc.n_mfcc=30', 'labels.scheme=seed_strict', 'ravdess.actors=[1,2]', 'ravdess.md5="0123"'])
    run = open_run(cfg, 'with-set')
    saved = yaml.safe_load((run / 'config.yaml').read_text())
    assert (saved['features']['params']['mfcc']['n_mfcc'], saved['labels']['scheme'], saved['ravdess']['actors'],
            saved['ravdess']['md5']) == \
        (30, 'seed_strict', [1, 2], '0123')
    assert config_dict(load_config(run / 'config.yaml')) == config_dict(cfg)    # the run's config.yaml reproduces the run
    before = snapshot(proj)
    for sets, msg in [(['features.params.mfcc.n_mfc=30'], "--set: unknown key 'features.params.mfcc.n_mfc' (did you mean 'n_mfcc'?)"),
                      (['features.params.mfcc.n_mfcc=thirty'], "--set: 'features.params.mfcc.n_mfcc' must be int, got str 'thirty'"),
                      (['features.params.mfcc.n_mfcc=99'], "(with --set overrides): 'features.params.mfcc.n_mfcc' = 99: must be <= n_mels"),
                      (['audio.n_mfcc=30'], "--set: the 'audio:' section is gone, its keys have moved: write audio.n_mfcc as "
                                            "features.params.mfcc.n_mfcc")]:
        with pytest.raises(SSBError) as e:
            load_config(base, sets)
        assert msg in str(e.value), str(e.value)
    assert snapshot(proj) == before


@pytest.mark.parametrize('key', ['project_dir', 'source'])
def test_set_refuses_keys_filled_in_on_load(proj, capsys, key):
    before = snapshot(proj)
    assert main(['--config', str(proj / 'configs' / 'base.yaml'), '--mode', 'demo_data', '--set', f'{key}=/elsewhere']) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --set: '{key}' cannot be set: it is filled in when a config is loaded"), err
    assert snapshot(proj) == before
    assert main(['--config', str(proj / 'configs' / 'base.yaml'), '--mode', 'demo_data', '--set', 'projectdir=1']) == 2
    err = capsys.readouterr().err
    assert 'Valid keys in top level: name, seed, ' in err and 'project_dir' not in err and 'source' not in err, err


def test_config_outside_the_project_says_where_its_paths_resolve(proj, tmp_path_factory):
    (proj / 'configs' / 'demo.yaml').write_text('extends: base.yaml\npaths: {data_dir: data/demo}\n')
    outside = tmp_path_factory.mktemp('outside')
    (outside / 'mine.yaml').write_text(f"extends: {proj / 'configs' / 'demo.yaml'}\nname: mine\n")
    cfg = load_config(outside / 'mine.yaml')
    if cfg.project_dir != str(outside.resolve()):
        pytest.skip(f'a project marker above {outside} makes it part of a project')
    from socialsignalbench.data.dataset import require_manifests
    with pytest.raises(SSBError) as e:
        require_manifests(cfg)
    assert f"No corpus manifest in {outside.resolve() / 'data' / 'demo' / 'manifests'}" in str(e.value)
    assert f"Relative paths resolve against {outside.resolve()}, the folder of {outside.resolve() / 'mine.yaml'}: no folder above it " \
           f"holds settings.ini, .git or pyproject.toml. So do the paths it takes from {proj.resolve() / 'configs' / 'demo.yaml'} " \
           f"through `extends`: to use the data of that project, put mine.yaml inside {proj.resolve()}" in str(e.value), str(e.value)
