"""The docs page builder applies what Quarto would, and the docs check catches what a reader must not see.

Tiny synthetic notebooks and HTML pages only: the real build runs in `make docs-check`.
"""
import re
import shutil
import sys
from html import escape
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'scripts'))
import build_docs  # noqa: E402
import check_docs  # noqa: E402

URL = 'https://socialsignalbench.github.io/socialsignalbench'
SHOW_DOC = ('---\n\n[source](https://github.com/x/y/blob/main/m.py#L3){target="_blank" style="float:right; '
            'font-size:smaller"}\n\n### f\n\n```python\ndef f(x:int)->int:\n```\n\n*Double `x`; see '
            f'[`g`]({URL}/mod.html#g).*')


def code(source, outputs=()):
    return {'cell_type': 'code', 'metadata': {}, 'source': source, 'outputs': list(outputs), 'execution_count': 1}


def md_out(text):
    return {'output_type': 'execute_result', 'data': {'text/markdown': text, 'text/plain': 'f'}, 'metadata': {}}


@pytest.fixture(autouse=True)
def doc_url(monkeypatch):
    monkeypatch.setattr(build_docs, 'DOC_URL', URL)


def test_page_notebook_applies_directives_and_front_matter():
    nb = {'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5, 'cells': [
        {'cell_type': 'raw', 'metadata': {}, 'source': '---\ntitle: Mod\ndescription: Does things\noutput-file: mod.html\n---\n'},
        code('#| echo: false\n#| output: asis\nshow_doc(f)', [md_out(SHOW_DOC)]),
        code('#| echo: false\nprint(1)', [{'output_type': 'stream', 'name': 'stdout', 'text': '1\n'}]),
        code('#| include: false\nsecret()'),
        code('x = 1')]}
    page, fm = build_docs.page_notebook(nb, '../')
    assert fm['title'] == 'Mod' and build_docs.page_name(Path('nbs/07_mod.ipynb'), fm) == 'mod'
    kinds = [(c['cell_type'], c.get('metadata', {}).get('tags')) for c in page['cells']]
    assert kinds == [('markdown', None), ('markdown', None), ('code', ['remove_input']), ('code', [])]
    title, doc = page['cells'][0]['source'], page['cells'][1]['source']
    assert title == '# Mod\n\n> Does things'
    assert '<a class="ssb-source" href="https://github.com/x/y/blob/main/m.py#L3" target="_blank">source</a>' in doc
    assert '{target=' not in doc and '](../mod.html#g)' in doc and URL not in doc
    assert all('#|' not in c['source'] for c in page['cells'])


def test_links_to_undocumented_names_become_code():
    pages = {'mod.html': {'cells': [build_docs.md_cell('### f\n\n[`f`](mod.html#f), [`_p`](mod.html#_p), '
                                                       '[`C.m`](mod.html#c.m), [x](other.html#y)')]}}
    missing = build_docs.unlink_undocumented(pages)
    assert pages['mod.html']['cells'][0]['source'] == '### f\n\n[`f`](mod.html#f), `_p`, `C.m`, [x](other.html#y)'
    assert missing == {'mod.html': {'C.m'}}


def test_page_problems_names_page_and_text(tmp_path, monkeypatch):
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'sub').mkdir()
    (tmp_path/'ok.html').write_text('<h2 id="a.b">A</h2><p>flagged <code>#| real</code> in prose</p>'
                                    '<a href="sub/p.html#x">x</a><script>var s = "#| hidden";</script>')
    (tmp_path/'sub'/'p.html').write_text('<h3 id="x">x</h3><a href="../ok.html#a.b">back</a><a href="/ok.html">root</a>'
                                         '<a href="https://example.org/{target=">ext</a>')
    bad = tmp_path/'bad.html'
    bad.write_text('<pre>#| echo: false\nshow_doc(f)</pre><p>[source](u){target="_blank"}</p><div>\n::: {.callout}\n'
                   '</div><p>--- title: Mod description: x output-file: mod.html ---</p>'
                   f'<a href="ok.html#nope">n</a><a href="gone.html">g</a><a href="{URL}/mod.html">p</a>')
    assert check_docs.page_problems(tmp_path/'ok.html') == []
    assert check_docs.page_problems(tmp_path/'sub'/'p.html') == []
    problems = check_docs.page_problems(bad)
    for what in ('notebook directive', 'raw pandoc link attributes', 'raw Quarto div markup',
                 'front matter printed as text', "broken anchor 'ok.html#nope'", "broken link 'gone.html'",
                 'link to the published site'):
        assert any(p.startswith('bad.html: ' + what) for p in problems), (what, problems)
    assert "'#| echo: false'" in problems[0]


