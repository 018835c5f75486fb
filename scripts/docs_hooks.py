"""mkdocs hooks (mkdocs.yml `hooks:`): the generated nav, and unique heading ids with a TOC built from them.

The nav (sections by subpackage, tutorials picked up from nbs/tutorials/) is written by scripts/build_docs.py to
_proc/mkdocs_nav.yml next to the pages it generates.

mkdocs-jupyter derives a page's TOC from a markdown copy of the notebook with inline code removed, so a heading such
as "## The `METRICS` registry" gets TOC link `#the-registry` while the page says `id="the-metrics-registry"`, and
repeated headings share one id. Here every heading gets pandoc's identifier (what Quarto and nbdev's doc links use:
`Config.path` -> `config.path`), made unique with `-1`, `-2` like pandoc, and the TOC is read back from the headings
actually on the page, so every TOC entry and doc link lands.
"""
import re
from html import unescape
from pathlib import Path

import yaml
from mkdocs.structure.toc import get_toc

_H = re.compile(r'<h([1-6])([^>]*?)\sid="([^"]*)"([^>]*)>(.*?)</h\1>', re.S)
TOC_DEPTH = 3


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
