"""Thin wrapper over `ssb --mode download`: download, verify (MD5) and extract RAVDESS, then write its manifest.

Usage: python scripts/download_ravdess.py [--config configs/base_config.yaml] [--run-id ID]
"""
import sys

from socialsignalbench.pipeline.cli import main

if __name__ == '__main__':
    args = sys.argv[1:] if '--config' in sys.argv else ['--config', 'configs/base_config.yaml', *sys.argv[1:]]
    sys.exit(main([*args, '--mode', 'download']))
