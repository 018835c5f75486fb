"""The package layout mirrors the notebook bands, and a lower subpackage never imports a higher one."""
import ast
from pathlib import Path

import socialsignalbench

PKG = Path(socialsignalbench.__file__).parent
# band order, lowest first: a module may import only from its own layer and the layers before it
LAYERS = ['core', 'io', 'plugins', 'config', 'runs', 'data', 'features', 'metrics', 'models', 'train', 'evaluation', 'pipeline']


def layer(module):
    """The layer of a module named relative to the package, e.g. 'data.labels' -> 'data'."""
    head = module.split('.')[0]
    assert head in LAYERS, f'{module}: not in a known layer {LAYERS}'
    return LAYERS.index(head)


def imports(path):
    """Package-internal modules imported by one source file (absolute names relative to the package)."""
    rel = path.relative_to(PKG).with_suffix('').parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[:len(rel) - node.level])
                mod = '.'.join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f'{mod}.{a.name}'.strip('.') for a in node.names]
            elif (node.module or '').startswith('socialsignalbench.'):
                names = [node.module.split('.', 1)[1]]
            else:
                continue
            out.update(n for n in names if n)
        elif isinstance(node, ast.Import):
            out.update(a.name.split('.', 1)[1] for a in node.names if a.name.startswith('socialsignalbench.'))
    return out


def test_lower_layers_never_import_higher_ones():
    bad = []
    for path in sorted(PKG.rglob('*.py')):
        rel = path.relative_to(PKG).with_suffix('')
        if rel.name in ('_modidx', '__init__') and len(rel.parts) == 1:
            continue
        me = layer('.'.join(rel.parts))
        for mod in imports(path):
            if layer(mod) > me:
                bad.append(f'{rel}: imports {mod}')
    assert not bad, '\n'.join(bad)


def test_subpackages_mirror_the_bands():
    subs = {p.name for p in PKG.iterdir() if p.is_dir() and (p / '__init__.py').exists()}
    assert {'data', 'features', 'pipeline'} <= subs, subs
    assert not [p.name for p in PKG.glob('*.py') if p.stem not in ('__init__', '_modidx', 'core', 'io', 'plugins', 'config', 'runs')]