PLOTLY_OUT = ('<script type="module">import "https://cdn.plot.ly/plotly-4.1.1.min"</script><p>x</p>'
              '<div><script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script>'
              '<script charset="utf-8" src="https://cdn.plot.ly/plotly-4.1.1.min.js" integrity="sha256-x" crossorigin="anonymous">'
              '</script><div id="f"></div><script>Plotly.newPlot("f", [])</script></div>')


def test_offline_scripts_use_the_local_plotly_and_drop_the_rest(tmp_path, monkeypatch):
    import docs_hooks
    html = docs_hooks.offline_scripts(PLOTLY_OUT, depth=1)
    assert html.count('<script charset="utf-8" src="../js/plotly.min.js"></script>') == 1 and 'http' not in html
    assert html.index('plotly.min.js') < html.index('Plotly.newPlot')      # loaded before the first figure draws
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'js').mkdir()
    (tmp_path/'js'/'plotly.min.js').write_text('')
    (tmp_path/'online.html').write_text(PLOTLY_OUT + '<script type="module">\nimport mermaid from "https://x.org/m.mjs";\n</script>')
    (tmp_path/'offline.html').write_text(docs_hooks.offline_scripts(PLOTLY_OUT, depth=0))
    problems = check_docs.page_problems(tmp_path/'online.html')
    assert len(problems) == 4 and all('script loaded from the web' in p for p in problems), problems
    assert check_docs.page_problems(tmp_path/'offline.html') == []


SIGNATURE = ('```python\n\ndef feature_keys(\n    shas:Iterable[str], # hex sha256 of each input file\n    digest:str, # '
             '[`config_digest`](cache.html#config_digest) of the extractor configuration\n)->list[str]:\n\n```\n\n'
             '*The cache keys; see [`feature_key`](cache.html#feature_key).*')


def test_links_inside_code_blocks_become_their_text():
    nb = {'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5, 'cells': [
        code('#| echo: false\n#| output: asis\nshow_doc(feature_keys)', [md_out(SIGNATURE)])]}
    doc = build_docs.page_notebook(nb, '')[0]['cells'][0]['source']
    assert 'digest:str, # `config_digest` of the extractor configuration' in doc
    assert '*The cache keys; see [`feature_key`](cache.html#feature_key).*' in doc     # prose keeps its link


def test_nav_has_no_section_repeating_its_page():
    entries = [{'Models': 'models.ipynb'}, {'Audio CNN': 'audio_cnn.ipynb'}, {'Models in one import': 'models_api.ipynb'}]
    assert build_docs.nav_entries('Models', entries) == [{'Overview': 'models.ipynb'}, {'Audio CNN': 'audio_cnn.ipynb'},
                                                         {'In one import': 'models_api.ipynb'}]


# What mkdocs-material says about inline code (its main.css): a narrow table column breaks a name anywhere.
MATERIAL_CSS = ('.md-typeset{overflow-wrap:break-word}.md-typeset code,.md-typeset pre{white-space:pre-wrap}'
                '.md-typeset code{padding:0;word-break:break-word}.md-typeset code:not(.focus-visible){outline:none}')
SHEETS = '<link rel="stylesheet" href="material.css"><link rel="stylesheet" href="ssb.css">'


