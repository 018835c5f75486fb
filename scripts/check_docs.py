"""Check the documentation site built without Quarto (`make docs-check`): build it, then read every page.

Fails, naming the page and the offending text, when
- a module notebook or tutorial lacks its `# Title` markdown cell with a `> summary` line,
- nbdev cannot process a notebook, or `mkdocs build --strict` reports an error or warning,
- a page shows directive text (`#|`), raw pandoc/Quarto markup (`{target=`, `:::`) or front matter as text,
- a page names a notebook instead of linking its page (`see 21_features_face`, `features.locks (22c)`),
- a page's table of contents lists one name twice (two headings or functions of that name),
- an internal link or anchor (href/src) points at nothing, or a link still goes to the published site,
- a page loads a script from the web (`<script src="https://...">`, a module importing a URL): blank offline,
- raw markdown link text is shown, in prose or inside a code block or signature (`[`name`](page.html#name)`),
- a figure container is empty: a plotly div no `Plotly.newPlot` fills, or filled with no trace data; an `<img>` with
  no source,
- a page names a mode `ssb` does not know (`ssb --mode compare_runs`, a stage in the reports table).
`nbdev_docs` builds the Quarto site where Quarto exists; this checks what people read from `make docs`.
"""
import json
import re
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_docs  # noqa: E402

ROOT, SITE = build_docs.ROOT, build_docs.SITE
# Text a reader must never see on a page: (pattern, what it is).
BAD_TEXT = [(re.compile(r'(?m)^\s*#\|'), 'notebook directive'),
            (re.compile(r'\{target='), 'raw pandoc link attributes'),
            (re.compile(r'(?m)^\s*:::'), 'raw Quarto div markup'),
            (re.compile(r'output-file:|---\s*(title|description):'),
             'front matter printed as text'),
            (re.compile(r'\b\d\d[a-z]?_[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.ipynb)?\b|\(\d\d[a-z]\)'),
             'notebook name or number shown (link to the page instead)')]

# Markdown link text a reader sees: nbdev's doc links (`[`name`](page.html#anchor)`) or any link to a page or URL.
_RAW_LINK = re.compile(r'\[[^\]\n]+\]\((?:[\w./-]+\.html|https?://)[^)\s]*\)')
# `ssb ... --mode a b c` in code on a page: the modes named (placeholders like <stage>, MODE or x are not names).
_MODES = re.compile(r'\bssb\b[^\n]*?--mode[ =]+((?:[a-z][\w-]+[ \t]*)+)')
_NEW_PLOT = re.compile(r'Plotly\.(?:newPlot|react)\(\s*["\']([^"\']+)["\']\s*,\s*')
# A static import from the web in an inline module script (a dynamic `import(...)` only runs when needed).
# A script element an inline script adds with a web source (nbconvert's widget renderer loader: `... = 'https://unpkg...'`).
_DYNAMIC_SRC = re.compile(r'''(?:\.src|Src)\s*=\s*["']((?:https?:)?//[^"']+)["']''')
_STATIC_IMPORT = re.compile(r'(?m)^\s*import\s+(?:[\w{}*,\s]+\s+from\s+)?["\']((?:https?:)?//[^"\']+)["\']')


def has_title(nb_path):
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    for cell in nb['cells']:
        src = build_docs.src(cell)
        if cell['cell_type'] == 'markdown' and src.lstrip().startswith('# '):
            return any(line.startswith('> ') for line in src.splitlines())
    return False


class Page(HTMLParser):
    "Visible text (no script/style), element ids and link targets of one HTML page."
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.ids, self.links, self.web_scripts, self._skip = [], set(), [], [], 0
        self.code, self.prose, self._code, self.scripts, self.plots, self.empty_imgs, self.stages = [], [], 0, [], [], 0, []
        self._stage, self._toc, self.toc = None, None, set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ('script', 'style'):
            self._skip += 1
        if tag in ('pre', 'code'):
            self._code += 1
        if 'plotly-graph-div' in (a.get('class') or '').split() and a.get('id'):
            self.plots.append(a['id'])
        if tag == 'img' and not (a.get('src') or '').strip():
            self.empty_imgs += 1
        if tag == 'code' and 'ssb-stage' in (a.get('class') or '').split():
            self._stage = []
        if tag == 'a' and (a.get('href') or '').startswith('#') and 'md-nav__link' in (a.get('class') or '').split():
            self._toc = (a['href'], [])   # a table-of-contents entry: its anchor and its text
        if tag == 'script' and (urlsplit(a.get('src') or '').scheme or urlsplit(a.get('src') or '').netloc):
            self.web_scripts.append(a['src'])
        if a.get('id'):
            self.ids.add(a['id'])
        if tag == 'a' and a.get('name'):
            self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None and tag in ('a', 'img', 'link', 'script', 'iframe', 'source'):
                self.links.append(a[k])

    def handle_endtag(self, tag):
        if tag in ('script', 'style') and self._skip:
            self._skip -= 1
        if tag in ('pre', 'code') and self._code:
            self._code -= 1
            self.code.append('\n')
        if tag == 'code' and self._stage is not None:
            self.stages.append(''.join(self._stage).strip())
            self._stage = None
        if tag == 'a' and self._toc is not None:
            self.toc.add((''.join(self._toc[1]).strip(), self._toc[0]))
            self._toc = None

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            (self.code if self._code else self.prose).append(data)
            if self._stage is not None:
                self._stage.append(data)
            if self._toc is not None:
                self._toc[1].append(data)
        elif self.lasttag == 'script':
            self.web_scripts += _STATIC_IMPORT.findall(data) + _DYNAMIC_SRC.findall(data)
            self.scripts.append(data)


