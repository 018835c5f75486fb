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


def _module_graph():
    """Package module -> the package modules it imports anywhere in its source (function-level imports included)."""
    mods = {'.'.join(p.relative_to(PKG).with_suffix('').parts): p for p in PKG.rglob('*.py') if p.stem not in ('_modidx', '__init__')}
    resolve = lambda m: m if m in mods else m.rsplit('.', 1)[0] if m.rsplit('.', 1)[0] in mods else None
    return {m: {r for i in imports(p) if (r := resolve(i)) and r != m} for m, p in mods.items()}


def find_cycles(graph):
    """Every import cycle of `graph` (module -> modules it imports) found by depth-first search, as 'a -> b -> a'."""
    state, cycles = {}, []

    def visit(m, path):
        state[m] = 'open'
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 'open':
                cycles.append(' -> '.join(path[path.index(n):] + [n]))
            elif n not in state:
                visit(n, path + [n])
        state[m] = 'done'
    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return cycles


def test_no_import_cycle():
    cycles = find_cycles(_module_graph())
    assert not cycles, '\n'.join(cycles)


def test_find_cycles():
    assert find_cycles({'evaluation.evaluate': {'evaluation.fusion'}, 'evaluation.fusion': {'evaluation.evaluate'}}) == [
        'evaluation.evaluate -> evaluation.fusion -> evaluation.evaluate']
    assert find_cycles({'a': {'b'}, 'b': {'c'}, 'c': set()}) == []