def test_wrap_style_cascades_and_inherits():
    rules = check_docs.css_rules('.a code { word-break: break-all }  div.a code { word-break: normal }\n'
                                 '.b { white-space: nowrap } code { overflow-wrap: anywhere !important }'
                                 '.c code.d { overflow-wrap: normal }  @media (x) { .e { word-wrap: break-word } }')
    el = lambda tag, *cls, style='': (tag, set(cls), style)     # noqa: E731
    style = check_docs.wrap_style
    assert style([el('div', 'a'), el('code')], rules)['word-break'] == 'normal'           # more specific wins
    assert style([el('p', 'a'), el('code')], rules)['word-break'] == 'break-all'
    assert style([el('div', 'b'), el('span'), el('code')], rules)['white-space'] == 'nowrap'   # inherited
    assert style([el('div', 'c'), el('code', 'd')], rules)['overflow-wrap'] == 'anywhere'      # !important wins
    assert style([el('p', 'e')], rules)['overflow-wrap'] == 'break-word'                     # word-wrap, in @media
    assert style([el('p', 'a'), el('code', style='word-break: keep-all')], rules)['word-break'] == 'keep-all'
    assert not check_docs.breaks_mid_word(style([el('div', 'b'), el('code')], rules))     # nowrap: never breaks
    assert check_docs.breaks_mid_word(style([el('p'), el('code')], rules))


def test_reports_page_names_only_known_modes_and_links_examples(tmp_path, monkeypatch):
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'examples'/'audio').mkdir(parents=True)
    (tmp_path/'examples'/'audio'/'evaluate.html').write_text('<p>report</p>')
    md = build_docs.reports_page(build_docs.ROOT/'nbs', {'evaluate': [('audio', 'examples/audio/evaluate.html')]})
    table = md[md.index('<div class="ssb-stages">'):]
    (tmp_path/'material.css').write_text(MATERIAL_CSS)
    (tmp_path/'ssb.css').write_text((build_docs.ROOT/'scripts'/'docs.css').read_text())   # what the build ships
    (tmp_path/'reports.html').write_text(f'{SHEETS}<article class="md-typeset">{table}</article>')
    page = check_docs.read_page(tmp_path/'reports.html')
    assert 'compare' in page.stages and 'compare_runs' not in page.stages and 'evaluate' in page.stages
    assert check_docs.page_problems(tmp_path/'reports.html') == []     # the site's CSS keeps stage names whole
    assert check_docs.example_problems(tmp_path) == []
    # without the site's rules (or with pre-wrap, which wraps), material's `word-break: break-word` breaks the names
    (tmp_path/'bare.css').write_text('.ssb-stages td { vertical-align: top; }\n.ssb-stages code { white-space: pre-wrap }')
    (tmp_path/'bare.html').write_text(f'{SHEETS.replace("ssb.css", "bare.css")}<article class="md-typeset">{table}</article>')
    problems = check_docs.page_problems(tmp_path/'bare.html')
    assert len(problems) == len(page.stages) and all('may break mid-word' in p for p in problems), problems


def code_cell(cell_id, source):
    "A code cell as mkdocs-jupyter renders it: the copy button's text holds the cell's source."
    return (f'<div class="jp-Cell jp-CodeCell jp-Notebook-cell" id="cell-id={cell_id}"><div class="highlight-ipynb">'
            f'<pre><span>{escape(source)}</span></pre></div><div class="clipboard-copy-txt" id="cell-1">{escape(source)}'
            '</div></div>')


EXAMPLE_CELL = 'r = f(2)\nr\ntest_eq(r, 4)\ntest_fail(lambda: f(-1),\n          contains="negative")'
GUARDS = 'test_eq(f(1), 2)\n' * (check_docs.GUARD_LINES_MAX - 4) + 'for x in (1, 2):\n    test_eq(f(x), 2*x)\n' + \
    'test_fail(lambda: f(-1),\n          contains="negative")\nassert f(0) == 0\n'
