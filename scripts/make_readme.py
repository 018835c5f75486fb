"""Generate README.md from nbs/index.ipynb without Quarto.

Markdown cells are copied; code cells are fenced as Python with nbdev directives removed; cells marked
`#| hide` are left out; plain-text outputs are fenced below their cell. Run: `python scripts/make_readme.py`.
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*)$')
HEADER = '<!-- Generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file. -->\n\n'


def cell_text(cell):
    src = cell['source']
    return ''.join(src) if isinstance(src, list) else src


def directives(text):
    return [m.group(1).strip() for line in text.splitlines() if (m := DIRECTIVE.match(line))]


def render(nb):
    parts = []
    for cell in nb['cells']:
        text = cell_text(cell)
        if any(d.split(':')[0].strip() in ('hide', 'include') and d.strip() != 'include: true'
               for d in directives(text)):
            continue
        if cell['cell_type'] == 'markdown':
            parts.append(text.strip())
        elif cell['cell_type'] == 'code':
            code = '\n'.join(line for line in text.splitlines() if not DIRECTIVE.match(line)).strip()
            if code:
                parts.append(f'```python\n{code}\n```')
            for out in cell.get('outputs', []):
                txt = out.get('text') or out.get('data', {}).get('text/plain')
                if txt:
                    parts.append('```\n' + (''.join(txt) if isinstance(txt, list) else txt).rstrip() + '\n```')
    return HEADER + '\n\n'.join(p for p in parts if p) + '\n'


def main():
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))
    out = render(nb)
    readme = ROOT / 'README.md'
    if not readme.exists() or readme.read_text(encoding='utf-8') != out:
        tmp = readme.with_suffix('.md.tmp')
        tmp.write_text(out, encoding='utf-8')
        tmp.replace(readme)


if __name__ == '__main__':
    main()
