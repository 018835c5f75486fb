"""Thin wrapper over `ssb --mode ingest_ckplus`: ingest CK+ from ckplus.root (default data/raw/ckplus) and write its manifest.

Usage: python scripts/ingest_ckplus.py [--config configs/base_config.yaml] [--run-id ID]
"""
import sys

from socialsignalbench.pipeline.cli import main

if __name__ == '__main__':
    args = sys.argv[1:] if '--config' in sys.argv else ['--config', 'configs/base_config.yaml', *sys.argv[1:]]
    sys.exit(main([*args, '--mode', 'ingest_ckplus']))
