"""`nbdev_test`, with each notebook in a fresh Python process (`make nbtest`).

nbdev_test runs the notebooks in a pool of forked workers that each execute several notebooks in turn. When one of
them crashed (a segfault: a jump to address 0, in 3 CI-like runs), the whole pool broke and no notebook was named.
Run one notebook per interpreter with faulthandler, this script found the cause at once: `librosa.yin` in a test of
15a_demo_speech, whose numba gufunc, loaded back from librosa's disk cache, segfaults (that test no longer uses it).
Here every notebook gets its own interpreter (`python -X faulthandler`), so native state cannot leak from one notebook
to the next, a crash names its notebook and prints the Python stack where it happened, and a notebook whose process
was killed by a signal is run once more (said on the console; a second crash fails). A notebook whose tests fail is
never re-run.
"""
import argparse, os, signal, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(nb: str, flags: str) -> int:
    "Run one notebook's tests in this process (the child side): 0 passed, 1 failed."
    from nbdev.config import get_config
    from nbdev.test import test_nb
    cfg = get_config()
    ok, _ = test_nb(Path(nb).absolute(), skip_flags=cfg.tst_flags.split(), force_flags=flags.split(),
                    basepath=cfg.config_path)
    return 0 if ok else 1


def run(nb: Path, flags: str) -> tuple[int, float, str]:
    "Run `nb` in a fresh interpreter; (return code, seconds, captured stderr)."
    t = time.time()
    p = subprocess.run([sys.executable, '-X', 'faulthandler', __file__, '--one', str(nb), '--flags', flags],
                       cwd=nb.parent, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    return p.returncode, time.time() - t, p.stderr


def run_with_retry(nb: Path, flags: str) -> tuple[bool, float]:
    rc, secs, err = run(nb, flags)
    if rc < 0:  # killed by a signal: a native crash, not a failing test
        sig = signal.Signals(-rc).name
        sys.stderr.write(f"[nbtest] {nb.name}: the notebook's process died with {sig}; its stack:\n{err}\n"
                         f"[nbtest] {nb.name}: running it once more in a fresh process\n")
        rc, more, err = run(nb, flags)
        secs += more
        if rc < 0: err += f"\n[nbtest] {nb.name}: died with {signal.Signals(-rc).name} again\n"
    if rc != 0: sys.stderr.write(err)
    return rc == 0, secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--path', default=None, help='a notebook or folder (default: every notebook under nbs/)')
    ap.add_argument('--flags', default='', help='space-separated test flags to run that are normally skipped')
    ap.add_argument('--n_workers', type=int, default=min(os.cpu_count() or 1, 8))
    ap.add_argument('--timing', action='store_true', help='print each notebook\'s seconds, slowest first')
    ap.add_argument('--one', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one: return one(a.one, a.flags)
    from nbdev.doclinks import nbglob
    files = [Path(f).absolute() for f in sorted(nbglob(a.path, as_path=True))
             if not (Path(f).parent / '.notest').exists()]
    if not files: return print('No files were eligible for testing') or 0
    with ThreadPoolExecutor(max(a.n_workers, 1)) as ex:
        results = list(ex.map(lambda f: run_with_retry(f, a.flags), files))
    failed = [f.name for f, (ok, _) in zip(files, results) if not ok]
    if a.timing:
        for f, (_, s) in sorted(zip(files, results), key=lambda o: -o[1][1]): print(f'{f.name}: {int(s)} secs')
    if failed:
        sys.stderr.write('\nnbdev Tests Failed On The Following Notebooks:\n' + '=' * 50 + '\n\t' + '\n\t'.join(failed) + '\n')
        return 1
    print('Success.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
