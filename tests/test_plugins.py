"""Plugins from outside the package: the installed example package (entry point), a one-file plugin through
`--plugin`, a plugin stage with its own report, and plugins that fail (the built-in registries stay as they were)."""
import contextlib
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from conftest import ROOT, ssb, ssb_ok
from socialsignalbench.core import FEATURES, STAGES, SSBError, journal
from socialsignalbench.metrics.report import read_report
from socialsignalbench.plugins import LOADED, _builtin, load_plugin

EXAMPLE = ROOT / 'examples' / 'ssb-plugin-example'


@pytest.fixture(autouse=True)
def plugins_left_behind():
    """What a test's plugins register in this process is dropped after it: a test plugin's metric (`len`, say) must not
    be computed by another test file's evaluation (it was, in CI: test_repeats failed with "len() takes no keyword arguments")."""
    loaded = set(LOADED)
    with journal() as rec:
        yield
    for reg, name, origin in rec:
        if not _builtin(origin): reg.drop(name)
    for ref in set(LOADED) - loaded: sys.modules.pop(LOADED.pop(ref).module, None)

ONE_FILE = '''
"""A one-file plugin: a linear model over frame-averaged MFCCs."""
import dataclasses
import torch
from torch import nn
from socialsignalbench.models.core import MODELS, EmbedClassifier, ModelSpec

@dataclasses.dataclass(frozen=True)
class MeanLinearParams:
    embed_dim: int = 8  # size of the embedding

class MeanLinear(EmbedClassifier):
    def __init__(self, in_shape, n_classes, p):
        super().__init__(p.embed_dim, n_classes)
        self.proj = nn.Linear(in_shape[0], p.embed_dim)
    def embed(self, x):
        return torch.tanh(self.proj(x.mean(-1)))

MODELS.register('mean_linear', ModelSpec('mean_linear', 'audio', 'torch', MeanLinear, params=MeanLinearParams))
'''

STAGE = '''
from socialsignalbench.core import declare_stage
declare_stage('hello', 'hello.ipynb', 'a stage of a plugin: writes hello.json', writes=('hello.json',), func='hello')

def hello(cfg, run_dir):
    import json, pathlib
    (pathlib.Path(run_dir) / 'hello.json').write_text(json.dumps({'config': cfg.name, 'plugins': list(cfg.plugins)}))
'''


def report(source):
    """A report notebook: the usual parameters cell, then `source`."""
    cell = lambda i, s, tags=(): {'cell_type': 'code', 'id': i, 'metadata': {'tags': list(tags)}, 'outputs': [],
                                  'execution_count': None, 'source': s}
    return json.dumps({'cells': [cell('p', "config_path = ''  # c\nrun_dir = ''  # r", ['parameters']), cell('w', source)],
                       'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
                       'nbformat': 4, 'nbformat_minor': 5})


