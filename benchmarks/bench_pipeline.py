"""Benchmark the fixed cost of a pipeline stage (kernel start, imports, HTML export), old path vs new, in one run.

A stage runs its report notebook with papermill and exports it to HTML. Besides the stage's own work that costs a
kernel start, the imports in the kernel, building nbconvert's HTML exporter and the export. This script measures,
side by side, alternating the two paths R times (median reported):

(a) old path: every stage starts its own kernel and builds a new HTML exporter (what `ssb` did before);
(b) new path: the stages of one `ssb` call share one kernel (namespace cleared between reports, modules stay
    imported) and one HTML exporter (`pipeline.runner.report_kernel`, `html_exporter`).

on two workloads:

1. an *empty report*: the parameters cell plus `report_setup(config_path)` (the imports every report makes), run as
   N stages in a row: the fixed cost per stage, first stage and later stages apart;
2. the *warm demo stages* `demo_data preprocess` on a small demo project (4 actors / 4 subjects) whose corpora and
   feature cache already exist (so demo_data is a no-op and preprocess has 100% cache hits): per stage, the wall
   time of `execute_report` against the stage's own work, the rest being fixed cost. Work is the smaller of the two
   paths' summed cell times (papermill records them): on the old path the cells also pay the imports, which are
   fixed cost too.

It also times, in fresh subprocesses, what the parent `ssb` process spends on the torch version in the run
manifest: `import torch` (old) against `importlib.metadata.version('torch')` (new); and (4) runs `--mode all` once on
the tiny demo (3 epochs) and prints every stage's wall time, its own work (the cells' summed durations) and the
rest, the fixed per-stage cost (kernel reset, papermill, HTML export).

On a shared machine wall times are noisy: compare the two paths within one run, not across runs. A benchmark only
reports; it exits 0. Run: `.venv/bin/python benchmarks/bench_pipeline.py [--repeats R] [--stages N]`.
"""
import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from socialsignalbench.pipeline import runner
from socialsignalbench.runs import open_run

SMALL = "extends: demo_tiny.yaml\nname: bench-demo\n"   # configs/demo_tiny.yaml: 4 actors, 4 subjects


