"""Fail if `nbdev_export`, `nbdev_clean` or the README generator would change any file.

Works on a clean clone (CI) and in a dirty working tree alike: it compares file contents before and after,
rather than asking git, and prints what changed and how to fix it.
"""
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WATCH = [ROOT / 'socialsignalbench', ROOT / 'nbs']
FILES = [ROOT / 'README.md']


def snapshot():
    files = list(FILES)
    for d in WATCH:
        files += [p for p in d.rglob('*') if p.is_file() and p.suffix in ('.py', '.ipynb')
                  and '.ipynb_checkpoints' not in p.parts and '__pycache__' not in p.parts]
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None
            for p in files}


def main():
    before = snapshot()
    for cmd in ([str(BIN / 'nbdev_export')], [str(BIN / 'nbdev_clean')],
                [sys.executable, str(ROOT / 'scripts' / 'make_readme.py')]):
        subprocess.run(cmd, cwd=ROOT, check=True)
    after = snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        print('These files changed when re-exported/cleaned: the library, README or notebooks were out of sync.')
        print('\n'.join('  ' + c for c in changed))
        print('Fix: run `nbdev_export && nbdev_clean && python scripts/make_readme.py`, review and commit.')
        sys.exit(1)
    print(f'In sync: {len(after)} notebook/library files and README.md unchanged by nbdev_export/nbdev_clean.')


if __name__ == '__main__':
    main()
