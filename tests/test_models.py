"""Models (shapes, registry, classical reference), safe checkpoints (round trip, tampered files) and augmentation."""
import json
import pickle

import numpy as np
import pytest
import torch

from socialsignalbench.config import AugmentConfig, Config, ModelConfig
from socialsignalbench.core import SSBError
from socialsignalbench.models.core import (MODELS, build_model, estimator_from_tensors, estimator_proba, estimator_tensors,
                                          fit_estimator, model_spec)
from socialsignalbench.train.augment import augment_audio, augment_faces, mask_spans, time_mask
from socialsignalbench.train.checkpoint import FORMAT, checkpoint_meta, load_checkpoint, save_checkpoint

SMALL = ModelConfig(params={'audio_cnn': {'width': 8, 'depth': 2, 'embed_dim': 16}})


@pytest.mark.parametrize('name,shape', [('audio_cnn', (40, 351)), ('face_cnn', (48, 48))])
def test_cnn_forward_and_embed_shapes(name, shape):
    m = build_model(name, shape, 5, ModelConfig(), seed=0).eval()
    x = torch.randn(3, *shape)
    with torch.no_grad():
        assert m(x).shape == (3, 5)
        assert m.embed(x).shape == (3, model_spec(name).params().embed_dim)
        assert torch.equal(m(x), m.classifier(m.embed(x)))
    assert model_spec(name).modality == ('audio' if name == 'audio_cnn' else 'image')


def test_registry_lists_models_and_refuses_unknown():
    model_spec('audio_cnn')
    assert {'audio_cnn', 'face_cnn', 'audio_logreg'} <= set(MODELS.names())
    with pytest.raises(SSBError, match="Unknown model 'resnet'.*Valid: audio_cnn, audio_logreg, (egemaps_[a-z_]+, )*face_cnn"):
        build_model('resnet', (40, 351), 3, SMALL)


def test_seeded_build_is_reproducible():
    a, b = (build_model('audio_cnn', (13, 40), 3, SMALL, seed=4) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def toy(seed, n_per=15):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3 * n_per, 4, 25)).astype(np.float32)
    y = np.repeat(np.arange(3), n_per)
    X[:, 0] += 2.0 * y[:, None]
    return X, y


def test_logreg_beats_chance_and_round_trips():
    (Xtr, ytr), (Xte, yte) = toy(0), toy(1)
    fitted = fit_estimator('audio_logreg', Xtr, ytr, SMALL, seed=0)
    P = estimator_proba('audio_logreg', fitted, Xte, 3)
    assert (P.argmax(1) == yte).mean() > 0.8  # chance is 1/3
    np.testing.assert_array_equal(estimator_proba('audio_logreg',
                                                  estimator_from_tensors('audio_logreg', estimator_tensors('audio_logreg', fitted), SMALL),
                                                  Xte, 3), P)


def meta_for(model='audio_cnn', modality='audio'):
    return checkpoint_meta(Config(), model, modality, {'name': 'toy', 'classes': ['a', 'b', 'c']},
                           {'mode': 'train', 'mean': [0.0] * 13, 'std': [1.0] * 13})


def test_checkpoint_round_trip(tmp_path):
    m = build_model('audio_cnn', (13, 40), 3, SMALL, seed=0)
    meta = meta_for()
    path = save_checkpoint(tmp_path / 'model_best.pt', m.state_dict(), meta)
    tensors, meta2 = load_checkpoint(path)
    assert meta2 == meta
    assert tensors.keys() == m.state_dict().keys()
    assert all(torch.equal(tensors[k], v) for k, v in m.state_dict().items())
    assert [p.name for p in tmp_path.iterdir()] == ['model_best.pt']  # atomic: no temp file left


def test_logreg_checkpoint_round_trip(tmp_path):
    (Xtr, ytr), (Xte, _) = toy(0), toy(1)
    fitted = fit_estimator('audio_logreg', Xtr, ytr, SMALL)
    path = save_checkpoint(tmp_path / 'ref.pt', estimator_tensors('audio_logreg', fitted), meta_for('audio_logreg'))
    tensors, meta = load_checkpoint(path)
    assert meta['model'] == 'audio_logreg'
    np.testing.assert_array_equal(estimator_proba('audio_logreg', estimator_from_tensors('audio_logreg', tensors, SMALL), Xte, 3),
                                  estimator_proba('audio_logreg', fitted, Xte, 3))


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('owned')",))


def forged(tmp_path, name, **kw):
    payload = {'format': FORMAT, 'meta_json': json.dumps(meta_for()), 'tensors': {'w': torch.ones(2)}, **kw}
    torch.save(payload, tmp_path / name)
    return tmp_path / name


