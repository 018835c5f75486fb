"""Does a pretrained face representation beat the face CNN on the London 72? A probe, not a shipped model.

Two pretrained representations from dlib (the `dlib-bin` wheel and the `face_recognition_models` package, neither a
dependency of socialsignalbench: `pip install dlib-bin face_recognition_models` into a scratch environment): the
68-point landmarks of `shape_predictor_68_face_landmarks` (trained on iBUG 300-W, whose licence excludes commercial
use), rotated so the eyes are level, centred between the eyes and scaled by the inter-ocular distance; and the 128-d
identity embedding of `dlib_face_recognition_resnet_model_v1` (CC0). Faces are found with the package's own Haar
detector (`features.face.detect_faces`, the largest box), dlib's detector where Haar finds none. Each representation
goes into a standardised logistic regression whose C is chosen per outer fold by an inner grouped CV on the training
people only, over the same 6 person-grouped folds as `bench_faces.py` (the package's computed folds). With `--cnn-run`
(a `bench_faces.py` run folder) it also averages the landmarks model's probabilities with the CNN seeds' averaged
probabilities (weights 1/2, fixed in advance). UAR of pooled out-of-fold predictions with a 95% person-bootstrap CI.
A benchmark only reports: it exits 0 whatever the numbers; without dlib it says what to install and exits 0.
"""
import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import bench_faces
from socialsignalbench.data.dataset import load_corpus
from socialsignalbench.data.stages import stage_ingest_csv
from socialsignalbench.features.face import detect_faces, largest_face
from socialsignalbench.metrics.functional import uar
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import repeat_file

GRID = (0.01, 0.1, 1.0)  # logistic C, chosen per outer fold on the training people only


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    bench_faces.add_face_args(p)
    p.add_argument('--work', type=Path, help='scratch project folder (default: a new temp folder)')
    p.add_argument('--cnn-run', type=Path, help='a bench_faces.py run folder: also average with its CNN seed ensemble')
    return p.parse_args(argv)


def describe(paths, root:Path) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (n, 136) eye-aligned and scaled, embeddings (n, 128)) of each image."""
    import dlib
    import face_recognition_models as frm
    shape, embed = dlib.shape_predictor(frm.pose_predictor_model_location()), dlib.face_recognition_model_v1(
        frm.face_recognition_model_location())
    dlib_detect, L, E = dlib.get_frontal_face_detector(), [], []
    for p in paths:
        bgr = cv2.imread(str(root / p)); rgb, gray = np.ascontiguousarray(bgr[:, :, ::-1]), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        boxes = detect_faces(gray)
        if len(boxes): x, y, w, h = (int(v) for v in largest_face(boxes)); box = dlib.rectangle(x, y, x + w, y + h)
        else: box = max(dlib_detect(rgb, 1), key=lambda r: r.area())
        s = shape(rgb, box); pts = np.array([(q.x, q.y) for q in s.parts()], float)
        le, re = pts[36:42].mean(0), pts[42:48].mean(0); d = re - le; a = -np.arctan2(d[1], d[0])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        L.append(((pts - (le + re) / 2) @ rot.T / np.linalg.norm(d)).ravel()); E.append(np.array(embed.compute_face_descriptor(rgb, s)))
    return np.array(L), np.array(E)


def logreg(c:float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def nested(X, y, folds) -> tuple[np.ndarray, list]:
    """Out-of-fold probabilities; C chosen per outer fold by the mean UAR over the other folds (inner grouped CV)."""
    probs, chosen = np.zeros((len(y), 2)), []
    for k in np.unique(folds):
        tr = folds != k
        inner = lambda c: np.mean([uar(y[tr][folds[tr] == j], logreg(c).fit(X[tr][folds[tr] != j], y[tr][folds[tr] != j])
                                       .predict(X[tr][folds[tr] == j])) for j in np.unique(folds[tr])])
        c = max(GRID, key=inner); chosen.append(c)
        probs[~tr] = logreg(c).fit(X[tr], y[tr]).predict_proba(X[~tr])
    return probs, chosen


def main(argv=None):
    a = parse_args(argv)
    try: import dlib, face_recognition_models  # noqa: F401,E401
    except ImportError as e: return print(f'needs {e.name}: pip install dlib-bin face_recognition_models (not a dependency)')
    a.work = (a.work or Path(tempfile.mkdtemp(prefix='bench_landmarks_'))).resolve(); a.work.mkdir(parents=True, exist_ok=True)
    cfg = bench_faces.project_config(a); stage_ingest_csv(cfg)
    df = load_corpus(cfg, cfg.train.corpus)
    y, folds, groups = (df['emotion'] == 'neutral').to_numpy(int), df['fold'].to_numpy(), df['group'].to_numpy()
    t = time.perf_counter(); L, E = describe(df['path'], a.data); t = time.perf_counter() - t
    print(f'{len(df)} images, {len(set(groups))} people, {len(set(folds))} folds; dlib landmarks + embedding: {t:.1f} s')
    rows = {}
    for name, X in (('landmarks (68 points)', L), ('identity embedding (128-d)', E), ('both', np.hstack([L, E]))):
        rows[name] = nested(X, y, folds)
    if a.cnn_run:
        ids = [f'{cfg.train.corpus}:{p}' for p in df['path']]
        n = len(list((a.cnn_run / 'repeats').glob('predictions_test_*.csv'))) + 1
        ens = []
        for k in range(n):
            p = Predictions.read_csv(repeat_file(a.cnn_run / 'predictions_test.csv', k)); at = {i: j for j, i in enumerate(p.ids)}
            ens.append(p.probs[[at[i] for i in ids]][:, [list(p.classes).index(c) for c in ('engagement', 'neutral')]])
        cnn = np.mean(ens, 0); cnn = cnn / cnn.sum(1, keepdims=True)
        rows[f'CNN seed ensemble ({n} seeds)'] = (cnn, None)
        rows['CNN ensemble + landmarks, weights 1/2'] = ((cnn + rows['landmarks (68 points)'][0]) / 2, None)
    print(f"{'representation -> logistic':40s} | {'UAR [95% CI]':20s} | C chosen per fold")
    for name, (probs, chosen) in rows.items():
        print(f"{name:40s} | {bench_faces.fmt(bench_faces.ci(y, probs.argmax(1), groups)):20s} | "
              f"{' '.join(f'{c:g}' for c in chosen) if chosen else ''}")


if __name__ == '__main__':
    main()
