"""Does the demo audio CNN train to the same numbers on every x86 CPU? Trains it under several CPU code paths and compares.

`make demo` gave the audio CNN a test UAR of 0.573 on one machine and 0.661 on another (same config and seed; the
logistic reference 0.610 on both). This script trains the demo audio CNN (`configs/demo.yaml`, `train.repeats: 1`,
the `train` stage itself: `train.stage.stage_train`) once per setting, each in a fresh process (the environment
variables must be set before torch is imported), and prints per setting its test UAR, the training seconds, their
ratio to the first setting, and the sha256 of the trained weights: equal hashes mean bit-identical training.

Settings: torch's defaults (all cores), 1 thread, oneDNN limited to SSE4.1 or AVX2 (`ONEDNN_MAX_CPU_ISA`), oneDNN off
(`torch.backends.mkldnn.enabled = False`), ATen's own kernels on their scalar path (`ATEN_CPU_CAPABILITY=default`),
and the candidate portable setting (`portable`: oneDNN off, 1 thread, ATen pinned to AVX2, MKL in its conditional
numerical reproducibility mode `MKL_CBWR=COMPATIBLE`) with and without the other code paths forced under it.
`--epochs 2` is enough to see which settings change the trained bits (and the time ratio per epoch). Run it on two
machines and compare the hashes. Needs the demo corpora: `ssb --config configs/demo.yaml --mode demo_data preprocess`.
Run: `.venv/bin/python benchmarks/bench_portability.py [--only NAME ...]`. A benchmark only reports: it exits 0.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTABLE = dict(threads=1, mkldnn=False, env={'ATEN_CPU_CAPABILITY': 'avx2', 'MKL_CBWR': 'COMPATIBLE'})
SETTINGS = {
    'default': dict(),
    'threads1': dict(threads=1),
    'onednn_sse41': dict(env={'ONEDNN_MAX_CPU_ISA': 'SSE41'}),
    'onednn_avx2': dict(env={'ONEDNN_MAX_CPU_ISA': 'AVX2'}),
    'mkldnn_off': dict(mkldnn=False),
    'aten_default': dict(env={'ATEN_CPU_CAPABILITY': 'default'}),
    'portable': PORTABLE,
    'portable_forced': dict(PORTABLE, env={**PORTABLE['env'], 'ONEDNN_MAX_CPU_ISA': 'SSE41', 'MKL_ENABLE_INSTRUCTIONS': 'SSE4_2'}),
}


def child(name: str, runs: str, epochs: int = 0) -> dict:
    "Train once under the current process's settings; the result as a dict."
    import hashlib
    import time
    import torch
    s = SETTINGS[name]
    if s.get('threads'): torch.set_num_threads(s['threads'])
    if s.get('mkldnn') is False: torch.backends.mkldnn.enabled = False
    from socialsignalbench.config import load_config
    from socialsignalbench.metrics.functional import uar
    from socialsignalbench.metrics.predictions import Predictions
    from socialsignalbench.train.checkpoint import load_checkpoint
    from socialsignalbench.train.stage import stage_train
    over = {'train': {'repeats': 1, **({'epochs': epochs} if epochs else {})}, 'paths': {'runs_dir': runs}}
    cfg = load_config(ROOT/'configs/demo.yaml', over)
    run_dir, t0 = Path(runs)/name, time.perf_counter()
    summ = stage_train(cfg, run_dir)
    p = Predictions.read_csv(run_dir/'predictions_test.csv')
    r = Predictions.read_csv(run_dir/'reference_predictions_test.csv')
    tensors, _ = load_checkpoint(run_dir/'model_best.pt')
    h = hashlib.sha256(b''.join(tensors[k].numpy().tobytes() for k in sorted(tensors))).hexdigest()[:12]
    return dict(setting=name, threads=torch.get_num_threads(), mkldnn=torch.backends.mkldnn.enabled,
                capability=torch.backends.cpu.get_cpu_capability(), uar=round(float(uar(p.y_true, p.y_pred, n_classes=len(p.classes))), 4),
                reference_uar=round(float(uar(r.y_true, r.y_pred, n_classes=len(r.classes))), 4), val_uar=round(summ.val_uar, 4),
                best_epoch=summ.best_epoch, train_seconds=summ.train_seconds, stage_seconds=round(time.perf_counter() - t0, 1), weights=h)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', nargs='*', choices=list(SETTINGS), help='settings to run (default: all)')
    ap.add_argument('--epochs', type=int, default=0,
                    help='train this many epochs (0: the demo config\'s; a few suffice to see whether the bits differ)')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    ap.add_argument('--runs', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print('RESULT ' + json.dumps(child(a.child, a.runs, a.epochs)), flush=True)
        return 0
    from socialsignalbench.runs import machine_info
    print(json.dumps(machine_info(), indent=1))
    rows, runs = [], tempfile.mkdtemp(prefix='ssb-portability-')
    for name in a.only or list(SETTINGS):
        env = {**os.environ, **SETTINGS[name].get('env', {}), 'SSB_PROGRESS': '0'}
        out = subprocess.run([sys.executable, __file__, '--child', name, '--runs', runs, '--epochs', str(a.epochs)], env=env,
                             capture_output=True, text=True, cwd=ROOT)
        line = next((x for x in out.stdout.splitlines() if x.startswith('RESULT ')), None)
        if line is None:
            print(f"{name}: failed\n{out.stderr[-2000:]}"); continue
        rows.append(json.loads(line[7:]))
        base = rows[0]['train_seconds']
        r = rows[-1]
        print(f"{name:16s} UAR {r['uar']:.4f}  reference {r['reference_uar']:.4f}  val {r['val_uar']:.4f}  "
              f"best epoch {r['best_epoch']:3d}  threads {r['threads']}  {r['capability']:8s} "
              f"train {r['train_seconds']:7.1f} s ({r['train_seconds']/base:.2f}x)  weights {r['weights']}",
              flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
