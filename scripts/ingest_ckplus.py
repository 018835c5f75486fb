"""Thin wrapper: ingest CK+ from `ckplus.root` (default data/raw/ckplus) and write its manifest (same as `ssb --mode ingest_ckplus`).

Usage: python scripts/ingest_ckplus.py [--config configs/base_config.yaml] [--run-id ID]
"""
import argparse
import sys

from socialsignalbench.run import main


def cli(argv=None):
    """Parse `--config`/`--run-id` and run the `ingest_ckplus` mode."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default='configs/base_config.yaml', help='YAML config (ckplus.root, n_peak, include_neutral)')
    p.add_argument('--run-id', default=None, help='run directory name (default: UTC time + config hash)')
    a = p.parse_args(argv)
    return main(['--config', a.config, '--mode', 'ingest_ckplus'] + (['--run-id', a.run_id] if a.run_id else []))


if __name__ == '__main__':
    sys.exit(cli())
