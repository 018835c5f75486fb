"""Build the documentation site without Quarto: `make docs` -> site/index.html (browsable from disk).

1. nbdev processes the notebooks (`proc_nbs`: `#| hide` cells dropped, `show_doc` executed, doc links added, the
   `# Title` / `> summary` cell turned into front matter) into `_proc/`; only changed notebooks are redone.
2. Each processed module notebook (nbs/*.ipynb) and tutorial (nbs/tutorials/*.ipynb) becomes a page notebook in
   `_proc/mkdocs/<output-file>.ipynb` with what Quarto would do applied: front matter -> title + description,
   `#| echo: false` -> input removed, `#| output: asis` -> the markdown output becomes a markdown cell, `show_doc`'s
   pandoc attributes dropped, nbdev's doc links inside code blocks (docments comments in signatures) turned back into
   their text, links to the published site made relative. Report notebooks (nbs/reports) are pipeline stages, listed
   on one generated page with the stages `ssb` declares and links to executed examples: the reports of a tiny demo
   suite run once into `_docs_example/` (`SSB_DOCS_EXAMPLES=0`: none).
3. mkdocs (material theme) + mkdocs-jupyter build `site/` from `mkdocs.yml`; its hooks (scripts/docs_hooks.py) add
   the nav written here (`_proc/mkdocs_nav.yml`: sections by subpackage in pipeline order, a page named like its
   section shown as 'Overview') and fix heading ids/TOC.

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
from html import escape
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
SECTIONS = {'core': 'Core', 'plugins': 'Core', 'config': 'Core', 'runs': 'Core', 'io': 'Core', 'data': 'Data', 'features': 'Features',
            'models': 'Models', 'train': 'Training', 'gold': 'Gold slice', 'metrics': 'Metrics',
            'evaluation': 'Evaluation', 'pipeline': 'Pipeline'}
_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
# show_doc's source link: [source](url){target="_blank" style="float:right; font-size:smaller"}
_SOURCE_LINK = re.compile(r'\[source\]\(([^)\s]+)\)\{[^}\n]*\}')
_PANDOC_ATTRS = re.compile(r'(\]\([^)\s]+\))\{[^}\n]*\}')
# nbdev links every backticked name it knows (`[`name`](page.html#anchor)`), also names no show_doc documents.
_DOC_LINK = re.compile(r'\[(`[^`\]]+`)\]\(((?:\.\./)*)([\w/.-]+\.html)#([^)\s]+)\)')
_HEADING = re.compile(r'^#{1,6}\s+(.+?)\s*#*\s*$', re.M)
# A fenced code block (show_doc's signature, examples in prose) and a markdown link: nbdev links backticked names in
# docments comments too, which a code block would show as raw `[`name`](page.html#name)` text.
_FENCE = re.compile(r'(?ms)^(\s*)(```|~~~)[^\n]*\n.*?^\1\2[ \t]*$')
_MD_LINK = re.compile(r'\[([^\]\n]*)\]\([^)\s]+\)')
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'


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


def unlink_code(text):
    "Markdown links inside fenced code blocks -> their text (a code block shows markup verbatim)."
    return _FENCE.sub(lambda m: _MD_LINK.sub(r'\1', m.group(0)), text)


def clean_markdown(text, rel):
    "show_doc/pandoc markup -> plain markdown/HTML; links to the published site -> relative links."
    text = unlink_code(text)
    text = _SOURCE_LINK.sub(r'<a class="ssb-source" href="\1" target="_blank">source</a>', text)
    text = _PANDOC_ATTRS.sub(r'\1', text)
    return text.replace(DOC_URL + '/', rel) if DOC_URL else text


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
            # a live widget needs its kernel: the page shows its text, without loading the web's widget renderer
            if len(o.get('data', {})) > 1:
                o['data'].pop(WIDGET_VIEW, None)
            for mime in ('text/markdown', 'text/html'):
                if mime in o.get('data', {}):
                    o['data'][mime] = clean_markdown(src({'source': o['data'][mime]}), rel)
        if opts.get('echo') != 'false' or rest:
            tags = [] if opts.get('echo') != 'false' else ['remove_input']
            cells.append({**cell, 'source': code, 'outputs': rest,
                          'metadata': {**cell.get('metadata', {}), 'tags': tags}})
        cells += [md_cell(clean_markdown(src({'source': o['data']['text/markdown']}), rel)) for o in md_out]
    meta = {k: v for k, v in nb.get('metadata', {}).items() if k != 'widgets'}
    return {**nb, 'metadata': meta, 'cells': cells}, fm


def nav_entries(section, entries):
    """A section's nav entries with short titles: the page named like its section -> 'Overview', first ('Core > Core'
    reads as a repeat); 'The data layer in one import' -> 'In one import'."""
    out = []
    for e in entries:
        (title, page), = e.items()
        if title.lower() == section.lower():
            title = 'Overview'
        elif title.lower().endswith(' in one import'):
            title = 'In one import'
        out.append({title: page})
    return sorted(out, key=lambda e: next(iter(e)) != 'Overview')


def default_exp(nb_path):
    "The `default_exp` module of a source notebook (or None)."
    for cell in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', src(cell), re.M)
        if m:
            return m.group(1)


def report_summary(nb_path):
    "The `# Title` and `> summary` of a report notebook's first markdown cell."
    cells = json.loads(nb_path.read_text(encoding='utf-8'))['cells']
    md = next((src(c) for c in cells if c['cell_type'] == 'markdown'), '')
    title = next((ln[2:] for ln in md.splitlines() if ln.startswith('# ')), nb_path.stem)
    quote = re.search(r'^> (.*?)(?:\n\s*\n|\Z)', md, re.M | re.S)
    return title, ' '.join(re.sub(r'(?m)^>\s?', '', quote.group(1)).split()) if quote else ''


def inline_code(text):
    "Plain text with `code` spans -> HTML."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', escape(text))


def stage_order(stage):
    "Pipeline order: the number of the notebook that declares the stage (the file its module was exported from)."
    import importlib.util
    origin = importlib.util.find_spec(stage.module).origin
    m = re.search(r'File to edit: \S*?nbs/(\d+)', Path(origin).read_text(encoding='utf-8')[:2000])
    return int(m.group(1)) if m else 999


def reports_page(nbs, examples=None):
    """Markdown page listing the pipeline stages (`ssb --mode <stage>`, as `discover_stages` declares them) with the
    report notebook each runs and links to executed examples (`examples`: {stage: [(label, href)]})."""
    from socialsignalbench.pipeline.runner import discover_stages
    examples, rows = examples or {}, []
    for st in sorted(discover_stages(), key=stage_order):
        nb = nbs/'reports'/st.notebook
        title, summary = report_summary(nb) if nb.is_file() else (st.notebook, '')
        links = ', '.join(f'<a href="{href}">{escape(label)}</a>' for label, href in examples.get(st.name, ()))
        rows.append(f'<tr><td><code class="ssb-stage">{escape(st.name)}</code></td><td>{escape(title)}<br>'
                    f'<small><code>{escape(st.notebook)}</code></small></td>'
                    f'<td>{inline_code(summary or st.help)}</td><td>{links or "&mdash;"}</td></tr>')
    intro = ('# Reports\n\nEach pipeline stage runs one report notebook from `nbs/reports/` with papermill into its run '
             'folder (`ssb --config demo --mode <stage>`; `--mode all` runs the whole benchmark as a suite), which keeps '
             'the executed notebook and an HTML copy. The examples are the reports of a tiny demo suite (4 actors, '
             '1 epoch) executed when the site was built: their numbers say nothing about the models.\n\n')
    if examples.get('index'):
        intro += (f'The example suite\'s leaderboard (`outputs/index.html`, what `make demo` ends with): '
                  f'[leaderboard]({examples["index"][0][1]}).\n\n')
    if not examples:
        intro += ('!!! note\n    This build has no example reports (`SSB_DOCS_EXAMPLES=0`, or the tiny demo suite '
                  'failed): `make demo` writes the real ones under `outputs/`.\n\n')
    return (intro + '<div class="ssb-stages"><table><thead><tr><th>Stage (<code>--mode</code>)</th><th>Report</th>'
            '<th>What it shows</th><th>Example</th></tr></thead><tbody>\n' + '\n'.join(rows) + '\n</tbody></table></div>\n')


# Scratch project of the tiny demo suite whose reports the site links (not in _proc/, which FORCE=1 wipes).
EXAMPLE = ROOT/'_docs_example'
EXAMPLE_CONFIG = 'extends: demo_tiny.yaml\nname: docs-example\n'
_HREF = re.compile(r'<a\b[^>]*?\shref="([^"#:]+)"[^>]*>(.*?)</a>', re.S)


def example_suite(force=False):
    """`ssb --mode all` on the tiny demo (1 epoch) in `_docs_example/`, run once and reused (`force`, or deleting
    `_docs_example/`, reruns it): the suite folder, or None when `SSB_DOCS_EXAMPLES=0` or the run failed (the site
    then says so)."""
    if os.environ.get('SSB_DOCS_EXAMPLES') == '0':
        return None
    suite = EXAMPLE/'outputs'/'runs'/'example'
    if (EXAMPLE/'done').is_file() and not force:
        return suite
    if EXAMPLE.exists():
        shutil.rmtree(EXAMPLE)
    EXAMPLE.mkdir(parents=True)
    (EXAMPLE/'settings.ini').write_text('')
    shutil.copytree(ROOT/'configs', EXAMPLE/'configs')
    (EXAMPLE/'configs'/'docs_example.yaml').write_text(EXAMPLE_CONFIG)
    print('docs: running the tiny demo suite for the example reports (once: delete _docs_example/ to rerun) ...', flush=True)
    t0 = time.time()
    r = subprocess.run([sys.executable, '-m', 'socialsignalbench.pipeline.cli', '--config', 'configs/docs_example.yaml',
                        '--mode', 'all', '--set', 'train.epochs=1', '--run-id', 'example'], cwd=EXAMPLE,
                       capture_output=True, text=True, env={**os.environ, 'SSB_PROGRESS': '0'}, timeout=3600)
    if r.returncode:
        print(f'docs: the tiny demo suite failed; the reports page has no examples:\n{(r.stdout + r.stderr)[-3000:]}')
        return None
    (EXAMPLE/'done').write_text(f'{time.time() - t0:.0f} s\n')
    print(f'docs: tiny demo suite done in {time.time() - t0:.0f} s')
    return suite


def copy_examples(suite, dest):
    """The suite's `outputs/` (leaderboard `index.html`, reports and the small files they link; no checkpoints, no
    notebooks, no markdown mkdocs would take for pages) -> `dest`; links to files left out become plain text, scripts
    from the web are dropped. Returns {stage: [(run, href relative to the site)]}, with the leaderboard under the key 'index'."""
    from docs_hooks import offline_scripts
    from socialsignalbench.pipeline.runner import discover_stages
    stages, out, outputs = {st.name for st in discover_stages()}, {}, suite.parents[1]
    for f in sorted([outputs/'index.html', *suite.rglob('*')]):
        rel = f.relative_to(outputs)
        if not f.is_file() or f.suffix in ('.pt', '.ipynb', '.md') or any(p.startswith(('.', 'train_state')) for p in rel.parts):
            continue
        (dest/rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest/rel)
    for html in sorted(dest.rglob('*.html')):
        here, href = html.parent, html.relative_to(dest.parent).as_posix()
        text = _HREF.sub(lambda m: m.group(0) if (here/m.group(1)).exists() else m.group(2), html.read_text(encoding='utf-8'))
        html.write_text(offline_scripts(text, len(html.relative_to(dest.parent).parts) - 1), encoding='utf-8')
        if html.stem in stages:
            out.setdefault(html.stem, []).append((html.parent.name, href))
        elif html.parent == dest and html.name == 'index.html':
            out['index'] = [('leaderboard', href)]
    return out


def build_pages(cfg, suite=None):
    "Write the page notebooks, the reports page (with the example reports of `suite`) and the nav; return the nav."
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
    order = list(dict.fromkeys(SECTIONS.values()))
    nav += [{k: nav_entries(k, sections[k])} for k in sorted(sections, key=lambda k: order.index(k) if k in order else 99)]
    if (nbs/'reports').is_dir():
        examples = copy_examples(suite, PAGES/'examples') if suite else {}
        (PAGES/'reports.md').write_text(reports_page(nbs, examples), encoding='utf-8')
        nav.append({'Reports': 'reports.md'})
    return nav


def doc_url(cfg):
    "The published site's URL (settings.ini `doc_host` + `doc_baseurl`): links to it become relative links."
    return (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/')).rstrip('/')


def build(force=False, quiet=True):
    "Process the notebooks, write the pages and build site/; return the build log (raises SystemExit on failure)."
    global DOC_URL
    cfg = get_config()
    DOC_URL = doc_url(cfg)
    t0 = time.time()
    # Serial in this process (one torch import for all notebooks); only notebooks newer than _proc/ are redone.
    try:
        proc_nbs(cfg.nbs_path, n_workers=0, force=force, skip_folder_re=r'^([_.]|reports$)')
    except Exception as e:  # nbdev executes show_doc, export and import cells; a failing one names its notebook
        raise SystemExit(f'docs: nbdev could not process a notebook.\n{e}\n-> {e.__cause__!r}\nnbdev runs every cell that '
                         'imports something (and show_doc/export cells) without the cells before it: keep imports in '
                         'their own cell, apart from code that needs earlier cells.') from None
    t1 = time.time()
    # nbdev redoes a notebook only when it is newer than the `_proc/` folder itself: what is written into `_proc/`
    # below (pages, nav, the example suite) must not make notebooks edited meanwhile look processed.
    stamp = PROC.stat().st_mtime
    try:
        nav = build_pages(cfg, example_suite())
        (PROC/'mkdocs_nav.yml').write_text(yaml.safe_dump(nav, sort_keys=False), encoding='utf-8')
        mkdocs = Path(sys.executable).parent/'mkdocs'
        r = subprocess.run([str(mkdocs), 'build', '--strict', '--clean'] + (['-q'] if quiet else []), cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    finally:
        os.utime(PROC, (stamp, stamp))
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
