"""Split protocols: disjoint persons, cameras as the protocol says, seeding, JSON round trip."""

import numpy as np
import pytest

from reidlab.data import load_dataset
from reidlab.data.splits import cross_dataset, load_splits, make_splits, save_splits
from reidlab.errors import ConfigError


def _check_disjoint(split, train_data, test_data):
    ev = split.eval_set(test_data)
    test_pids = set(test_data.pids[np.concatenate([ev.query, ev.gallery])].tolist())
    if train_data is test_data:
        assert not test_pids & set(split.train_pids)
    assert set(test_data.pids[ev.query].tolist()) <= set(test_data.pids[ev.gallery].tolist())
    assert not set(ev.query.tolist()) & set(ev.gallery.tolist())
    return ev


def test_viper_protocol(viper):
    splits = make_splits(viper, seed=0, folds=10)
    assert len(splits) == 10
    for s in splits:
        assert len(s.train_pids) == 316 and len(s.query) == 316 and len(s.gallery) == 316
        ev = _check_disjoint(s, viper, viper)
        assert (viper.camids[ev.query] == 0).all() and (viper.camids[ev.gallery] == 1).all()
        assert len(s.train_index(viper)) == 632
    assert len({tuple(s.train_pids) for s in splits}) == 10  # folds differ
    rev = make_splits(viper, seed=0, folds=1, reverse=True)[0]
    ev = rev.eval_set(viper)
    assert (viper.camids[ev.query] == 1).all() and rev.train_pids == splits[0].train_pids


def test_same_seed_same_split_different_seed_different(synthetic):
    a = make_splits(synthetic, seed=3, folds=2)
    b = make_splits(synthetic, seed=3, folds=2)
    c = make_splits(synthetic, seed=4, folds=2)
    assert a == b and a != c


@pytest.mark.parametrize("name", ["ilids", "caviar", "3dpes"])
def test_small_dataset_protocol(data_root, name):
    data = load_dataset(name, data_root)
    s = make_splits(data, seed=0, folds=1)[0]
    ev = _check_disjoint(s, data, data)
    test_pids = np.unique(data.pids[ev.gallery])
    assert len(ev.gallery) == len(test_pids)  # one gallery image per test person
    assert len(s.train_pids) == data.num_persons // 2
    assert len(ev.query) + len(ev.gallery) == np.isin(data.pids, test_pids).sum()


def test_cross_dataset_prid_has_distractors(data_root, viper):
    prid = load_dataset("prid", data_root)
    s = cross_dataset(viper, prid, seed=0, fold=0)
    ev = _check_disjoint(s, viper, prid)
    assert len(s.train_pids) == 632 and len(ev.query) == 100
    assert len(ev.gallery) == 100 + 549  # + persons seen only by camera B
    assert (prid.camids[ev.query] == 0).all() and (prid.camids[ev.gallery] == 1).all()


def test_cross_dataset_cuhk01(data_root, viper):
    cuhk = load_dataset("cuhk01", data_root)
    s = cross_dataset(viper, cuhk, seed=0, fold=0)
    ev = _check_disjoint(s, viper, cuhk)
    assert len(np.unique(cuhk.pids[ev.query])) == round(0.5 * 971)
    assert (cuhk.camids[ev.query] == 0).all() and (cuhk.camids[ev.gallery] == 1).all()
    table7 = cross_dataset(viper, cuhk, seed=0, fold=0, test_persons=908).eval_set(cuhk)  # Table VII's p
    assert len(np.unique(cuhk.pids[table7.query])) == 908
    with pytest.raises(ConfigError, match="cuhk01 has 971 persons seen by both cameras"):
        cross_dataset(viper, cuhk, seed=0, fold=0, test_persons=972)


@pytest.mark.parametrize("name", ["ilids", "caviar"])
def test_all_images_gallery_swaps_the_drawn_image(data_root, viper, name):
    """Table VI's gallery hypothesis (item table6-gallery): the same test persons and the same
    drawn image, which now queries all the person's other images."""
    data = load_dataset(name, data_root)
    for one, every in ((make_splits(data, folds=2)[1], make_splits(data, folds=2, gallery="all-images")[1]),
                       (cross_dataset(viper, data, 0, 3), cross_dataset(viper, data, 0, 3, gallery="all-images"))):
        a, b = _check_disjoint(one, viper, data), _check_disjoint(every, viper, data)
        assert one.train_pids == every.train_pids and set(a.query) | set(a.gallery) == set(b.query) | set(b.gallery)
        test_pids = data.pids[np.concatenate([b.query, b.gallery])]
        several = [p for p in np.unique(test_pids) if (test_pids == p).sum() > 1]
        assert several and len(b.query) == len(np.unique(data.pids[b.query])) == len(several)  # one query each
        assert set(b.query) <= set(a.gallery)  # the drawn image, in its other role
        assert every.options["gallery"] == "all-images" and "gallery" not in one.options  # older splits read alike
    with pytest.raises(ConfigError, match="camera A against camera B"):
        cross_dataset(data, viper, 0, 0, gallery="all-images")
    with pytest.raises(ConfigError, match="gallery must be one of"):
        make_splits(data, folds=1, gallery="every")


def test_json_round_trip_has_no_absolute_paths(viper, tmp_path):
    splits = make_splits(viper, seed=1, folds=2)
    save_splits(splits, tmp_path / "s.json")
    text = (tmp_path / "s.json").read_text()
    assert str(viper.filenames[0]) in text and '"/' not in text
    assert load_splits(tmp_path / "s.json") == splits


def test_protocol_needs_cameras(data_root):
    with pytest.raises(ConfigError, match="one-gallery-image"):
        make_splits(load_dataset("ilids", data_root), "two-camera", folds=1)
    with pytest.raises(ConfigError, match="protocol must be one of"):
        make_splits(load_dataset("ilids", data_root), "nope", folds=1)
