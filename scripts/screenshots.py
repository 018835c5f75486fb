"""Screenshot HTML pages (outputs/index.html, a report, a docs page) with headless Chromium, to look at them as a
reader would. Offline: pages are opened from disk. Usage:

    python scripts/screenshots.py outputs/index.html outputs/runs/<suite>/audio/evaluate.html [--out /tmp/shots] [--widths 800 1280]
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def browser() -> str:
    """The Chromium executable (Debian package `chromium`), or exit with what to install."""
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if path := shutil.which(name):
            return path
    sys.exit('error: no Chromium found: install the Debian package `chromium` (apt install chromium).')


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2000) -> Path:
    """A PNG of `page` rendered at width x height."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([browser(), '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', f'--screenshot={out}',
                    f'--window-size={width},{height}', page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pages', nargs='+', type=Path, help='HTML files')
    p.add_argument('--out', type=Path, default=Path('/tmp/ssb-shots'), help='folder for the PNGs')
    p.add_argument('--height', type=int, default=2000, help='window height in pixels')
    p.add_argument('--widths', type=int, nargs='+', default=[1280], help='window widths in pixels, e.g. 800 1280')
    a = p.parse_args(argv)
    for i, page in enumerate(a.pages):
        if not page.is_file():
            sys.exit(f'error: {page} does not exist.')
        for w in a.widths:
            print(screenshot(page, a.out / f'{i:02d}-{page.parent.name}-{page.stem}-{w}.png', width=w, height=a.height))
    return 0


if __name__ == '__main__':
    sys.exit(main())
