"""What a GPU call carries: dataset packs equal to the data they pack, the index of stored runs,
the networks pending runs start from, and a study that honours the index."""

import numpy as np
import pytest

from reidlab.carry import datasets, networks, pending, prepare, read_index
from reidlab.data import load_dataset
from reidlab.errors import ConfigError
from reidlab.schedule import run_items
from reidlab.store import stored
from reidlab.study import plan, pretrain_runs


def test_a_pack_loads_as_the_data_it_packs(data_root, tmp_path, monkeypatch):
    from reidlab.data.packs import write_pack

    path = write_pack("viper", data_root, tmp_path)
    monkeypatch.setenv("REIDLAB_PACKS", str(tmp_path))
    for vocabulary in (None, "peta"):  # VIPeR's Layne attributes by default, and PETA's
        direct = load_dataset("viper", data_root, attribute_set=vocabulary, use_cache=False)
        packed = load_dataset("viper", tmp_path / "no data here", attribute_set=vocabulary)
        assert np.array_equal(packed.images, direct.images) and np.array_equal(packed.pids, direct.pids)
        assert np.array_equal(packed.attributes, direct.attributes) and packed.attribute_names == direct.attribute_names
        assert np.array_equal(packed.poses, direct.poses) and packed.filenames == direct.filenames
    assert path.stat().st_size < 0.7 * direct.images.nbytes  # compressed, losslessly
    with pytest.raises(ConfigError, match="pools the packs"):
        write_pack("peta-reid", data_root, tmp_path)


def test_a_call_carries_what_its_pending_runs_read(data_root, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    # Table V: the pre-training on VIPeR, then i-LIDS, CAVIAR and 3DPeS; Fig. 5's PETA set is pooled
    assert datasets(pending(["table5"], "quick", store)) == ["viper", "ilids", "caviar", "3dpes"]
    assert datasets(pending(["fig5"], "quick", store)) == ["viper", "ilids", "3dpes", "caviar"]
    # a stored pre-training network travels with its weights; a stored run is in the index
    network = pretrain_runs("quick", True)[0]
    (store / network.identity).mkdir()
    for name in ("config.yaml", "metrics.json", "weights.pt"):
        (store / network.identity / name).write_text("{}" if name.endswith(".json") else name)
    runs = pending(["table5"], "quick", store)
    assert network.identity not in {r.identity for r in runs} and networks(runs, store) == [network.identity]
    # Table VII's networks train on VIPeR, i-LIDS, CUHK01 and PRID; their evaluations (not in a call) read the rest
    assert set(datasets(pending(["table7"], "quick", store))) == {"viper", "cuhk01", "ilids", "prid"}
    sizes = prepare(["fig7"], "quick", str(data_root), store, tmp_path / "carry")
    assert (tmp_path / "carry" / "ITEMS").read_text().split() == ["fig7"]
    assert list(sizes)[0] == "packs/viper-64x64.npz" and read_index(tmp_path / "carry" / "stored.txt") == {network.identity}
    prepare(["table5"], "quick", str(data_root), store, tmp_path / "carry")
    assert (tmp_path / "carry" / "store" / network.identity / "weights.pt").read_text() == "weights.pt"


def test_a_study_does_not_train_what_the_index_lists(tmp_path):
    runs = plan("fig4", "smoke")
    done = run_items(["fig4"], "smoke", None, tmp_path, progress=False, skip={runs[0].identity})["fig4"]
    assert stored(done[0].config, tmp_path) is None and stored(done[1].config, tmp_path) is not None
    with pytest.raises(ConfigError, match="gpu_prepare.sh writes it"):
        read_index(tmp_path / "nothing.txt")


def test_a_run_trained_here_now_is_left_to_its_process(tmp_path):
    from reidlab.carry import busy
    from reidlab.lifecycle import run_lock

    (tmp_path / "idle").mkdir()
    (tmp_path / "idle" / ".lock").touch()  # a lock file stays after its process: not busy
    with run_lock(tmp_path / "training"):
        assert busy(tmp_path) == ["training"]
    assert busy(tmp_path) == []


def test_nothing_runs_here_while_the_results_are_set_aside(tmp_path, capsys):
    from reidlab.cli import main

    store = tmp_path / "results" / "store"
    store.mkdir(parents=True)
    (tmp_path / ".gpu-hidden").mkdir()  # scripts/gpu_prepare.sh, before a call
    assert main(["study", "fig4", "--store", str(store), "--quiet"]) == 2
    assert "gpu_prepare.sh --restore first" in capsys.readouterr().err


def test_a_call_can_train_only(tmp_path):
    plans = run_items(["fig8"], "smoke", None, tmp_path, progress=False, evaluations=False)["fig8"]
    trained = {r.variant for r in plans if stored(r.config, tmp_path) is not None}
    assert trained == {"DA train+test", "DA test"}  # the test-time variants wait for a CPU


def test_the_queue_splits_into_calls_that_fit(data_root, tmp_path):
    from reidlab.carry import calls

    (tmp_path / "store").mkdir()
    split = calls(["fig7", "table2", "table7"], "quick", str(data_root), tmp_path / "store", tmp_path / "packs",
                  budget=30 * 2**20)
    # Fig. 7 (VIPeR) and Table II (VIPeR, and the PETA set's parts) share a call; Table VII's CUHK01 pack
    # alone is 28 MiB: a call of its own
    assert [c[0] for c in split] == [["fig7", "table2"], ["table7"]]
    assert all(size <= 30 * 2**20 for *_, size in split[:1]) and "cuhk01" in split[1][1]
