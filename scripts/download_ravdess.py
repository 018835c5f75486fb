"""Thin wrapper: download, verify and extract RAVDESS, then write its manifest (same as `ssb --mode download`).

Usage: python scripts/download_ravdess.py [--config configs/base_config.yaml] [--run-id ID]
"""
import argparse
import sys

from socialsignalbench.run import main


def cli(argv=None):
    """Parse `--config`/`--run-id` and run the `download` mode."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default='configs/base_config.yaml', help='YAML config (URL, md5, target folder)')
    p.add_argument('--run-id', default=None, help='run directory name (default: UTC time + config hash)')
    a = p.parse_args(argv)
    return main(['--config', a.config, '--mode', 'download'] + (['--run-id', a.run_id] if a.run_id else []))


if __name__ == '__main__':
    sys.exit(cli())