def run_in(project, *args, pythonpath=None, timeout=900):
    """`ssb ARGS` in `project` with `pythonpath` put first on PYTHONPATH."""
    env = {**os.environ, 'SSB_PROGRESS': '0'}
    if pythonpath:
        env['PYTHONPATH'] = os.pathsep.join([str(pythonpath), *filter(None, [env.get('PYTHONPATH')])])
    return subprocess.run([sys.executable, '-m', 'socialsignalbench.pipeline.cli', *map(str, args)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)


DIST = 'ssb-plugin-example'


def pip(*args):
    """`python -m pip ARGS` of the interpreter running the tests (its venv)."""
    return subprocess.run([sys.executable, '-m', 'pip', *map(str, args)], capture_output=True, text=True, timeout=300)


@contextlib.contextmanager
def pip_installed(folder, dist):
    """`folder` pip-installed into the running venv (offline: no dependencies, no build isolation, no index), and
    uninstalled when the block ends, also when it fails."""
    if importlib.util.find_spec('pip') is None:
        pytest.skip(f'pip is not available to {sys.executable}: the example plugin cannot be installed into its venv')
    if pip('show', dist).returncode == 0:
        pytest.skip(f'{dist} is already installed in the venv of {sys.executable}: uninstall it first (this test installs and '
                    'uninstalls it, and checks that it is gone afterwards)')
    try:
        r = pip('install', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', folder)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
        yield
    finally:
        u = pip('uninstall', '--yes', dist)
        importlib.invalidate_caches()
    assert u.returncode == 0 and pip('show', dist).returncode != 0, u.stdout[-2000:] + u.stderr[-2000:]


DISCOVER = ('import importlib.metadata as m\n'
            'print(sorted((e.group, e.name, e.value) for e in m.distribution("ssb-plugin-example").entry_points))\n'
            'from socialsignalbench.plugins import load_installed\n'
            'print([(p.ref, p.source, sorted(p.entries)) for p in load_installed()])\n')


def test_installed_example_trains_and_evaluates(project, tmp_path):
    """pip installs examples/ssb-plugin-example into the running venv (offline); `ssb` finds it through the installed
    distribution's entry point and runs train + evaluate on the tiny demo with its CRNN and its feature; then it is
    uninstalled (also when the test fails) and its model is unknown again."""
    src = shutil.copytree(EXAMPLE, tmp_path / EXAMPLE.name, ignore=shutil.ignore_patterns('build', '*.egg-info'))   # built there
    with pip_installed(src, DIST):
        r = subprocess.run([sys.executable, '-c', DISCOVER], capture_output=True, text=True, timeout=300, cwd=project)
        assert r.returncode == 0, r.stderr[-3000:]
        eps, loaded = r.stdout.strip().splitlines()
        assert eps == str([('socialsignalbench.plugins', 'ssb_plugin_example', 'ssb_plugin_example')]), eps
        assert "('ssb_plugin_example', \"entry point 'ssb_plugin_example' of ssb" in loaded, loaded
        assert "('model', 'example_crnn')" in loaded and "('feature', 'example_delta_mfcc')" in loaded, loaded
        r = run_in(project, '--config', 'configs/small.yaml', '--mode', 'demo_data', 'preprocess', 'train', 'evaluate',
                   '--set', 'model.name=example_crnn', '--set', 'train.epochs=2', '--run-id', 'plugin-example')
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
        run = project / 'outputs' / 'runs' / 'plugin-example'
        cfg = yaml.safe_load((run / 'config.yaml').read_text())
        assert cfg['model']['name'] == 'example_crnn'
        rep = read_report(run / 'metrics.json')
        assert rep.meta['model'] == 'example_crnn' and {'accuracy', 'uar'} <= set(rep.headline)
        assert (run / 'model_best.pt').is_file() and (run / 'evaluate.html').is_file()
        assert run_in(project, '--help').returncode == 0
    gone = run_in(project, '--config', 'configs/small.yaml', '--mode', 'train', '--set', 'model.name=example_crnn',
                  '--run-id', 'plugin-gone')
    assert gone.returncode != 0 and "example_crnn" in gone.stderr


def test_one_file_plugin_trains_through_the_cli(project, tmp_path):
    """`ssb --plugin mean_linear.py`: its model trains on the tiny demo; the run's config.yaml records the plugin
    (absolute path), so the report kernel and a later re-run load it too."""
    (tmp_path / 'mean_linear.py').write_text(textwrap.dedent(ONE_FILE))
    r = ssb_ok('--plugin', tmp_path / 'mean_linear.py', '--config', 'configs/small.yaml', '--mode', 'demo_data', 'preprocess',
               'train', '--set', 'model.name=mean_linear', '--set', 'train.epochs=2', '--run-id', 'plugin-file',
               cwd=project)
    assert '3/3 train' in r.stdout
    run = project / 'outputs' / 'runs' / 'plugin-file'
    cfg = yaml.safe_load((run / 'config.yaml').read_text())
    assert cfg['plugins'] == [str((tmp_path / 'mean_linear.py').resolve())] and cfg['model']['name'] == 'mean_linear'
    assert (run / 'model_best.pt').is_file() and (run / 'train.html').is_file()


SKLEARN = '''
"""A one-file plugin: a scikit-learn model (Gaussian naive Bayes on pooled MFCC statistics), stored as tensors."""
import dataclasses
import numpy as np
import torch
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from socialsignalbench.models.audio_logreg import pooled_stats
from socialsignalbench.models.core import MODELS, ModelSpec

@dataclasses.dataclass(frozen=True)
class NbParams:
    var_smoothing: float = 1e-6  # added to the variances

KEYS = ('theta_', 'var_', 'class_prior_', 'classes_')

def build(in_shape, n_classes, p, seed=None):
    return Pipeline([('pool', FunctionTransformer(pooled_stats)), ('nb', GaussianNB(var_smoothing=p.var_smoothing))])

def to_tensors(fitted):
    return {k: torch.as_tensor(np.asarray(getattr(fitted.named_steps['nb'], k), dtype=np.float64)) for k in KEYS}

def from_tensors(d, p):
    pipe = build(None, None, p)
    nb = pipe.named_steps['nb']
    for k in KEYS:
        setattr(nb, k, d[k].numpy())
    nb.classes_, nb.n_features_in_ = nb.classes_.astype(int), nb.theta_.shape[1]
    return pipe

MODELS.register('my_nb', ModelSpec('my_nb', 'audio', 'sklearn', build, params=NbParams, to_tensors=to_tensors,
                                   from_tensors=from_tensors))
'''

METRIC = '''
"""A one-file plugin: a metric (the share of items predicted as the majority predicted class)."""
import numpy as np
from socialsignalbench.metrics.functional import confusion_matrix, declare_metric

def top_share(y_true, y_pred, sample_weight=None, n_classes=None):
    cm = confusion_matrix(y_true, y_pred, sample_weight, n_classes)   # (K, K), or (b, K, K) for (b, n) weights
    cols = cm.sum(-2)
    return cols.max(-1) / cols.sum(-1)

declare_metric('my_top_share', top_share, False, False, description='share of the most predicted class')
'''

EVALUATOR = '''
"""A one-file plugin: an evaluation protocol (the run's checkpoints on the test split, plus a table of its own),
claiming the runs that hold a file `my_protocol`."""
import pandas as pd
from socialsignalbench.evaluation.evaluate import checkpoint_paths, evaluate_checkpoint
from socialsignalbench.evaluation.evaluators import EVALUATORS, Evaluation, Evaluator

def claims(cfg, run_dir, **given):
    return (run_dir / 'my_protocol').exists()

def evaluate(cfg, run_dir):
    path, refs, _ = checkpoint_paths(run_dir)
    evals = [evaluate_checkpoint(cfg, path, 'model')] + [evaluate_checkpoint(cfg, f, 'reference') for f in refs]
    return Evaluation(evals=evals, checkpoint=str(path), tables={'my_protocol.csv': pd.DataFrame({'items': [len(evals[0].test)]})})

EVALUATORS.register('my_protocol', Evaluator('my_protocol', claims, evaluate, order=1))
'''


def test_one_file_routes_sklearn_model_metric_evaluator(project, tmp_path):
    """A scikit-learn model, a metric and an evaluation protocol, each one plugin file named with `--plugin`: the model
    trains as the classical reference (`model.reference`; the trained model is a torch one) and is evaluated, the metric
    is in every metrics.json, the protocol evaluates the run that asks for it."""
    for name, source in (('my_nb', SKLEARN), ('my_metric', METRIC), ('my_protocol', EVALUATOR)):
        (tmp_path / f'{name}.py').write_text(textwrap.dedent(source))
    plugins = [a for n in ('my_nb', 'my_metric', 'my_protocol') for a in ('--plugin', tmp_path / f'{n}.py')]
    keys = ('--set', 'model.reference=my_nb', '--set', 'train.epochs=2')
    ssb_ok(*plugins, '--config', 'configs/small.yaml', '--mode', 'demo_data', 'preprocess', 'train', *keys, '--run-id', 'plugin-routes',
           cwd=project)
    run = project / 'outputs' / 'runs' / 'plugin-routes'
    (run / 'my_protocol').touch()
    ssb_ok(*plugins, '--config', 'configs/small.yaml', '--mode', 'evaluate', *keys, '--run-id', 'plugin-routes', cwd=project)
    model, ref = read_report(run / 'metrics.json'), read_report(run / 'metrics_reference.json')
    assert ref.meta['model'] == 'my_nb' and {'my_top_share', 'uar'} <= set(ref.headline) & set(model.headline), list(ref.headline)
    assert (run / 'my_protocol.csv').is_file() and 'my_protocol.csv' in json.loads((run / 'evaluate_summary.json').read_text())['files']


FUSION = '''
"""A one-file plugin: a fusion model (no weights: the element-wise maximum of the two probability vectors)."""
import torch
from torch import nn
from socialsignalbench.models.core import MODELS
from socialsignalbench.models.fusion import FusionSpec

class MaxFusion(nn.Module):
    def __init__(self, in_shape, n_classes, params=None):
        super().__init__()
        self.n_classes = n_classes
    def forward(self, x):
        p = torch.maximum(x[:, :self.n_classes], x[:, self.n_classes:])
        return torch.log((p / p.sum(1, keepdim=True)).clamp_min(1e-12))

MODELS.register('my_max_fusion', FusionSpec('my_max_fusion', 'pair', 'torch', MaxFusion, reads='probs', trains=False,
                                            fills=(('uniform', 'uniform probabilities'),)))
'''


def test_one_file_fusion_model(tmp_path):
    """A fusion model is one plugin file too: `train_fusion` can name it (`fusion_spec`), and it builds like the package's
    (a whole fusion run needs an audio and a face run: the suite tests run those)."""
    import torch
    from socialsignalbench.models.fusion import build_fusion, fusion_models, fusion_spec
    (tmp_path / 'my_fusion.py').write_text(textwrap.dedent(FUSION))
    assert load_plugin(tmp_path / 'my_fusion.py').entries == (('model', 'my_max_fusion'),)
    assert 'my_max_fusion' in fusion_models() and fusion_spec('my_max_fusion').reads == 'probs'
    m = build_fusion('my_max_fusion', (3, 3), 3, seed=0)
    p = torch.softmax(m(torch.tensor([[.7, .2, .1, .1, .1, .8]])), 1)
    assert torch.allclose(p, torch.tensor([[.7, .2, .8]]) / 1.7)


def test_plugin_stage_runs_like_a_builtin(project, tmp_path):
    """A plugin's stage, with its report notebook in the plugin's folder, runs through `ssb --mode`: named by
    `--plugin`, or by `plugins:` in a config (relative to the config's folder); `--help` lists it."""
    plug = project / 'plugins'
    plug.mkdir(exist_ok=True)
    (plug / 'hello_stage.py').write_text(textwrap.dedent(STAGE))
    (plug / 'hello.ipynb').write_text(report('from socialsignalbench.pipeline.runner import report_setup\n'
                                             'cfg = report_setup(config_path)  # loads the run\'s plugins\n'
                                             'import hello_stage\nhello_stage.hello(cfg, run_dir)'))
    help_ = ssb('--plugin', 'plugins/hello_stage.py', '--help', cwd=project)
    assert help_.returncode == 0 and 'hello           a stage of a plugin' in help_.stdout, help_.stdout
    ssb_ok('--plugin', 'plugins/hello_stage.py', '--config', 'configs/small.yaml', '--mode', 'hello', '--run-id', 'hello-cli',
           cwd=project)
    (project / 'configs' / 'hello.yaml').write_text('extends: small.yaml\nplugins: [../plugins/hello_stage.py]\n')
    ssb_ok('--config', 'configs/hello.yaml', '--mode', 'hello', '--run-id', 'hello-cfg', cwd=project)
    for run in ('hello-cli', 'hello-cfg'):
        out = json.loads((project / 'outputs' / 'runs' / run / 'hello.json').read_text())
        assert out['plugins'] == [str((plug / 'hello_stage.py').resolve())], out
        assert (project / 'outputs' / 'runs' / run / 'hello.html').is_file()
    bad = ssb('--config', 'configs/small.yaml', '--mode', 'hello', cwd=project)     # without the plugin: no such mode
    assert bad.returncode == 2 and "Unknown mode 'hello'" in bad.stderr, bad.stderr


def test_a_plugin_metric_with_a_wrong_signature_is_named(tmp_path):
    """A plugin metric whose function does not take the call the stage makes is refused naming the metric, the plugin
    and the contract (it failed deep inside the bootstrap with "len() takes no keyword arguments", naming nothing)."""
    from socialsignalbench.data.labels import load_scheme
    from socialsignalbench.metrics.predictions import Predictions
    from socialsignalbench.metrics.report import metrics_report
    (tmp_path / 'len_metric.py').write_text('from socialsignalbench.metrics.functional import declare_metric\n'
                                            "declare_metric('len_metric', len, True, False)\n")
    load_plugin(tmp_path / 'len_metric.py')
    classes = tuple(load_scheme('seed').classes)
    probs = [[.6 if j == i % len(classes) else .4 / (len(classes) - 1) for j in range(len(classes))] for i in range(8)]
    preds = Predictions([f'c:{i}' for i in range(8)], [f's{i % 4}' for i in range(8)], [i % len(classes) for i in range(8)], probs,
                        classes)
    with pytest.raises(SSBError) as e:
        metrics_report(preds, 'seed', n_boot=20)
    msg = str(e.value)
    for piece in ["Metric 'len_metric' (plugin ", 'len_metric.py', 'function builtins:len', 'TypeError',
                  'fn(y_true, y_pred, sample_weight, n_classes=K)', 'keyword arguments: n_classes']:
        assert piece in msg, (piece, msg)


def registries():
    """The names in every built-in registry (models and features imported first)."""
    from socialsignalbench.data.labels import SCHEMES
    from socialsignalbench.features.loader import FEATURE_SPECS, _import_features
    from socialsignalbench.metrics.functional import METRICS
    from socialsignalbench.models.core import MODELS, all_models
    all_models()
    _import_features()
    return {r.what: r.names() for r in (MODELS, FEATURE_SPECS, FEATURES, SCHEMES, METRICS, STAGES)}


BAD = {
    'fails_import': ('from socialsignalbench.metrics.functional import declare_metric\n'
                     "declare_metric('fine_metric', len, True, False)\n"
                     'import numpy.no_such_module\n',
                     ['fails_import.py', 'failed to import at', 'fails_import.py, line 3: ModuleNotFoundError', 'numpy.no_such_module']),
    'taken_name': ('from socialsignalbench.models.core import MODELS, ModelSpec\n'
                   "MODELS.register('my_fine_model', ModelSpec('my_fine_model', 'audio', 'torch', dict))\n"
                   "MODELS.register('audio_cnn', ModelSpec('audio_cnn', 'audio', 'torch', dict))\n",
                   ['taken_name.py', "Duplicate model 'audio_cnn'", 'line 3']),
    'no_base_class': ('from socialsignalbench.models.core import MODELS\nfrom torch import nn\n'
                      "MODELS.register('my_linear', nn.Linear)\n",
                      ['no_base_class.py', "The model 'my_linear' is torch.nn.modules.linear:Linear (type), not a ModelSpec"]),
    'bad_scheme': ('from socialsignalbench.data.labels import SCHEMES\n'
                   "SCHEMES.register('my_scheme', {'classes': ['a', 'b']})\n",
                   ["The label scheme 'my_scheme'", 'not a LabelScheme']),
}


@pytest.mark.parametrize('name', sorted(BAD))
def test_failing_plugin_names_plugin_and_entry_and_changes_nothing(tmp_path, name):
    source, expected = BAD[name]
    before = registries()
    (tmp_path / f'{name}.py').write_text(source)
    with pytest.raises(SSBError) as e:
        load_plugin(tmp_path / f'{name}.py', source='plugins: in my.yaml')
    for piece in [str(tmp_path / name), '(plugins: in my.yaml)', 'Nothing it registered was kept', *expected]:
        assert piece in str(e.value), (piece, str(e.value))
    assert registries() == before
    assert name not in sys.modules and not [k for k in LOADED if name in k]


def test_failing_plugin_stops_the_cli_before_any_run(project, tmp_path):
    (tmp_path / 'taken_stage.py').write_text("from socialsignalbench.core import declare_stage\n"
                                             "declare_stage('train', 'mine.ipynb', 'my own train')\n")
    r = ssb('--config', 'configs/small.yaml', '--mode', 'demo_data', '--plugin', tmp_path / 'taken_stage.py',
            '--run-id', 'never', cwd=project)
    assert r.returncode == 2 and 'taken_stage.py' in r.stderr and "Duplicate stage 'train'" in r.stderr, r.stderr
    assert not (project / 'outputs' / 'runs' / 'never').exists()


def test_loading_a_plugin_twice_is_a_no_op(tmp_path):
    (tmp_path / 'twice_metric.py').write_text('from socialsignalbench.metrics.functional import declare_metric\n'
                                              "COUNT = globals().get('COUNT', 0) + 1\n"
                                              "declare_metric('twice_metric', len, True, False)\n")
    first = load_plugin(tmp_path / 'twice_metric.py')
    again = load_plugin(str(tmp_path / '.' / 'twice_metric.py'))
    assert again is first and first.entries == (('metric', 'twice_metric'),) and sys.modules['twice_metric'].COUNT == 1


@pytest.mark.parametrize('source, entry', [
    ("from socialsignalbench.models.core import MODELS, ModelSpec\n"
     "MODELS.register('audio_cnn', ModelSpec('audio_cnn', 'audio', 'torch', dict))\n", "Duplicate model 'audio_cnn'"),
    ("from socialsignalbench.features.loader import FEATURE_SPECS\nFEATURE_SPECS.register('mfcc', len)\n",
     "Duplicate feature 'mfcc'"),
    ("from socialsignalbench.core import FEATURES\nFEATURES.register('face_crop', len)\n", "Duplicate feature extractor 'face_crop'"),
    ("from socialsignalbench.core import declare_stage\ndeclare_stage('evaluate', 'mine.ipynb', 'mine')\n",
     "Duplicate stage 'evaluate'")])
def test_a_plugin_cannot_take_a_name_the_package_reads_later(tmp_path, source, entry):
    """In a fresh interpreter the package's models, features and stages are read on first use: a plugin registering
    one of their names first is still refused (the package's entries are read before a plugin adds one)."""
    (tmp_path / 'early.py').write_text(source)
    code = ('from socialsignalbench.plugins import load_plugin\n'
            'try: load_plugin("early.py")\nexcept Exception as e: print(type(e).__name__, e)\n')
    r = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.startswith("SSBError Plugin '") and entry in r.stdout, r.stdout + r.stderr