def empty_report(path):
    """A report with only the parameters cell and the imports/config load every report starts with."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("config_path = ''  # run config\nrun_dir = ''  # run directory",
                                          metadata={'tags': ['parameters']}),
                nbformat.v4.new_code_cell('from socialsignalbench.pipeline.runner import report_setup\n'
                                          'cfg = report_setup(config_path)')]
    nbformat.write(nb, path)
    return path


def cell_seconds(nb_path):
    """Summed cell durations papermill recorded in an executed notebook."""
    nb = nbformat.read(nb_path, as_version=4)
    return sum(c.metadata.get('papermill', {}).get('duration') or 0 for c in nb.cells if c.cell_type == 'code')


def run_stages(jobs, run_dir, params, shared):
    """Execute [(name, notebook)] in order, old path (shared=False) or new; return [(name, wall s, cell s)]."""
    out = []
    runner.html_exporter.cache_clear()
    if shared:
        threading.Thread(target=runner.html_exporter, daemon=True).start()   # as run_modes does
        with runner.report_kernel() as km:
            for name, nb in jobs:
                t0 = time.perf_counter()
                p = runner.execute_report(nb, run_dir, params, name, km=km)
                out.append((name, time.perf_counter() - t0, cell_seconds(p)))
    else:
        for name, nb in jobs:
            runner.html_exporter.cache_clear()        # the old path built an exporter per export
            t0 = time.perf_counter()
            p = runner.execute_report(nb, run_dir, params, name)   # a kernel of its own
            out.append((name, time.perf_counter() - t0, cell_seconds(p)))
    return out


def side_by_side(jobs, run_dir, params, repeats):
    """Alternate old and new path `repeats` times; median wall and cell seconds per stage position."""
    res = {False: [], True: []}
    for _ in range(repeats):
        for shared in (False, True):
            res[shared].append(run_stages(jobs, run_dir, params, shared))
    med = {}
    for shared, runs in res.items():
        med[shared] = [(jobs[i][0], statistics.median(r[i][1] for r in runs), statistics.median(r[i][2] for r in runs))
                       for i in range(len(jobs))]
    return med


def print_table(title, med):
    print(f'\n{title}')
    print(f"  {'stage':<14} {'old wall':>9} {'old fixed':>10} {'new wall':>9} {'new fixed':>10} {'work':>7} {'fixed old/new':>14}")
    tot = [0.0, 0.0]
    for (name, ow, oc), (_, nw, nc) in zip(med[False], med[True]):
        work = min(oc, nc)             # imports cached in the shared kernel: the smaller is the stage's own work
        of, nf = ow - work, nw - work
        tot[0] += of
        tot[1] += nf
        print(f'  {name:<14} {ow:9.2f} {of:10.2f} {nw:9.2f} {nf:10.2f} {work:7.2f} {of / max(nf, 1e-9):13.1f}x')
    print(f"  {'all stages':<14} {'':9} {tot[0]:10.2f} {'':9} {tot[1]:10.2f} {'':7} {tot[0] / max(tot[1], 1e-9):13.1f}x")


def subprocess_seconds(code, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, '-c', code], check=True)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def suite_table(config):
    """4. `--mode all` on the tiny demo: per stage, wall time, own work and fixed cost."""
    from socialsignalbench.pipeline.suite import run_suite
    lines, t0 = [], time.perf_counter()
    root = run_suite(config, 'bench-all', log=lambda *a, **k: lines.append(''.join(map(str, a))), overrides={'train': {'epochs': 3}})
    total = time.perf_counter() - t0
    walls, run = [], None
    for ln in lines:
        if m := re.match(r'\[ssb\] suite step \d+: (\S+)', ln): run = m.group(1)
        elif m := re.match(r'\[ssb\] \d+/\d+ (\S+)\s+\.\.\.', ln): stage = m.group(1)
        elif m := re.match(r' done in ([\d.]+) s', ln): walls.append((run, stage, float(m.group(1))))
    print(f'\n4. --mode all on the tiny demo (3 epochs): {total:.1f} s in all, {len(walls)} stages')
    print(f"  {'run':<16} {'stage':<16} {'wall':>7} {'work':>7} {'fixed':>7}")
    fixed = []
    for run, stage, wall in walls:
        work = cell_seconds(root / run / f'{stage}.ipynb')
        fixed.append(wall - work)
        print(f'  {run:<16} {stage:<16} {wall:7.1f} {work:7.1f} {wall - work:7.1f}')
    print(f"  fixed cost per stage: median {statistics.median(fixed):.2f} s, total {sum(fixed):.1f} s of {sum(w for *_, w in walls):.1f} s;"
          f" the rest of the {total:.1f} s is the leaderboard and index")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=3, help='alternations of old and new path (median reported)')
    ap.add_argument('--stages', type=int, default=3, help='empty-report stages in a row')
    ap.add_argument('--skip-demo', action='store_true', help='only the empty report')
    ap.add_argument('--skip-all', action='store_true', help='skip the --mode all per-stage table')
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='ssb-bench-'))
    try:
        (tmp / 'settings.ini').write_text('')
        for name in ('base_config.yaml', 'demo.yaml', 'demo_tiny.yaml'):
            shutil.copy(runner.shipped_configs()[name.removesuffix('.yaml')], tmp / name)
        (tmp / 'small.yaml').write_text(SMALL)
        cfg = runner.resolve_config(tmp / 'small.yaml')
        run_dir = open_run(cfg, 'bench')
        params = {'config_path': str(run_dir / 'config.yaml'), 'run_dir': str(run_dir)}

        print(f'repeats: {a.repeats} (medians); machine load average: {Path("/proc/loadavg").read_text().split()[:3]}')
        empty = empty_report(tmp / 'empty.ipynb')
        med = side_by_side([(f'empty{i + 1}', empty) for i in range(a.stages)], run_dir, params, a.repeats)
        print_table(f'1. empty report x{a.stages} (fixed cost per stage; "work" = its import/config cell)', med)

        if not a.skip_demo:
            reports = runner.reports_dir(cfg)
            jobs = [(m, reports / runner.get_stage(m).notebook) for m in ('demo_data', 'preprocess')]
            t0 = time.perf_counter()
            run_stages(jobs, run_dir, params, True)     # cold: generate the corpora and fill the cache (not timed)
            print(f'\n(cold demo_data + preprocess to fill the cache: {time.perf_counter() - t0:.1f} s, not compared)')
            med = side_by_side(jobs, run_dir, params, a.repeats)
            print_table('2. warm demo stages (demo_data no-op, preprocess 100% cache hits)', med)
            s = json.loads((run_dir / 'preprocess_summary.json').read_text())
            print('  preprocess cache: ' + ', '.join(f"{c['corpus']} {c['n_hit']}/{c['n_items']} hits" for c in s['corpora']))

        old = subprocess_seconds('import torch; torch.__version__', a.repeats)
        new = subprocess_seconds("import importlib.metadata as m; m.version('torch')", a.repeats)
        base = subprocess_seconds('pass', a.repeats)
        print(f'\n3. torch version for the run manifest (parent process, once per ssb call, python start-up '
              f'{base:.2f} s subtracted): import torch {old - base:.2f} s, package metadata {new - base:.2f} s')
        if not a.skip_all:
            suite_table(tmp / 'small.yaml')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
