"""`ssb --config real --mode all` (the shipped real config) on the real data beside the repo: RAVDESS actors 01-08 from the
16 kHz copy (linked, no download) and 24 people of the London set as a complete copy (no CK+ in ckplus.root, so the suite
picks the London set), few epochs and a small CNN. Skips when ../shared/data is absent."""
import json

import pandas as pd
import pytest

from conftest import need_shared, ssb_ok

N_PEOPLE = 24


def london_subset(src, dest, n):
    """A complete London copy of the first `n` people of `src`: its photo folders linked, its manifest cut to them."""
    dest.mkdir(parents=True)
    for d in ('neutral', 'smiling'):
        (dest / d).symlink_to(src / d, target_is_directory=True)
    m = pd.read_csv(src / 'manifest.csv', dtype=str, keep_default_na=False)
    keep = sorted(m['face_id'].unique())[:n]
    m[m['face_id'].isin(keep)].to_csv(dest / 'manifest.csv', index=False)
    return dest


def ravdess_subset(src, dest, actors):
    """A RAVDESS copy holding only `actors` (their files linked; the manifest indexes every actor folder it finds, and
    its scan does not follow linked folders)."""
    for a in actors:
        (dest / f'Actor_{a:02d}').mkdir(parents=True)
        for f in (src / f'Actor_{a:02d}').glob('*.wav'):
            (dest / f.parent.name / f.name).symlink_to(f)
    return dest


@pytest.mark.real
def test_real_suite_on_eight_actors_and_24_london_people(project, tmp_path):
    rav = ravdess_subset(need_shared('ravdess_speech_16k'), tmp_path / 'ravdess8', range(1, 9))
    lon = london_subset(need_shared('faces_london_512'), tmp_path / 'london24', N_PEOPLE)
    sets = [f'ravdess.root={rav}', 'ravdess.actors=[1, 2, 3, 4, 5, 6, 7, 8]', 'split.ravdess=auto', 'split.n_train=4',
            'split.n_val=2', 'split.n_test=2', f'london.root={lon}', f'ckplus.root={tmp_path / "no_ckplus"}',
            'paths.data_dir=data/real', 'paths.cache_dir=data/real/cache', 'train.epochs=2', 'train.device=cpu',
            'model.params.audio_cnn.widths=[16, 32]', 'model.params.audio_cnn.kernels=[5, 3]',
            'model.params.audio_cnn.embed_dim=32', 'eval.n_boot=100', 'gold.n_random=20',
            'train.repeats=1', 'suite.face_run.train.epochs=2']
    r = ssb_ok('--config', 'real', '--mode', 'all', *[a for s in sets for a in ('--set', s)], '--run-id', 'real',
               cwd=project, timeout=3000)
    assert 'face_cnn on london (suite.face_corpus auto: no CK+' in r.stdout, r.stdout[-3000:]
    root = project / 'outputs' / 'runs' / 'real'
    assert (root / 'data' / 'download_london.html').is_file() and not list(root.rglob('*.failed.ipynb'))
    card = json.loads((root / 'data' / 'data_card_summary.json').read_text())
    assert sorted(card['corpora']) == ['london', 'ravdess']
    assert sum(len(s['groups']) for s in card['corpora']['london'].values()) == N_PEOPLE
    assert sum(len(s['groups']) for s in card['corpora']['ravdess'].values()) == 8
    seed_run = next(p.name for p in root.iterdir() if p.name.startswith('audio-seed'))
    for run in ('audio', 'face', 'fusion', seed_run):
        assert (root / run / 'metrics.json').is_file(), run
    # the audio CNN beside both references, the face CNN beside HOG + logistic regression
    assert (root / 'audio' / 'metrics_reference.json').is_file() and (root / 'audio' / 'metrics_reference_egemaps_svm_spk.json').is_file()
    assert json.loads((root / 'face' / 'metrics_reference.json').read_text())['meta']['model'] == 'face_hog_logreg'
    blend = json.loads((root / 'audio' / 'metrics_blend.json').read_text())['meta']['blend']   # the CNN with an eGeMAPS reference
    assert blend['members'][0] == 'audio_cnn' and blend['members'][1] in ('egemaps_svm_spk', 'egemaps_logreg_spk'), blend
    assert not (root / 'face' / 'metrics_blend.json').exists()   # base_config's blend names audio references: none beside faces
    assert json.loads((root / 'face' / 'metrics.json').read_text())['meta']['corpus'] == 'london'
    # fusion keeps the classes both corpora have (London: neutral and happy -> engagement) and names the dropped ones
    fused = json.loads((root / 'fusion' / 'train_summary.json').read_text())
    assert sorted(fused['fused_classes']) == ['engagement', 'neutral'], fused
    assert fused['dropped'] == {'confusion': 'audio only', 'hesitation': 'audio only', 'other': 'audio only'}, fused
    assert json.loads((root / 'fusion' / 'metrics.json').read_text())['meta']['fused_classes'] == fused['fused_classes']
    assert (root / 'gold' / 'gold_slice.json').is_file() and (root / 'compare').is_dir()
    assert (project / 'outputs' / 'index.html').is_file()
