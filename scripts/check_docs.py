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
- a page names a mode `ssb` does not know (`ssb --mode compare_runs`, a stage in the reports table),
- a page is made tall by guard code: more than `GUARD_LINES_MAX` lines of visible code cells are `test_eq`/`test_fail`/
  `assert` statements (the guards belong in `#| hide` cells; the page shows the explanation and an example),
- a stage or mode name in a table may break inside a word: the check cannot render, so it cascades what the page's
  own stylesheets, <style> blocks and inline styles say (white-space, word-break, overflow-wrap; material's
  `.md-typeset code` says `word-break: break-word`) onto each such `<code>`,
- the reports page does not link every example report the build ships (`examples/`, from `_docs_example/`), or
  links none although the build has examples,
- the sidebar repeats a section in its entry ('Core > Core'): a section holding an entry of its own title.
`nbdev_docs` builds the Quarto site where Quarto exists; this checks what people read from `make docs`.
"""
import ast
import json
import os
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


# A page shows at most this many lines of guard code (test_eq/test_fail/assert statements in visible code cells):
# about a screen. The old cache page showed 162 and was 20,700 px tall; guards beyond an example go in `#| hide` cells.
GUARD_LINES_MAX = 60
# Elements that have no end tag (not pushed on the parser's element stack).
_VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr'}


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
        # visible code cells (their copy-button text): [cell id, source]; elements open around the parser
        self.cells, self._cell_id, self._stack = [], None, []
        # <code> elements in tables or naming a stage: (text, [(tag, classes, style) of it and its ancestors])
        self.table_codes, self._tcode = [], None
        self.styles = []    # the page's CSS in document order: ('href', local stylesheet) or ('css', a <style> block)
        # the primary (sidebar) nav: [title, children] nodes; sections are nodes with children
        self.nav, self._nav, self._nav_title = [None, []], None, None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get('class') or '').split()
        if tag not in _VOID:
            self._stack.append((tag, set(cls), a.get('style') or ''))
        if 'jp-CodeCell' in cls and (a.get('id') or '').startswith('cell-id='):
            self._cell_id = a['id'][len('cell-id='):]
        if tag == 'div' and 'clipboard-copy-txt' in cls:
            self.cells.append([self._cell_id, ''])
        if tag == 'code' and ('ssb-stage' in cls or any(t == 'table' for t, _, _ in self._stack)):
            self._tcode = [list(self._stack), '']
        if tag == 'link' and 'stylesheet' in (a.get('rel') or '').split() and a.get('href'):
            self.styles.append(('href', a['href']))
        self._nav_start(tag, cls)
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

    def _nav_start(self, tag, cls):
        "Track the sidebar: each <li> of the primary nav is a node; its first link or section label gives its title."
        if tag == 'nav' and self._nav is not None:
            self._nav[0] += 1
            if 'md-nav--secondary' in cls:      # the current page's table of contents, shown inside the sidebar
                self._nav[2] = self._nav[2] or self._nav[0]
        elif tag == 'nav' and 'md-nav--primary' in cls:
            self._nav = [1, [self.nav], None]      # nav depth, open nodes, depth of an open table of contents
        if self._nav is None or self._nav[2]:
            return
        if tag == 'li':
            node = [None, []]
            self._nav[1][-1][1].append(node)
            self._nav[1].append(node)
        elif tag in ('a', 'label') and 'md-nav__link' in cls and self._nav[1][-1][0] is None:
            self._nav_title = []

    def _nav_end(self, tag):
        nav = self._nav
        if nav is None:
            return
        if tag in ('a', 'label') and self._nav_title is not None:
            nav[1][-1][0] = ' '.join(''.join(self._nav_title).split())
            self._nav_title = None
        elif tag == 'li' and not nav[2] and len(nav[1]) > 1:
            nav[1].pop()
        elif tag == 'nav':
            nav[2] = None if nav[2] == nav[0] else nav[2]
            nav[0] -= 1
            if not nav[0]:
                self._nav = None

    def handle_endtag(self, tag):
        self._nav_end(tag)
        if tag == 'code' and self._tcode is not None:
            self.table_codes.append((self._tcode[1].strip(), self._tcode[0]))
            self._tcode = None
        if tag not in _VOID and any(t == tag for t, _, _ in self._stack):
            while self._stack.pop()[0] != tag:
                pass
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
        if self._stack and self._stack[-1][0] == 'div' and 'clipboard-copy-txt' in self._stack[-1][1] and self.cells:
            self.cells[-1][1] += data
        if self._tcode is not None:
            self._tcode[1] += data
        if self._nav_title is not None:
            self._nav_title.append(data)
        if not self._skip:
            self.text.append(data)
            (self.code if self._code else self.prose).append(data)
            if self._stage is not None:
                self._stage.append(data)
            if self._toc is not None:
                self._toc[1].append(data)
        elif self.lasttag == 'style':
            self.styles.append(('css', data))
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


def is_guard(stmt):
    """A statement that only checks: a call of a `test_*` function (fastcore.test), an `assert`, or a loop, `with` or
    `if` block of them (with assignments between)."""
    if isinstance(stmt, ast.Assert):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        return (f.id if isinstance(f, ast.Name) else getattr(f, 'attr', '')).startswith('test_')
    if isinstance(stmt, (ast.For, ast.While, ast.With, ast.If)):
        body = stmt.body + getattr(stmt, 'orelse', [])
        return any(map(is_guard, body)) and all(is_guard(b) or isinstance(b, (ast.Assign, ast.Pass)) for b in body)
    return False


def guard_lines(source):
    "Non-blank lines of `source` (a code cell) that belong to guard statements; 0 when it is not Python."
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    lines = source.splitlines()
    spans = {i for st in tree.body if is_guard(st) for i in range(st.lineno, st.end_lineno + 1)}
    return sum(1 for i in spans if lines[i - 1].strip())


def guard_problems(rel, page):
    "A page showing more than `GUARD_LINES_MAX` lines of guard code, with the cells that show most."
    per_cell = [(guard_lines(source), cell) for cell, source in page.cells]
    total = sum(n for n, _ in per_cell)
    if total <= GUARD_LINES_MAX:
        return []
    worst = ', '.join(f'{cell or "?"} ({n})' for n, cell in sorted(per_cell, key=lambda t: -t[0])[:5] if n)
    return [f'{rel}: page made tall by guard code: {total} visible lines of test_*/assert (at most {GUARD_LINES_MAX}): '
            f'hide guard cells (#| hide), keep the explanation and an example with its output; most in cells {worst}']


_RULE = re.compile(r'([^{}]+)\{([^{}]*)\}')
_COMPOUND = re.compile(r'^(\*|[a-z][\w-]*)?((?:\.[\w-]+)*)$', re.I)
# The properties that decide whether text may break inside a word (all inherited); word-wrap is overflow-wrap's old name.
_WRAP_DECL = re.compile(r'(?<![\w-])(white-space|word-break|overflow-wrap|word-wrap)\s*:\s*([\w-]+)\s*(!\s*important)?', re.I)
WRAP_DEFAULTS = {'white-space': 'normal', 'word-break': 'normal', 'overflow-wrap': 'normal'}


def css_rules(text):
    """(selector, {property: (value, important)}) of every rule of a stylesheet that sets how text wraps (rules inside
    @media blocks included, as if the media matched)."""
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    out = []
    for sels, decl in _RULE.findall(text):
        props = {m.group(1).lower().replace('word-wrap', 'overflow-wrap'): (m.group(2).lower(), bool(m.group(3)))
                 for m in _WRAP_DECL.finditer(decl)}
        out += [(sel.strip(), props) for sel in sels.split(',')] if props else []
    return out


def selector_matches(selector, chain):
    """Whether a CSS selector of tag/class compounds joined by descendant (or child) combinators matches the last
    element of `chain` ([(tag, classes, style)] from the root); other selectors (pseudo-classes, attributes) never do."""
    parts = selector.replace('>', ' ').split()
    compounds = [_COMPOUND.match(p) for p in parts]
    if not compounds or not all(compounds):
        return False

    def ok(m, el):
        return m.group(1) in (None, '*', el[0]) and set(m.group(2).split('.')[1:]) <= el[1]
    if not ok(compounds[-1], chain[-1]):
        return False
    i = len(chain) - 2
    for m in reversed(compounds[:-1]):
        while i >= 0 and not ok(m, chain[i]):
            i -= 1
        if i < 0:
            return False
        i -= 1
    return True


def specificity(selector):
    "(classes, tags) of a tag/class selector."
    parts = selector.replace('>', ' ').split()
    return sum(p.count('.') for p in parts), sum(1 for p in parts if p[0] not in '.*')


def stylesheet_rules(path, page, cache={}):
    "The wrap rules of the page's local stylesheets and <style> blocks, in document order."
    rules = []
    for kind, value in page.styles:
        if kind == 'css':
            rules += css_rules(value)
            continue
        parts = urlsplit(value)
        css = (path.parent/unquote(parts.path)).resolve()
        if parts.scheme or parts.netloc or not css.is_file():
            continue
        key = (css, css.stat().st_mtime_ns)
        if key not in cache:
            cache[key] = css_rules(css.read_text(encoding='utf-8', errors='replace'))
        rules += cache[key]
    return rules


def wrap_style(chain, rules):
    """white-space, word-break and overflow-wrap of the last element of `chain`, cascaded (!important first, then an
    inline style, then specificity, then order) and inherited from its ancestors."""
    values = dict(WRAP_DEFAULTS)
    for k, (_, _, inline) in enumerate(chain):
        found = [((imp, 0, *specificity(sel), i), prop, v) for i, (sel, props) in enumerate(rules)
                 if selector_matches(sel, chain[:k + 1]) for prop, (v, imp) in props.items()]
        for _, props in css_rules('x{' + inline + '}'):
            found += [((imp, 1, 0, 0, 0), prop, v) for prop, (v, imp) in props.items()]
        for _, prop, v in sorted(found, key=lambda t: t[0]):
            values[prop] = v
    return values


def breaks_mid_word(style):
    "Whether text of this style may be broken inside a word to fit (the check cannot render: it reads the CSS)."
    if style['white-space'] in ('nowrap', 'pre'):
        return False
    return style['word-break'] in ('break-all', 'break-word') or style['overflow-wrap'] in ('anywhere', 'break-word')


def wrap_problems(path, rel, page):
    """Stage/mode names in tables (`code.ssb-stage`, or a table's `<code>` naming a mode) that the page's CSS lets
    break inside a word (mkdocs-material's `.md-typeset code` does: `word-break: break-word`)."""
    names = [(text, chain) for text, chain in page.table_codes
             if 'ssb-stage' in chain[-1][1] or text in known_modes()]
    if not names:
        return []
    rules = stylesheet_rules(path, page)
    loose = {}
    for text, chain in names:
        style = wrap_style(chain, rules)
        if breaks_mid_word(style) and text not in loose:
            loose[text] = ', '.join(f'{k}: {v}' for k, v in style.items())
    return [f'{rel}: stage name {t!r} in a table may break mid-word ({why}): keep it whole in ssb.css '
            '(white-space: nowrap, or word-break and overflow-wrap: normal)' for t, why in loose.items()]


def nav_problems(path):
    "Sidebar sections holding an entry of their own title ('Core > Core'), read from a built page's nav."
    out, page = [], read_page(path)

    def walk(node, trail):
        title, children = node
        for child in children:
            if title and child[0] and child[0].lower() == title.lower():
                out.append(f'{path.relative_to(SITE)}: the sidebar repeats {" > ".join(trail + [title, child[0]])!r}: '
                           'a section holding an entry of its own title (name the entry "Overview" or for what it is)')
            walk(child, trail + [title] if title else trail)
    walk(page.nav, [])
    return out


def example_problems(site, example_outputs=None):
    """The reports page (`site/reports.html`) links every example report the build ships under `site/examples/`
    (the leaderboard and each stage's report) and every report of the example suite in `example_outputs`
    (`_docs_example/outputs`) is shipped; it links at least one unless the build had none (`SSB_DOCS_EXAMPLES=0`)."""
    reports = site/'reports.html'
    if not reports.is_file():
        return []
    stages = set(known_modes())
    shipped = {p.resolve() for p in (site/'examples').rglob('*.html')
               if p.stem in stages or p == site/'examples'/'index.html'}
    out = []
    if example_outputs is not None and example_outputs.is_dir() and os.environ.get('SSB_DOCS_EXAMPLES') != '0':
        ran = [p.relative_to(example_outputs) for p in example_outputs.rglob('*.html') if p.stem in stages
               and not any(d.startswith(('.', 'train_state')) for d in p.relative_to(example_outputs).parts)]
        out += [f'reports.html: example report {r} of {example_outputs.name}/ is not shipped in {site.name}/examples/'
                for r in sorted(ran) if (site/'examples'/r).resolve() not in shipped]
    linked = set()
    for link in read_page(reports).links:
        parts = urlsplit(link)
        if not (parts.scheme or parts.netloc) and parts.path:
            linked.add((reports.parent/unquote(parts.path)).resolve())
    out += [f'reports.html: example report {p.relative_to(site.resolve())} is shipped but not linked'
            for p in sorted(shipped - linked)]
    if not shipped and os.environ.get('SSB_DOCS_EXAMPLES') != '0':
        out.append('reports.html: links no example report (the build shipped none: see its output; '
                   'SSB_DOCS_EXAMPLES=0 builds without on purpose)')
    return out


def read_page(path, cache={}):
    "The parsed page (read again once the file changed)."
    st = path.stat()
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in cache:
        p = Page()
        p.feed(path.read_text(encoding='utf-8'))
        cache[key] = p
    return cache[key]


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
    out += guard_problems(rel, page)
    out += wrap_problems(path, rel, page)
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
    if not any(read_page(p).cells for p in pages):   # the guard-code count reads each code cell's copy-button text
        problems.append('no page has a code cell with a copy button: mkdocs-jupyter\'s markup changed, so docs-check '
                        'cannot count guard code (see Page.cells)')
    # the sidebar is the same on every page: read it once; the example reports against the suite they come from
    ran = build_docs.EXAMPLE/'outputs' if (build_docs.EXAMPLE/'done').is_file() else None
    problems += nav_problems(SITE/'index.html') + example_problems(SITE, ran)
    if problems:
        print(f'Docs check failed ({len(problems)} problems):\n  ' + '\n  '.join(problems))
        sys.exit(1)
    print(f'Docs check: {len(pages)} pages in {SITE.relative_to(ROOT)}/ built without errors; no directive text, raw '
          'markup, front matter or markdown links shown; every internal link and anchor resolves; no script from the web; '
          'every figure has data; every mode named is one ssb knows; guard code within bounds; stage names kept whole; '
          'every example report linked; no section repeated in the sidebar')


if __name__ == '__main__':
    main()
