"""Registries are the only route: no registered model or feature name is written as a string in train/, evaluation/ or pipeline/.

A module there that names an entry ('fusion_concat', 'mfcc', ...) branches on it or hard-codes it; what differs between
entries belongs to the entry's own file (its `ModelSpec` / `FeatureSpec`), and names a run uses belong to configs.
Docstrings are not checked: they document (an example name in prose), they do not decide anything. `__all__` lists are
not checked either: they name the module's own definitions (`pipeline.explore.face_crop` is a function, not the feature).

Evaluation protocols (`evaluation.evaluators.EVALUATORS`: holdout, kfold, fusion, external, a plugin's) share their names
with config values and folders ('kfold' is a `split.mode`, 'fusion' a config section and a suite run), so for them the
check is narrower: no module but the entry's own file (where its `claims` and `evaluate` are defined) compares a value
with an evaluator name (`==`, `!=`, `in (...)`, `case`). Two comparisons are not branches on a protocol: the config's
`split.mode` against its choices (training reads it; the holdout and k-fold protocols claim runs by it), and a key
looked up in a mapping (`'fusion' in meta`).
"""
import ast
import inspect
import re
from pathlib import Path


import socialsignalbench

PKG = Path(socialsignalbench.__file__).parent
CHECKED = ('train', 'evaluation', 'pipeline')


def registered_names():
    """Every registered model and feature name (the package's own, importing every entry module)."""
    from socialsignalbench.models.core import all_models
    from socialsignalbench.features import loader
    names = set(all_models())
    if hasattr(loader, '_import_features'):
        loader._import_features()
    names |= set(loader.FEATURE_SPECS.names())
    from socialsignalbench import core
    names |= set(core.FEATURES.names()) if hasattr(core, 'FEATURES') else set()
    return names


def _docstrings(tree):
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _all_lists(tree):
    return {id(c) for n in ast.walk(tree) if isinstance(n, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in n.targets)
            for c in ast.walk(n.value)}


def named_entries(source, names):
    """(line, name, the string) of every string constant in `source` naming one of `names` as a whole word."""
    rx = re.compile(r'(?<![\w.])(' + '|'.join(sorted(map(re.escape, names), key=len, reverse=True)) + r')(?!\w)')
    tree = ast.parse(source)
    skip = _docstrings(tree) | _all_lists(tree)
    return [(n.lineno, m.group(1), n.value[:80]) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip and (m := rx.search(n.value))]


def test_the_check_finds_a_name():
    src = ('def f(name):\n    "Docs may say audio_cnn."\n    __all__ = ["mfcc"]\n'
           '    return name == "fusion_concat" or f"{name} is not mfcc"\n')
    assert [(line, name) for line, name, _ in named_entries(src, {'fusion_concat', 'mfcc', 'audio_cnn'})] == [
        (4, 'fusion_concat'), (4, 'mfcc')]
    assert named_entries('x = "model.params.audio_cnn_v2"\n', {'audio_cnn'}) == []


def test_registries_are_the_only_route():
    names = registered_names()
    assert {'audio_cnn', 'mfcc'} <= names, names   # the registries were read
    found = [f'{p.relative_to(PKG)}:{line}: {name!r} in {text!r}'
             for sub in CHECKED for p in sorted((PKG/sub).rglob('*.py')) if p.name != '__init__.py'
             for line, name, text in named_entries(p.read_text(encoding='utf-8'), names)]
    assert not found, ('registered names written in stage code (move what differs into the entry, or the name into a config):\n'
                       + '\n'.join(found))


def evaluator_files():
    """Every registered evaluator's name -> the files of its entry (where its `claims` and `evaluate` are defined)."""
    from socialsignalbench.evaluation.evaluators import EVALUATORS, _import_evaluators
    _import_evaluators()
    return {n: {Path(inspect.getsourcefile(f)).resolve() for f in (EVALUATORS[n].claims, EVALUATORS[n].evaluate)}
            for n in EVALUATORS.names()}


def _split_mode(node):
    return isinstance(node, ast.Attribute) and node.attr == 'mode' and isinstance(node.value, ast.Attribute) and node.value.attr == 'split'


def compared_names(source, names):
    """(line, name, the comparison) of every comparison of a value with one of `names`: `==`/`!=`/`is` with the name,
    `in` a tuple, list or set holding it, a `case` of it; not `split.mode` against its choices, not `'name' in mapping`."""
    name = lambda n: n.value if isinstance(n, ast.Constant) and n.value in names else None
    out = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.Compare):
            for a, op, b in zip([n.left, *n.comparators], n.ops, n.comparators):
                if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)) and not (_split_mode(a) or _split_mode(b)):
                    hits = [x for x in (name(a), name(b)) if x]
                elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(b, (ast.Tuple, ast.List, ast.Set)) and not _split_mode(a):
                    hits = [x for x in map(name, b.elts) if x]
                else:
                    hits = []
                out += [(n.lineno, h, ast.unparse(n)[:80]) for h in hits]
        elif isinstance(n, ast.match_case) and isinstance(n.pattern, ast.MatchValue) and (h := name(n.pattern.value)):
            out.append((n.pattern.lineno, h, f'case {h!r}'))
    return out


def test_the_check_finds_a_branch_on_a_protocol():
    src = ("if meta.get('role') == 'external': pass\nok = protocol in ('kfold', 'x')\nif 'fusion' in meta: pass\n"
           "if cfg.split.mode == 'kfold': pass\nmatch p:\n    case 'holdout': pass\nname = 'fusion'\n")
    assert [(line, name) for line, name, _ in compared_names(src, {'external', 'kfold', 'fusion', 'holdout'})] == [
        (1, 'external'), (2, 'kfold'), (6, 'holdout')]


def test_evaluators_are_chosen_through_the_registry():
    own = evaluator_files()
    assert {'holdout', 'kfold', 'fusion', 'external'} <= set(own), own   # the registry was read
    found = [f'{p.relative_to(PKG)}:{line}: {name!r} in {text!r}'
             for sub in CHECKED for p in sorted((PKG/sub).rglob('*.py')) if p.name != '__init__.py'
             for line, name, text in compared_names(p.read_text(encoding='utf-8'), set(own)) if p.resolve() not in own[name]]
    assert not found, ('stage code branches on an evaluation protocol (let `evaluators.evaluator_for` choose it, or move what '
                       'differs into the evaluator):\n' + '\n'.join(found))