GOOD_PAGE = (f'{SHEETS}<p>Run <code>ssb --config demo --mode demo_data preprocess</code>; '
             '<code>--mode all</code> runs all.</p>'
             '<pre><code>def f(\n    digest:str, # `config_digest` of x\n)</code></pre><img src="a.png">'
             '<div id="p0" class="plotly-graph-div"></div><script>if (1) { Plotly.newPlot(\n "p0",\n '
             '[{"type":"bar","x":[1,2],"y":{"dtype":"f8","bdata":"AAAA"}}], {}) }</script>' + code_cell('e1', EXAMPLE_CELL) +
             '<div class="md-typeset"><div class="ssb-stages"><table><tr><th>Stage (<code>--mode</code>)</th></tr><tr><td>'
             '<code class="ssb-stage">demo_data</code></td><td><code>demo_data.ipynb</code></td></tr></table></div>'
             '<table><tr><td><code>train_fusion</code>, later <code>evaluate</code></td></tr></table></div>')
# One page per defect the docs check must report: (page html, start of the problem line it must print).
DEFECTS = {
    'signature': ('<pre><code>def f(\n    digest:str, # [`config_digest`](cache.html#config_digest) of x\n)</code></pre>',
                  'raw markdown link in a code block or signature'),
    'prose': ('<p>Keys come from [`config_digest`](cache.html#config_digest).</p>', 'raw markdown link in prose'),
    'script': ('<script src="https://cdn.plot.ly/plotly-3.0.1.min.js"></script>', 'script loaded from the web'),
    'widget': ('<script>(function() { var s = document.createElement("script");\n'
               '  var widgetRendererSrc = \'https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js\';\n'
               '  s.src = widgetRendererSrc; document.body.appendChild(s); }());</script>',
               'script loaded from the web (blank offline): https://unpkg.com/@jupyter-widgets'),
    'no_data': ('<div id="p1" class="plotly-graph-div"></div><script>Plotly.newPlot("p1", [], {})</script>',
                "empty figure: plotly div 'p1'"),
    'no_plot': ('<div id="p2" class="plotly-graph-div"></div>', "empty figure: plotly div 'p2'"),
    'empty_trace': ('<div id="p3" class="plotly-graph-div"></div><script>Plotly.newPlot("p3", [{"type": "heatmap"}])'
                    '</script>', "empty figure: plotly div 'p3'"),
    'img': ('<p><img alt="x"></p>', 'empty figure: 1 <img>'),
    'mode': ('<pre><code>ssb --config demo --mode compare_runs</code></pre>', "mode 'compare_runs' is not one"),
    'nb_name': ('<p>Crops come from the face detector (see 21_features_face).</p>', 'notebook name or number shown'),
    'nb_number': ('<p>The worker pool lives in features.extract (22b).</p>', 'notebook name or number shown'),
    'toc': ('<h2 id="extract_many">extract_many</h2><h2 id="extract_many_1">extract_many</h2><nav>'
            '<a href="#extract_many" class="md-nav__link">extract_many</a><a href="#extract_many_1" class="md-nav__link">'
            '<span>extract_many</span></a></nav>', "the table of contents lists 'extract_many' 2 times"),
    'stage': ('<td><code class="ssb-stage" style="white-space: nowrap">compare_runs</code></td>',
              "mode 'compare_runs' is not one"),
    # one line more guard code than a page may show
    'guards': (code_cell('g1', GUARDS), 'page made tall by guard code'),
    # a stage name in a table, and CSS that lets it break anywhere
    'stage_wrap': ('<div class="md-typeset narrow"><table><tr><td>Then <code>preprocess</code></td></tr></table></div>'
                   '<style>.narrow td code { word-break: break-all }</style>',
                   "stage name 'preprocess' in a table may break mid-word"),
}