def has_trace_data(trace):
    "A plotly trace with something to draw: a non-empty data array (a list, or plotly's typed {'bdata': ...})."
    keys = ('x', 'y', 'z', 'values', 'labels', 'lat', 'lon', 'r', 'theta', 'a', 'b', 'dimensions', 'cells')
    return any(trace.get(k) not in (None, [], {}, '') for k in keys)


def empty_plots(page):
    "Ids of the page's plotly divs that no `Plotly.newPlot` call fills with trace data."
    filled, code = set(), '\n'.join(page.scripts)
    for m in _NEW_PLOT.finditer(code):
        try:
            data, _ = json.JSONDecoder().raw_decode(code, m.end())
        except ValueError:
            continue
        if isinstance(data, list) and any(isinstance(t, dict) and has_trace_data(t) for t in data):
            filled.add(m.group(1))
    return [i for i in page.plots if i not in filled]


def known_modes(cache=[]):
    "The modes `ssb --mode` accepts: every declared stage and 'all'."
    if not cache:
        from socialsignalbench.pipeline.runner import discover_stages
        cache += [st.name for st in discover_stages()] + ['all']
    return cache


def unknown_modes(text, stages=()):
    """Modes named after `--mode` in `text` (code shown on a page), and stage names in the reports table (`stages`),
    that `ssb` does not know."""
    named = [w for m in _MODES.finditer(text) for w in m.group(1).split()] + list(stages)
    return list(dict.fromkeys(w for w in named if w not in known_modes()))


def read_page(path, cache={}):
    if path not in cache:
        p = Page()
        p.feed(path.read_text(encoding='utf-8'))
        cache[path] = p
    return cache[path]


def page_problems(path):
    "Problems of one built page: bad visible text and broken internal links."
    rel, page, out = path.relative_to(SITE), read_page(path), []
    text = unescape(''.join(page.text))
    for pat, what in BAD_TEXT:
        for m in pat.finditer(text):
            line = text[text.rfind('\n', 0, m.start()) + 1:text.find('\n', m.end())].strip()
            out.append(f'{rel}: {what}: {line[:100]!r}')
    for src in page.web_scripts:
        out.append(f'{rel}: script loaded from the web (blank offline): {src}')
    code = unescape(''.join(page.code))
    for where, shown in (('in a code block or signature', code), ('in prose', unescape(''.join(page.prose)))):
        out += [f'{rel}: raw markdown link {where}: {m.group(0)[:100]!r}' for m in _RAW_LINK.finditer(shown)]
    for fig in empty_plots(page):
        out.append(f'{rel}: empty figure: plotly div {fig!r} gets no trace data')
    if page.empty_imgs:
        out.append(f'{rel}: empty figure: {page.empty_imgs} <img> without a source')
    names = [name for name, _ in page.toc]
    out += [f'{rel}: the table of contents lists {n!r} {names.count(n)} times' for n in sorted(set(names)) if names.count(n) > 1]
    for mode in unknown_modes(code, page.stages):
        out.append(f'{rel}: mode {mode!r} is not one `ssb --mode` knows ({", ".join(known_modes())})')
    for link in page.links:
        parts = urlsplit(link)
        if link.startswith(build_docs.DOC_URL + '/'):
            out.append(f'{rel}: link to the published site instead of the local page: {link}')
        if parts.scheme or parts.netloc or link.startswith(('mailto:', 'javascript:', 'data:')):
            continue
        base = SITE if parts.path.startswith('/') else path.parent
        target = (base/unquote(parts.path).lstrip('/')).resolve() if parts.path else path
        if target.is_dir():
            target = target/'index.html'
        if not target.exists():
            shown = target.relative_to(SITE.resolve()) if target.is_relative_to(SITE.resolve()) else target
            out.append(f'{rel}: broken link {link!r} (no {shown})')
        # a browser tries the fragment as written, then percent-decoded (nbconvert writes ids like "B-%E2%88%92-A")
        elif parts.fragment and target.suffix == '.html' and not {parts.fragment, unquote(parts.fragment)} & read_page(target).ids:
            out.append(f'{rel}: broken anchor {link!r}')
    return out


def main():
    cfg = build_docs.get_config()
    nbs = Path(cfg.nbs_path)
    problems = [f'{nb.relative_to(nbs)}: no "# Title" markdown cell with a "> summary" line'
                for nb in sorted(nbs.glob('*.ipynb')) + sorted((nbs/'tutorials').glob('*.ipynb'))
                if not nb.name.startswith(('_', '.')) and not has_title(nb)]
    build_docs.build()
    # 404.html links from the server root (it is served for any missing URL); assets/search are the theme's own.
    pages = sorted(p for p in SITE.rglob('*.html') if p.parts[len(SITE.parts)] not in ('assets', 'search', '404.html'))
    for p in pages:
        problems += page_problems(p)
    if problems:
        print(f'Docs check failed ({len(problems)} problems):\n  ' + '\n  '.join(problems))
        sys.exit(1)
    print(f'Docs check: {len(pages)} pages in {SITE.relative_to(ROOT)}/ built without errors; no directive text, raw '
          'markup, front matter or markdown links shown; every internal link and anchor resolves; no script from the web; '
          'every figure has data; every mode named is one ssb knows')


if __name__ == '__main__':
    main()
