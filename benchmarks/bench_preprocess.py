"""Benchmark the MFCC preprocessing stage against a naive librosa loop, side by side in one run.

On the same list of WAV files (the generated demo corpus and, when present, the real RAVDESS files in
`../shared/data/ravdess_speech_16k`) it measures files per second of

(a) naive: a sequential loop of `librosa.load(path, sr=16000)` + `librosa.feature.mfcc(...)` with the n_mfcc, n_fft,
    hop_length and n_mels of the default `MfccParams()`; no silence trimming and no pad/crop (the pipeline does
    both, but `librosa.effects.trim` alone about doubles the naive time, so leaving them out keeps (a) conservative).
    It runs twice, with numpy's default BLAS threads and limited to 1 BLAS thread (threadpoolctl): the default
    threads make it several times slower whenever anything else runs on the machine (OpenBLAS oversubscription in
    librosa's mel product), so (a) is the faster of the two, again to keep the baseline conservative;
(b) cold: `cache.extract_many(items, 'mfcc', MfccParams(), FeatureCache(<empty temp dir>), workers=<all cores>)`,
    run in a fresh subprocess so that starting the worker processes is part of the time (pandas is imported first:
    the preprocess stage has it loaded for the manifests before extraction starts);
(c) warm: the same call again on the same cache, in that subprocess (every input is a hit);
(b') for information, no target: the cold call once more on another empty cache, with the workers of (b) still up,
    so b - b' is roughly what starting the workers costs.

and prints the ratios b/a and c/a with the targets of a 2-core machine (cold >= 1.7x, warm >= 20x). The sha256 of
each file is computed before any timing (the real pipeline reads it from the corpus manifest), and librosa gets one
throwaway call first (its first call compiles numba code). Every file is read once before timing, so all three
measurements see a warm OS page cache. Progress bars are off. Identical files (same sha256) are computed once by
the cache, as in the pipeline; the output says how many there are. A benchmark only reports: it exits 0 whether
or not a target is met. Run: `make bench`, or `.venv/bin/python benchmarks/bench_preprocess.py --help`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import cpu_count
from threadpoolctl import threadpool_limits

from socialsignalbench.features.audio import MfccParams
from socialsignalbench.core import sha256_file
from socialsignalbench.data.demo import demo_files, make_demo_ravdess, read_marker

ROOT = Path(__file__).resolve().parents[1]
REAL_DIR = ROOT.parent / 'shared' / 'data' / 'ravdess_speech_16k'
DEMO_DIR = ROOT / 'data' / 'demo' / 'raw' / 'ravdess'
TARGETS = {'cold': 1.7, 'warm': 20.0}  # speed-ups over naive expected on a 2-core machine


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--only', choices=('demo', 'real'), help='benchmark only this corpus')
    p.add_argument('--workers', type=int, default=0, help='worker processes for extract_many (0: all cores)')
    p.add_argument('--limit', type=int, default=0, help='use only the first N files of each corpus (0: all)')
    p.add_argument('--real-dir', type=Path, default=REAL_DIR, help='real RAVDESS folder (Actor_XX/*.wav)')
    p.add_argument('--child', type=Path, help=argparse.SUPPRESS)  # internal: run (b) and (c) from this spec file
    args = p.parse_args(argv)
    if args.workers < 0 or args.limit < 0: p.error('--workers and --limit must be >= 0')
    return args


def complete_demo(root):
    """The WAV files of the demo corpus in `root` when it is complete, else None."""
    if read_marker(root) is None: return None
    files = [f for f in demo_files(root) if f.suffix == '.wav']
    return files if files and all(f.is_file() for f in files) else None


def demo_corpus(tmp):
    """The demo WAV files (the project's complete demo corpus, or one generated under `tmp`) and where they are."""
    if (files := complete_demo(DEMO_DIR)): return files, f'reused {DEMO_DIR}'
    t0 = time.perf_counter()
    files = [f for f in make_demo_ravdess(Path(tmp) / 'demo_ravdess', n_actors=12, seed=0) if f.suffix == '.wav']
    return files, f'generated in a temp dir in {time.perf_counter() - t0:.1f} s, deleted afterwards'


def real_corpus(root):
    """The real RAVDESS WAV files under `root`, sorted; empty when the folder is absent."""
    return sorted(Path(root).glob('Actor_*/*.wav')) if Path(root).is_dir() else []


def hash_items(files):
    """[(path, sha256)] of `files` and the seconds it took (also warms the OS page cache)."""
    t0 = time.perf_counter()
    items = [(str(f), sha256_file(f)) for f in files]
    return items, time.perf_counter() - t0


def naive_mfcc(path, cfg):
    """MFCCs of `path` the naive way: `librosa.load` + `librosa.feature.mfcc` with `cfg`'s parameters."""
    import librosa
    y, sr = librosa.load(path, sr=cfg.sample_rate)
    return librosa.feature.mfcc(y=y, sr=sr, n_mfcc=cfg.n_mfcc, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)


def warm_librosa(path, cfg):
    """Import librosa and make one throwaway call (numba compilation); return the seconds it took."""
    t0 = time.perf_counter()
    naive_mfcc(path, cfg)
    return time.perf_counter() - t0


def time_naive(files, cfg, blas_threads=None):
    """Seconds for the naive sequential loop over `files`, with `blas_threads` BLAS threads (None: default)."""
    with threadpool_limits(blas_threads):
        t0 = time.perf_counter()
        for f in files: naive_mfcc(f, cfg)
        return time.perf_counter() - t0


def child_main(spec_path):
    """In a fresh process: time `extract_many` cold, warm, then cold with the workers up; print the times as JSON."""
    import socialsignalbench.features.audio  # noqa: F401  (registers the 'mfcc' extractor)
    import pandas  # noqa: F401  (the preprocess stage has it loaded, for the manifests, before extraction starts)
    from socialsignalbench.features.cache import FeatureCache
    from socialsignalbench.features.extract import extract_many
    spec = json.loads(Path(spec_path).read_text())
    items, cache, out = [tuple(i) for i in spec['items']], FeatureCache(spec['cache']), {}
    for run in ('cold', 'warm', 'up'):
        if run == 'up': cache = FeatureCache(spec['cache'] + '-up')
        t0 = time.perf_counter()
        r = extract_many(items, 'mfcc', MfccParams(), cache, workers=spec['workers'])
        out[run] = dict(seconds=time.perf_counter() - t0, hit=r.n_hit, computed=r.n_computed, error=r.n_error)
    print(json.dumps(out))


def time_pipeline(items, workers, tmp):
    """Run `child_main` in a fresh Python process on a fresh cache under `tmp`; return its result dict."""
    d = Path(tempfile.mkdtemp(prefix='pipeline-', dir=tmp))
    spec = d / 'spec.json'
    spec.write_text(json.dumps({'items': items, 'cache': str(d / 'cache'), 'workers': workers}))
    env = {**os.environ, 'SSB_PROGRESS': '0'}
    p = subprocess.run([sys.executable, __file__, '--child', str(spec)], env=env, capture_output=True, text=True)
    if p.returncode: sys.exit(f"The pipeline subprocess failed:\n{p.stderr}")
    shutil.rmtree(d, ignore_errors=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def counts_note(res, items):
    """What (b) and (c) did; a warning when they skipped work other than identical files."""
    n, u, (c, w) = len(items), len({s for _, s in items}), (res['cold'], res['warm'])
    note = (f"  (b) computed {c['computed']}, hit {c['hit']}, failed {c['error']}; (c) hit {w['hit']}"
            + (f"; {n - u} of the {n} files duplicate another file byte for byte (computed once)" if u < n else ''))
    if c['computed'] != u or c['error'] or w['hit'] != n: note += "\n  WARNING: the timings do not cover the full work"
    return note + '\n'


def table(n, naive, res, workers):
    """The side-by-side table of files/s and speed-ups over naive (the faster of `naive`), with the targets."""
    rows = [('(a) naive loop, default BLAS threads', naive[0], None), ('(a) naive loop, 1 BLAS thread', naive[1], None),
            (f"(b) extract_many cold, workers={workers}", res['cold']['seconds'], 'cold'),
            ('(c) extract_many warm (all hits)', res['warm']['seconds'], 'warm'),
            ("(b') cold cache, workers already up", res['up']['seconds'], None)]
    lines = [f"  {'measurement':<36} {'seconds':>8} {'files/s':>9} {'vs (a)':>8}  target",
             f"  {'-'*36} {'-'*8} {'-'*9} {'-'*8}  {'-'*18}"]
    for name, s, key in rows:
        ratio, t = min(naive) / s, TARGETS.get(key)
        goal = f">= {t:g}x: {'met' if ratio >= t else 'NOT met'}" if t else ''
        lines.append(f"  {name:<36} {s:8.2f} {n / s:9.1f} {ratio:7.2f}x  {goal}")
    return '\n'.join(lines)


def bench_corpus(name, files, where, args, tmp):
    """Measure (a), (b), (c) and (b') on `files` and print the table."""
    cfg, workers = MfccParams(), args.workers or cpu_count()
    print(f"\n== {name}: {len(files)} files ({where})")
    items, t_hash = hash_items(files)
    print(f"  sha256 of the {len(files)} files computed before timing in {t_hash:.2f} s "
          "(the real pipeline takes them from the corpus manifest); not counted in (b) or (c)")
    naive = time_naive(files, cfg), time_naive(files, cfg, 1)
    res = time_pipeline(items, workers, tmp)
    print(f"  (a) is the faster naive row; (b), (c), (b') ran in a fresh subprocess, (b) includes starting {workers} "
          "workers and their imports")
    print(counts_note(res, items) + table(len(files), naive, res, workers))


def collect_corpora(args, tmp):
    """[(name, files, where)] of the corpora to measure; says so when the real one is skipped."""
    out = [('demo RAVDESS', *demo_corpus(tmp))] if args.only != 'real' else []
    if args.only != 'demo':
        if (files := real_corpus(args.real_dir)): out.append(('real RAVDESS', files, str(args.real_dir)))
        else: print(f"real RAVDESS: skipped, no WAV files in '{args.real_dir}'")
    return out


def main(argv=None):
    """Run the benchmark on the demo corpus and, when present, the real RAVDESS files."""
    args = parse_args(argv)
    if args.child: return child_main(args.child)
    print(f"cores: {os.cpu_count()} (usable: {cpu_count()}); targets are for a 2-core machine: "
          f"cold >= {TARGETS['cold']:g}x naive, warm >= {TARGETS['warm']:g}x naive")
    print(f"audio config: {MfccParams()}")
    os.environ['SSB_PROGRESS'] = '0'
    with tempfile.TemporaryDirectory(prefix='ssb-bench-') as tmp:
        corpora = collect_corpora(args, tmp)
        if corpora:
            t = warm_librosa(corpora[0][1][0], MfccParams())
            print(f"librosa import + first call (numba compilation) took {t:.2f} s; not counted in (a)")
        for name, files, where in corpora: bench_corpus(name, files[:args.limit or None], where, args, tmp)


if __name__ == '__main__':
    main()