def test_tampered_checkpoints_are_refused(tmp_path):
    marker = tmp_path / 'pwned'
    cases = {
        forged(tmp_path, 'evil.pt', tensors={'w': Evil(str(marker))}): 'holds pickled Python objects (exec)',
        forged(tmp_path, 'v2.pt', meta_json=json.dumps({**meta_for(), 'format_version': 2})): 'has format version 2',
        forged(tmp_path, 'keys.pt', meta_json=json.dumps({'format_version': 1})): "invalid metadata: missing key 'model'",
        forged(tmp_path, 'types.pt', meta_json=json.dumps({**meta_for(), 'classes': 'abc'})): "'classes' must be list",
    }
    (tmp_path / 'evil.pkl').write_bytes(pickle.dumps({'tensors': Evil(str(marker))}))
    cases[tmp_path / 'evil.pkl'] = 'holds pickled Python objects'
    good = save_checkpoint(tmp_path / 'good.pt', {'w': torch.ones(2)}, meta_for())
    raw = good.read_bytes()
    (tmp_path / 'trunc.pt').write_bytes(raw[:len(raw) - 200])
    cases[tmp_path / 'trunc.pt'] = 'is damaged or not a torch file'
    torch.save({'w': torch.ones(2)}, tmp_path / 'plain.pt')
    cases[tmp_path / 'plain.pt'] = 'not a SocialSignalBench checkpoint'
    for path, msg in cases.items():
        with pytest.raises(SSBError) as e:
            load_checkpoint(path)
        assert msg in str(e.value), (path.name, str(e.value))
        assert 'was not loaded' in str(e.value), (path.name, str(e.value))
    assert not marker.exists()



def test_augment_is_deterministic_and_off_when_disabled():
    acfg = AugmentConfig(enabled=True, time_mask=10, freq_mask=4, feature_noise=0.1, flip=True, affine_deg=10,
                         affine_shift=0.05, brightness=0.2)
    xa, xf = torch.randn(4, 13, 60), torch.rand(4, 24, 24)

    def both(seed):
        g = torch.Generator().manual_seed(seed)
        return augment_audio(xa, acfg, g, shift_frames=5), augment_faces(xf, acfg, g)

    a0, b0 = both(0)
    a1, b1 = both(0)
    assert torch.equal(a0, a1) and torch.equal(b0, b1)
    assert not torch.equal(a0, both(1)[0])
    off = AugmentConfig(enabled=False, time_mask=10, flip=True)
    g = torch.Generator()
    assert augment_audio(xa, off, g, 5) is xa and augment_faces(xf, off, g) is xf


def test_time_mask_zeroes_the_drawn_spans():
    x = torch.ones(6, 3, 30)
    spans = mask_spans(6, 30, 8, torch.Generator().manual_seed(2))
    out = time_mask(x, 8, torch.Generator().manual_seed(2))
    assert torch.equal(out == 0, spans[:, None, :].expand_as(x))


def demo_faces(subjects, seed=0, size=48):
    """Neutral and peak-happy demo CK+ faces (the demo corpus's renderer), resized to `size`, in [0, 1]; labels 0/1."""
    import cv2
    from socialsignalbench.data.demo_faces import render_face, subject_shape
    X, y = [], []
    for s in subjects:
        shape = subject_shape(f'S{s:03d}', np.random.default_rng([seed, s]))
        for label, (emotion, strength) in enumerate([('neutral', 0.0), ('happy', 1.0)]):
            img = render_face(emotion, strength, shape, np.random.default_rng([seed, s, label]))
            X.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)); y.append(label)
    return np.stack(X).astype(np.float32) / 255, np.array(y)


def test_face_hog_reference_round_trips_through_a_checkpoint(tmp_path):
    (Xtr, ytr), (Xte, yte) = demo_faces(range(8)), demo_faces(range(8, 12))
    mcfg = ModelConfig(params={'face_hog_logreg': {'cell': 8, 'c': 0.1}})
    fitted = fit_estimator('face_hog_logreg', Xtr, ytr, mcfg, seed=0)
    P = estimator_proba('face_hog_logreg', fitted, Xte, 5)
    assert P.shape == (8, 5) and (P[:, 2:] == 0).all()
    assert (P.argmax(1) == yte).mean() >= 0.75  # demo smiles are easy; chance is 1/2
    path = save_checkpoint(tmp_path / 'ref.pt', estimator_tensors('face_hog_logreg', fitted), meta_for('face_hog_logreg', 'image'))
    tensors, _ = load_checkpoint(path)
    again = estimator_from_tensors('face_hog_logreg', tensors, ModelConfig())  # the stored HOG geometry, not the default params
    np.testing.assert_array_equal(estimator_proba('face_hog_logreg', again, Xte, 5), P)
