"""mkdocs hooks (mkdocs.yml `hooks:`): the generated nav, and unique heading ids with a TOC built from them.

The nav (sections by subpackage, tutorials picked up from nbs/tutorials/) is written by scripts/build_docs.py to
_proc/mkdocs_nav.yml next to the pages it generates.

mkdocs-jupyter derives a page's TOC from a markdown copy of the notebook with inline code removed, so a heading such
as "## The `METRICS` registry" gets TOC link `#the-registry` while the page says `id="the-metrics-registry"`, and
repeated headings share one id. Here every heading gets pandoc's identifier (what Quarto and nbdev's doc links use:
`Config.path` -> `config.path`), made unique with `-1`, `-2` like pandoc, and the TOC is read back from the headings
actually on the page, so every TOC entry and doc link lands.

The site works offline: plotly figures (saved with `notebook_connected`) would load plotly.js from its CDN and
notebook pages MathJax from cdnjs. Every script a page loads from the web is dropped, except plotly.js, which is
loaded once per page from the site's own copy of the installed plotly package's bundle (`js/plotly.min.js`).
No page needs MathJax.
"""
import re
import shutil
from html import unescape
from pathlib import Path

import yaml
from mkdocs.structure.toc import get_toc

_H = re.compile(r'<h([1-6])([^>]*?)\sid="([^"]*)"([^>]*)>(.*?)</h\1>', re.S)
TOC_DEPTH = 3
PLOTLY_JS = 'js/plotly.min.js'   # in the site: plotly.js of the installed plotly package
# A script loaded from the web: <script src="https://..."></script>, or a module that only imports one.
_WEB_SCRIPT = re.compile(r'<script\b[^>]*?\ssrc="(?P<src>(?:https?:)?//[^"]*)"[^>]*>\s*</script>'
                         r'|<script type="module">\s*import\s+"(?P<mod>(?:https?:)?//[^"]*)";?\s*</script>', re.I)


def pandoc_id(text):
    "Pandoc's auto identifier of a heading's text."
    s = re.sub(r'[^\w\s.-]', '', text.lower(), flags=re.A)
    s = re.sub(r'\s+', '-', s.strip())
    return re.sub(r'^[^a-z]+', '', s) or 'section'


def on_config(config):
    nav = Path(config.config_file_path).parent/'_proc'/'mkdocs_nav.yml'
    if nav.exists():
        config['nav'] = yaml.safe_load(nav.read_text(encoding='utf-8'))
    return config


def on_page_content(html, page, config, files):
    if not page.file.src_path.endswith('.ipynb'):
        return html
    seen, tokens, stack = {}, [], []

    def fix(m):
        level, pre, hid, post, inner = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        name = re.sub(r'<[^>]+>', '', re.sub(r'<a class="anchor-link".*?</a>', '', inner, flags=re.S)).strip()
        base = pandoc_id(unescape(name))
        n = seen.get(base, 0)
        seen[base] = n + 1
        new = base if n == 0 else f'{base}-{n}'
        inner = inner.replace(f'href="#{hid}"', f'href="#{new}"')
        if 1 < level <= TOC_DEPTH:
            tok = {'level': level, 'id': new, 'name': name, 'children': []}
            while stack and stack[-1]['level'] >= level:
                stack.pop()
            (stack[-1]['children'] if stack else tokens).append(tok)
            stack.append(tok)
        return f'<h{level}{pre} id="{new}"{post}>{inner}</h{level}>'

    html = _H.sub(fix, html)
    page.toc = get_toc(tokens)
    return html


def offline_scripts(html, depth):
    "`html` without scripts from the web: plotly.js from the site's copy (once, where first needed), others dropped."
    done = []

    def sub(m):
        url = m.group('src') or m.group('mod')
        if 'plot.ly/' not in url and not url.rsplit('/', 1)[-1].startswith('plotly') or done:
            return ''
        done.append(url)
        return f'<script charset="utf-8" src="{"../" * depth}{PLOTLY_JS}"></script>'
    return _WEB_SCRIPT.sub(sub, html)


def on_post_page(output, page, config):
    return offline_scripts(output, page.file.dest_uri.count('/'))


def on_post_build(config):
    import plotly
    dest = Path(config['site_dir'])/PLOTLY_JS
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent/'package_data'/'plotly.min.js', dest)
