"""The rich label set (issue 33): PETA's own attributes, the floor, the multi-class ones, the heads."""

from collections import Counter

import numpy as np
import pytest
import torch

from reidlab.config import RunConfig
from reidlab.data import UNKNOWN, load_dataset
from reidlab.data.attributes import (
    PETA_ATTRIBUTES, RICH_BINARY, RICH_MULTICLASS, minority_rate, peta_vector, rich_from_peta,
)
from reidlab.data.peta import PETA_DIR
from reidlab.errors import ConfigError
from reidlab.losses import LossConfig, MultiTaskLoss
from reidlab.model import HeadsConfig, TaskHeads


def test_vocabulary():
    # 61 binary: 5 age bins form one task, personalFemale is personalMale's complement
    assert len(RICH_BINARY) == 61 - 5 - 1 and "personalMale" in RICH_BINARY
    assert [len(c) for c in RICH_MULTICLASS.values()] == [5, 11, 11, 11, 11]
    assert all(c in PETA_ATTRIBUTES for classes in RICH_MULTICLASS.values() for c in classes)


def test_rich_labels_by_hand():
    people = [{"personalMale", "personalLess30", "upperBodyRed", "hairBlack"},
              {"personalLess60", "upperBodyRed", "upperBodyBlue", "hairBlack", "carryingBackpack"},
              {"personalMale", "personalLess30", "upperBodyBlue", "footwearWhite"},
              {"personalMale", "personalLarger60", "hairGrey", "lowerBodyBlack"},
              None]  # unlabelled
    peta = np.stack([peta_vector(p) for p in people])
    labels, names, classes = rich_from_peta(peta, floor=0.3)
    # minority shares over the 4 labelled people: personalMale 1/4, backpack 1/4 -> dropped at 0.3;
    # every other binary attribute is 0 everywhere -> dropped
    assert names == list(RICH_MULTICLASS) and classes == [5, 11, 11, 11, 11]
    age, foot, hair, lower, upper = labels.T
    assert age.tolist() == [1, 3, 1, 4, UNKNOWN]
    assert upper.tolist() == [8, UNKNOWN, 1, UNKNOWN, UNKNOWN]  # red = 8, blue = 1; two colours: unknown
    assert hair.tolist() == [0, 0, UNKNOWN, 4, UNKNOWN] and foot.tolist() == [UNKNOWN, UNKNOWN, 9, UNKNOWN, UNKNOWN]
    labels, names, classes = rich_from_peta(peta, floor=0.25)
    assert names[:2] == ["carryingBackpack", "personalMale"] and classes[:2] == [2, 2]
    assert labels[:, 1].tolist() == [1, 0, 1, 1, UNKNOWN]
    assert minority_rate(np.array([1, 1, 1, 0, UNKNOWN])) == 0.25


def test_rich_labels_count_petas_own(data_root):
    """Every rich label of VIPeR counted against PETA's Label.txt read here by hand."""
    data = load_dataset("viper", data_root, attribute_set="rich", attribute_floor=0.05)
    lines = (data_root / PETA_DIR / "VIPeR" / "archive" / "Label.txt").read_text().split("\n")
    persons = {int(t[0]): set(t[1:]) for t in (line.split() for line in lines) if t}
    images = Counter(data.pids.tolist())  # two per person
    assert sum(images.values()) == 1264 and len(persons) == 632
    binary = [n for n, k in zip(data.attribute_names, data.classes_per_attribute) if k == 2]
    for j, name in enumerate(data.attribute_names):
        if name in binary:  # positives: the images of every person whose line lists it
            expected = sum(images[p] for p, attrs in persons.items() if name in attrs)
            assert (data.attributes[:, j] == 1).sum() == expected, name
            share = expected / 1264
            assert min(share, 1 - share) >= 0.05
        else:
            for k, cls in enumerate(RICH_MULTICLASS[name]):
                expected = sum(images[p] for p, attrs in persons.items()
                               if cls in attrs and len(attrs & set(RICH_MULTICLASS[name])) == 1)
                assert (data.attributes[:, j] == k).sum() == expected, (name, cls)
    dropped = [a for a in RICH_BINARY if a not in binary]
    assert 10 < len(binary) < len(RICH_BINARY) and "accessoryKerchief" in dropped  # 0.6% of VIPeR
    assert data.attribute_names[-5:] == list(RICH_MULTICLASS)


def test_pooled_sets_are_derived_from_petas_labels(data_root):
    pooled = load_dataset("peta-reid", data_root, attribute_set="layne")
    assert len(pooled.attribute_names) == 15 and set(np.unique(pooled.attributes)) <= {0, 1, UNKNOWN}
    rich = load_dataset("peta-reid", data_root, attribute_set="rich", attribute_floor=0.05)
    assert rich.attribute_classes[-5:] == [5, 11, 11, 11, 11] and len(rich) == len(pooled)


def test_floor_goes_with_the_rich_set():
    with pytest.raises(ConfigError, match="attribute_floor"):
        RunConfig.from_dict({"attribute_set": "rich"})
    with pytest.raises(ConfigError, match="attribute_floor"):
        RunConfig.from_dict({"attribute_set": "peta", "attribute_floor": 0.05})
    with pytest.raises(ConfigError, match="softmax"):
        RunConfig.from_dict({"attribute_set": "rich", "attribute_floor": 0.05, "attribute_head": "regression"})
    # a key added after the store began: absent from every identity while it holds its old value
    assert RunConfig().identity() == RunConfig.from_dict({"attribute_floor": None}).identity()


def test_multiclass_heads_and_loss_by_hand():
    torch.manual_seed(0)
    heads = TaskHeads(4, HeadsConfig(num_attributes=2, attribute_classes=(2, 3)))
    z = torch.randn(6, 4)
    logits = heads(z)["attributes"]
    assert logits.shape == (6, 2, 3)
    assert (logits[:, 0].softmax(-1)[:, 2] == 0).all()  # a binary attribute's third logit: no mass
    target = torch.tensor([[0, 2], [1, 1], [1, -1], [0, 0], [-1, 2], [1, 0]])
    loss = MultiTaskLoss(LossConfig(("attributes",)), np.array([0.25, 0.75]))
    cost = loss._attribute_cost(logits, target)
    raw = heads.attributes(z).view(6, 2, 3)
    for i in range(6):  # cross-entropy of the binary one over its 2 classes, the other over 3
        want = 0.0
        if target[i, 0] >= 0:
            want += 0.25 * -raw[i, 0, :2].log_softmax(-1)[target[i, 0]]
        if target[i, 1] >= 0:
            want += 0.75 * -raw[i, 1].log_softmax(-1)[target[i, 1]]
        assert torch.isclose(cost[i], torch.as_tensor(want), atol=1e-5)
