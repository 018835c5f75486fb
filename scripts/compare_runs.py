"""Thin wrapper over `ssb compare`: paired comparison of evaluated runs (B - A with speaker/subject-bootstrap CIs,
McNemar, per-class and gold-slice deltas, a leaderboard for more than two runs).

Usage: python scripts/compare_runs.py RUN_A RUN_B [RUN ...] [--intersect] [--baseline RUN] [--config CONFIG] [--out DIR]
"""
import sys

from socialsignalbench.pipeline.cli import compare_command

if __name__ == '__main__':
    sys.exit(compare_command(sys.argv[1:]))