def test_guard_lines_count_checks_only():
    assert check_docs.guard_lines(GUARDS) == check_docs.GUARD_LINES_MAX + 1
    assert check_docs.guard_lines(EXAMPLE_CELL) == 3                  # `r = f(2)` and `r` are the example
    assert check_docs.guard_lines('with open(p) as f:\n    data = f.read()\n    test_eq(data, "x")') == 3
    assert check_docs.guard_lines('x = [test_eq]\nprint(x)\n%time f()') == 0   # not Python: not counted


def test_docs_check_reports_each_planted_defect(tmp_path, monkeypatch):
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'a.png').write_bytes(b'')
    (tmp_path/'material.css').write_text(MATERIAL_CSS)
    (tmp_path/'ssb.css').write_text((build_docs.ROOT/'scripts'/'docs.css').read_text())
    (tmp_path/'good.html').write_text(GOOD_PAGE)
    assert check_docs.page_problems(tmp_path/'good.html') == []
    for name, (html, what) in DEFECTS.items():
        (tmp_path/f'{name}.html').write_text(GOOD_PAGE + html)
        problems = check_docs.page_problems(tmp_path/f'{name}.html')
        assert len(problems) == 1 and problems[0].startswith(f'{name}.html: {what}'), (name, problems)


def test_docs_check_reports_defects_planted_in_a_built_page(tmp_path, monkeypatch):
    "The same defects in a copy of a page `make docs` built (skips when site/ has not been built)."
    built = check_docs.SITE/'cache.html'
    if not built.is_file():
        pytest.skip(f'{built} not built: `make docs` first')
    assert check_docs.read_page(built).cells        # the built page's code cells are read (guard code is counted)
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'cache.html').write_text(built.read_text(encoding='utf-8'))
    html = built.read_text(encoding='utf-8')
    cut = html.index('</article>')
    for name, (defect, what) in DEFECTS.items():
        (tmp_path/f'{name}.html').write_text(html[:cut] + defect + html[cut:])
        problems = [p for p in check_docs.page_problems(tmp_path/f'{name}.html') if 'broken' not in p]
        assert any(p.startswith(f'{name}.html: {what}') for p in problems), (name, problems)


def test_widgets_are_shown_as_text_without_the_web_renderer():
    widget = {'output_type': 'execute_result', 'metadata': {}, 'execution_count': 1,
              'data': {'application/vnd.jupyter.widget-view+json': {'model_id': 'a1'}, 'text/plain': 'Explorer over 3 run(s)'}}
    nb = {'metadata': {'widgets': {'application/vnd.jupyter.widget-state+json': {'state': {}}}}, 'nbformat': 4,
          'nbformat_minor': 5, 'cells': [code('Explorer(runs)', [widget])]}
    page = build_docs.page_notebook(nb, '')[0]
    assert 'widgets' not in page['metadata'] and page['cells'][0]['outputs'][0]['data'] == {'text/plain': 'Explorer over 3 run(s)'}


def nav(*sections, toc=''):
    "A material sidebar: (section title, [entry titles]) per section; `toc`: entries of the current page's contents."
    def li(title, children=()):
        if not children:
            return f'<li class="md-nav__item"><a href="x.html" class="md-nav__link"><span>{title}</span></a>{toc}</li>'
        return (f'<li class="md-nav__item md-nav__item--section md-nav__item--nested"><input type="checkbox" id="n">'
                f'<label class="md-nav__link" for="n"><span>{title}</span></label><nav class="md-nav">'
                f'<label class="md-nav__title" for="n">{title}</label><ul class="md-nav__list">'
                + ''.join(li(c) for c in children) + '</ul></nav></li>')
    return ('<nav class="md-nav md-nav--primary"><label class="md-nav__title">Site</label><ul class="md-nav__list">'
            + li('Home') + ''.join(li(t, c) for t, c in sections) + '</ul></nav>')


