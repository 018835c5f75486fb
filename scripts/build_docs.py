"""Build the documentation site without Quarto: `make docs` -> site/index.html (browsable from disk).

1. nbdev processes the notebooks (`proc_nbs`: `#| hide` cells dropped, `show_doc` executed, doc links added, the
   `# Title` / `> summary` cell turned into front matter) into `_proc/`; only changed notebooks are redone.
2. Each processed module notebook (nbs/*.ipynb) and tutorial (nbs/tutorials/*.ipynb) becomes a page notebook in
   `_proc/mkdocs/<output-file>.ipynb` with what Quarto would do applied: front matter -> title + description,
   `#| echo: false` -> input removed, `#| output: asis` -> the markdown output becomes a markdown cell, `show_doc`'s
   pandoc attributes dropped, links to the published site made relative. Report notebooks (nbs/reports) are pipeline
   stages, listed on one generated page.
3. mkdocs (material theme) + mkdocs-jupyter build `site/` from `mkdocs.yml`; its hooks (scripts/docs_hooks.py) add
   the nav written here (`_proc/mkdocs_nav.yml`: sections by subpackage, then tutorials) and fix heading ids/TOC.

`nbdev_docs` builds the Quarto site (_quarto.yml) where Quarto is installed; pages have the same names there.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from nbdev.config import get_config
from nbdev.serve import proc_nbs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_hooks import pandoc_id  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROC = ROOT/'_proc'
PAGES = PROC/'mkdocs'
SITE = ROOT/'site'
# Nav sections by the notebook's `default_exp` package; anything else (index, tutorials) is placed explicitly.
SECTIONS = {'core': 'Core', 'plugins': 'Core', 'config': 'Core', 'runs': 'Core', 'data': 'Data', 'features': 'Features',
            'models': 'Models', 'train': 'Training', 'gold': 'Gold slice', 'metrics': 'Metrics',
            'evaluation': 'Evaluation', 'pipeline': 'Pipeline'}
_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
# show_doc's source link: [source](url){target="_blank" style="float:right; font-size:smaller"}
_SOURCE_LINK = re.compile(r'\[source\]\(([^)\s]+)\)\{[^}\n]*\}')
_PANDOC_ATTRS = re.compile(r'(\]\([^)\s]+\))\{[^}\n]*\}')
# nbdev links every backticked name it knows (`[`name`](page.html#anchor)`), also names no show_doc documents.
_DOC_LINK = re.compile(r'\[(`[^`\]]+`)\]\(((?:\.\./)*)([\w/.-]+\.html)#([^)\s]+)\)')
_HEADING = re.compile(r'^#{1,6}\s+(.+?)\s*#*\s*$', re.M)


def src(cell):
    return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']


def directives(source):
    "Split a code cell's leading `#| key: value` lines from its code: (dict, code)."
    lines, opts = source.splitlines(), {}
    while lines and (m := _DIRECTIVE.match(lines[0])):
        opts[m.group(1)] = m.group(2).strip().strip('"\'') or 'true'
        lines.pop(0)
    return opts, '\n'.join(lines)


def front_matter(nb):
    "The YAML front matter nbdev put in the first raw cell (or {})."
    for cell in nb['cells']:
        s = src(cell).strip()
        if cell['cell_type'] == 'raw' and s.startswith('---'):
            return yaml.safe_load(s.strip('-')) or {}
        if s and cell['cell_type'] != 'raw':
            break
    return {}


def page_name(nb_path, fm):
    "The page's file name without suffix: nbdev's `output-file` (so links match the Quarto site)."
    return Path(fm.get('output-file') or nb_path.name).stem


def md_cell(text):
    return {'cell_type': 'markdown', 'metadata': {}, 'source': text}


def clean_markdown(text, rel):
    "show_doc/pandoc markup -> plain markdown/HTML; links to the published site -> relative links."
    text = _SOURCE_LINK.sub(r'<a class="ssb-source" href="\1" target="_blank">source</a>', text)
    text = _PANDOC_ATTRS.sub(r'\1', text)
    return text.replace(DOC_URL + '/', rel)


def heading_ids(nb):
    "The ids the headings of a page notebook's markdown cells get (pandoc's, as set by docs_hooks)."
    seen = {}
    for cell in nb['cells']:
        if cell['cell_type'] != 'markdown':
            continue
        text = re.sub(r'```.*?```', '', src(cell), flags=re.S)
        for h in _HEADING.findall(text):
            h = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', re.sub(r'<[^>]+>', '', h)).replace('`', '').replace('*', '')
            base = pandoc_id(h)
            seen[base] = seen.get(base, 0) + 1
    return {b if i == 0 else f'{b}-{i}' for b, n in seen.items() for i in range(n)}


def unlink_undocumented(pages):
    "nbdev's links to names with no doc block on their page -> plain code; {page: names} of the public ones."
    ids = {name: heading_ids(nb) for name, nb in pages.items()}
    missing = {}

    def sub(m, page):
        target = str(Path(page).parent/m.group(2)/m.group(3)) if m.group(2) else str(Path(page).parent/m.group(3))
        target = os.path.normpath(target)
        if m.group(4) in ids.get(target, ()) or target not in ids:
            return m.group(0)
        if not m.group(4).startswith('_'):
            missing.setdefault(target, set()).add(m.group(1).strip('`'))
        return m.group(1)

    for page, nb in pages.items():
        for cell in nb['cells']:
            if cell['cell_type'] == 'markdown':
                cell['source'] = _DOC_LINK.sub(lambda m: sub(m, page), src(cell))
    return missing


def page_notebook(nb, rel):
    "A processed notebook -> the notebook mkdocs-jupyter renders (see the module docstring). `rel`: path to root."
    fm, cells = front_matter(nb), []
    if fm.get('title'):
        cells.append(md_cell(f"# {fm['title']}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')))
    for cell in nb['cells']:
        s = src(cell)
        if cell['cell_type'] == 'raw' and s.strip().startswith('---'):
            continue
        if cell['cell_type'] == 'markdown':
            if s.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'):
                continue
            cells.append(md_cell(clean_markdown(s, rel)))
            continue
        if cell['cell_type'] != 'code':
            continue
        opts, code = directives(s)
        if opts.get('include') == 'false':
            continue
        outputs = [] if opts.get('output') == 'false' else cell.get('outputs', [])
        asis = opts.get('output') == 'asis'
        md_out = [o for o in outputs if asis and 'text/markdown' in o.get('data', {})]
        rest = [o for o in outputs if o not in md_out]
        for o in rest:
            for mime in ('text/markdown', 'text/html'):
                if mime in o.get('data', {}):
                    o['data'][mime] = clean_markdown(src({'source': o['data'][mime]}), rel)
        if opts.get('echo') != 'false' or rest:
            tags = [] if opts.get('echo') != 'false' else ['remove_input']
            cells.append({**cell, 'source': code, 'outputs': rest,
                          'metadata': {**cell.get('metadata', {}), 'tags': tags}})
        cells += [md_cell(clean_markdown(src({'source': o['data']['text/markdown']}), rel)) for o in md_out]
    return {**nb, 'cells': cells}, fm


def default_exp(nb_path):
    "The `default_exp` module of a source notebook (or None)."
    for cell in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', src(cell), re.M)
        if m:
            return m.group(1)


def reports_page(nbs):
    "Markdown page listing the report notebooks (pipeline stages, run by `ssb --mode <stage>`)."
    rows = []
    for p in sorted((nbs/'reports').glob('*.ipynb')):
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        md = next((src(c) for c in cells if c['cell_type'] == 'markdown'), '')
        title = next((ln[2:] for ln in md.splitlines() if ln.startswith('# ')), p.stem)
        quote = re.search(r'^> (.*?)(?:\n\s*\n|\Z)', md, re.M | re.S)
        summary = ' '.join(re.sub(r'(?m)^>\s?', '', quote.group(1)).split()) if quote else ''
        rows.append(f'| `{p.stem}` | {title} | {summary} |')
    return ('# Reports\n\nEach pipeline stage runs one report notebook from `nbs/reports/` with papermill into its run '
            'folder (`ssb --config demo --mode <stage>`), which keeps the executed notebook and an HTML copy. They are '
            'run outputs, not documentation pages.\n\n| Stage | Report | What it shows |\n|---|---|---|\n'
            + '\n'.join(rows) + '\n')


def build_pages(cfg):
    "Write the page notebooks and the nav; return the nav."
    nbs = Path(cfg.nbs_path)
    if PAGES.exists():
        shutil.rmtree(PAGES)
    PAGES.mkdir(parents=True)
    (PAGES/'ssb.css').write_text((ROOT/'scripts'/'docs.css').read_text(encoding='utf-8'), encoding='utf-8')
    nav, sections, tutorials, pages = [], {}, [], {}
    sources = sorted(nbs.glob('*.ipynb')) + sorted((nbs/'tutorials').glob('*.ipynb'))
    for nb_path in sources:
        if nb_path.name.startswith(('_', '.')):
            continue
        rel_src = nb_path.relative_to(nbs)
        proc = PROC/rel_src
        if not proc.exists():
            raise SystemExit(f'docs: nbdev did not process {rel_src} (see the error above)')
        rel = '../' * (len(rel_src.parts) - 1)
        page, fm = page_notebook(json.loads(proc.read_text(encoding='utf-8')), rel)
        out = rel_src.parent/(page_name(nb_path, fm) + '.ipynb')
        pages[str(out.with_suffix('.html'))] = page
        entry = {fm.get('title', nb_path.stem).replace('`', ''): str(out)}  # nav titles are plain text
        if rel_src.parts[0] == 'tutorials':
            tutorials.append(entry)
        elif out.stem == 'index':
            nav.insert(0, {'Home': 'index.ipynb'})
        else:
            mod = default_exp(nb_path) or ''
            sections.setdefault(SECTIONS.get(mod.split('.')[0], 'Other'), []).append(entry)
    for page, names in sorted(unlink_undocumented(pages).items()):
        print(f"docs: {page} has no show_doc for {', '.join(sorted(names))} (linked from the docs): shown as code")
    for name, page in pages.items():
        out = PAGES/Path(name).with_suffix('.ipynb')
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(page, indent=1), encoding='utf-8')
    if tutorials:
        nav.append({'Tutorials': tutorials})
    nav += [{k: v} for k, v in sections.items()]
    if (nbs/'reports').is_dir():
        (PAGES/'reports.md').write_text(reports_page(nbs), encoding='utf-8')
        nav.append({'Reports': 'reports.md'})
    return nav


def build(force=False, quiet=True):
    "Process the notebooks, write the pages and build site/; return the build log (raises SystemExit on failure)."
    global DOC_URL
    cfg = get_config()
    DOC_URL = (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/')).rstrip('/')
    t0 = time.time()
    # Serial in this process (one torch import for all notebooks); only notebooks newer than _proc/ are redone.
    try:
        proc_nbs(cfg.nbs_path, n_workers=0, force=force, skip_folder_re=r'^([_.]|reports$)')
    except Exception as e:  # nbdev executes show_doc, export and import cells; a failing one names its notebook
        raise SystemExit(f'docs: nbdev could not process a notebook.\n{e}\n-> {e.__cause__!r}\nnbdev runs every cell that '
                         'imports something (and show_doc/export cells) without the cells before it: keep imports in '
                         'their own cell, apart from code that needs earlier cells.') from None
    t1 = time.time()
    nav = build_pages(cfg)
    (PROC/'mkdocs_nav.yml').write_text(yaml.safe_dump(nav, sort_keys=False), encoding='utf-8')
    mkdocs = Path(sys.executable).parent/'mkdocs'
    r = subprocess.run([str(mkdocs), 'build', '--strict', '--clean'] + (['-q'] if quiet else []), cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    log = r.stdout + r.stderr
    if r.returncode:
        raise SystemExit(f'docs: mkdocs build failed:\n{log}')
    print(f'docs: notebooks processed in {t1 - t0:.0f} s, site built in {time.time() - t1:.0f} s: '
          f'{(SITE/"index.html").relative_to(ROOT)}')
    return log


DOC_URL = ''

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--force', action='store_true', help='re-process every notebook (ignore the _proc/ cache)')
    build(force=ap.parse_args().force, quiet=False)
