"""reidlab plan: trainings counted once, trained images by hand, stored vs pending."""

from reidlab.config import RunConfig
from reidlab.experiments import ITEMS, plan, run_item
from reidlab.schedule import CPU_RATE, summary, trained_images


def test_trained_images_by_hand():
    cfg = RunConfig(dataset="synthetic", synthetic_persons=40, epochs=3)
    # two-camera split: 20 training persons -> 20 positive + 20 negative pairs, 2 images each
    assert trained_images(cfg, None) == 3 * 2 * 20 * 2


def test_summary_counts_each_training_once_and_sees_the_store(tmp_path):
    table = summary("smoke", None, tmp_path, ["fig4", "table4"])
    # Fig. 4's multi-task run is Table IV's "Ours": counted under fig4 only
    assert table.loc["fig4", "trainings"] == 2 and table.loc["table4", "trainings"] == 1
    assert table.loc["total", "pending"] == 3 and table.loc["total", "stored"] == 0
    run_item("fig4", "smoke", None, tmp_path, progress=False)
    after = summary("smoke", None, tmp_path, ["fig4", "table4"])
    assert after.loc["fig4", "stored"] == 2 and after.loc["total", "pending"] == 1
    images = sum(trained_images(r.config, None) for r in plan("table4", "smoke", False)
                 if r.variant == "Ours Multi-Label")
    assert after.loc["table4", "pending images (M)"] == round(images / 1e6, 1)
    assert after.loc["table4", "CPU hours"] == round(images / CPU_RATE[1] / 3600, 1)
    assert set(summary("smoke", None, tmp_path).index) == set(ITEMS) | {"total"}