def test_docs_check_reports_a_sidebar_section_repeating_its_entry(tmp_path, monkeypatch):
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    toc = ('<nav class="md-nav md-nav--secondary"><ul class="md-nav__list"><li class="md-nav__item">'
           '<a href="#core" class="md-nav__link">Core</a></li></ul></nav>')     # a page's contents may name it
    (tmp_path/'ok.html').write_text(nav(('Core', ['Overview', 'Config']), ('Models', ['Overview']), toc=toc))
    (tmp_path/'bad.html').write_text(nav(('Core', ['Core', 'Config']), ('Models', ['Audio CNN', 'models'])))
    assert check_docs.nav_problems(tmp_path/'ok.html') == []
    problems = check_docs.nav_problems(tmp_path/'bad.html')
    assert [p.split(': ', 1)[1][:40] for p in problems] == ["the sidebar repeats 'Core > Core': a sec",
                                                            "the sidebar repeats 'Models > models': a"], problems


def test_docs_check_reports_example_reports_not_linked(tmp_path, monkeypatch):
    monkeypatch.delenv('SSB_DOCS_EXAMPLES', raising=False)
    site, ran = tmp_path/'site', tmp_path/'outputs'
    for root in (site/'examples', ran):
        for f in ('index.html', 'runs/s/audio/evaluate.html', 'runs/s/audio/train.html', 'runs/s/audio/fig.html'):
            (root/f).parent.mkdir(parents=True, exist_ok=True)
            (root/f).write_text('<p>report</p>')
    (ran/'runs'/'s'/'face').mkdir()
    (ran/'runs'/'s'/'face'/'evaluate.html').write_text('<p>report</p>')   # ran, but the build did not ship it
    links = ['examples/index.html', 'examples/runs/s/audio/evaluate.html', 'examples/runs/s/audio/train.html#top']
    (site/'reports.html').write_text(''.join(f'<a href="{u}">x</a>' for u in links))
    assert check_docs.example_problems(site) == []
    assert check_docs.example_problems(site, ran) == [
        'reports.html: example report runs/s/face/evaluate.html of outputs/ is not shipped in site/examples/']
    (site/'reports.html').write_text(''.join(f'<a href="{u}">x</a>' for u in links[:2]))
    assert check_docs.example_problems(site) == [
        'reports.html: example report examples/runs/s/audio/train.html is shipped but not linked']
    shutil.rmtree(site/'examples')
    assert check_docs.example_problems(site)[0].startswith('reports.html: links no example report')
    monkeypatch.setenv('SSB_DOCS_EXAMPLES', '0')
    assert check_docs.example_problems(site, ran) == []


def test_docs_check_reports_nav_and_example_defects_planted_in_the_built_site(tmp_path, monkeypatch):
    "A copy of the built sidebar with 'Core > Core', and of the built reports page without one example link."
    if not (check_docs.SITE/'reports.html').is_file():
        pytest.skip(f'{check_docs.SITE} not built: `make docs` first')
    monkeypatch.delenv('SSB_DOCS_EXAMPLES', raising=False)
    home = (check_docs.SITE/'index.html').read_text(encoding='utf-8')
    assert check_docs.nav_problems(check_docs.SITE/'index.html') == []
    core = home.index('href="core.html"')
    overview = home.index('Overview', core)
    monkeypatch.setattr(check_docs, 'SITE', tmp_path)
    (tmp_path/'index.html').write_text(home[:overview] + 'Core' + home[overview + len('Overview'):])
    assert [p.split(': ', 1)[1][:32] for p in check_docs.nav_problems(tmp_path/'index.html')] == [
        "the sidebar repeats 'Core > Core"]
    built = build_docs.SITE
    shutil.copytree(built/'examples', tmp_path/'examples')
    reports = (built/'reports.html').read_text(encoding='utf-8')
    assert check_docs.example_problems(built) == []
    link = re.search(r'href="(examples/[^"]+/evaluate\.html)"', reports).group(1)
    (tmp_path/'reports.html').write_text(reports.replace(f'href="{link}"', 'href="#"'))
    assert check_docs.example_problems(tmp_path) == [f'reports.html: example report {link} is shipped but not linked']
