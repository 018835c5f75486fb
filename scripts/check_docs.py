"""Check the documentation without Quarto: nbdev-process every notebook, render each to HTML with nbconvert.

Fails when a notebook does not process or render, or when a module notebook lacks its `# Title` and `>` summary.
Output: `_proc/_html/*.html` (open them in a browser). `nbdev_docs` builds the full site where Quarto exists.
"""
import json
import sys
from pathlib import Path

from nbconvert import HTMLExporter
from nbdev.config import get_config
from nbdev.doclinks import _build_modidx
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parent.parent


def has_title(nb_path):
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    for cell in nb['cells']:
        src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
        if cell['cell_type'] == 'markdown' and src.lstrip().startswith('# '):
            return any(line.startswith('> ') for line in src.splitlines())
    return False


def main():
    cfg = get_config()
    _build_modidx()
    cache = proc_nbs(cfg.nbs_path, n_workers=0, force=True)
    out = cache / '_html'
    out.mkdir(exist_ok=True)
    problems, n = [], 0
    for nb in sorted(Path(cfg.nbs_path).rglob('*.ipynb')):
        rel = nb.relative_to(cfg.nbs_path)
        if any(part.startswith(('.', '_')) for part in rel.parts):
            continue
        if not has_title(nb):
            problems.append(f'{rel}: no "# Title" markdown cell with a "> summary" line')
        proc = cache / rel
        if not proc.exists():
            problems.append(f'{rel}: nbdev did not process it')
            continue
        body, _ = HTMLExporter().from_filename(str(proc))
        if len(body) < 1000:
            problems.append(f'{rel}: rendered HTML is suspiciously short')
        (out / rel.with_suffix('.html').name).write_text(body, encoding='utf-8')
        n += 1
    if problems:
        print('Docs check failed:\n  ' + '\n  '.join(problems))
        sys.exit(1)
    print(f'Docs check: {n} notebooks processed by nbdev and rendered to HTML in {out.relative_to(ROOT)}')


if __name__ == '__main__':
    main()
