"""The network: parameter count, shapes, depth options."""

import pytest
import torch

from reidlab.model import FeatureNet, HeadsConfig, ModelConfig, MultiTaskSiamese, count_parameters


def test_default_parameter_count_and_shapes():
    net = FeatureNet()
    assert count_parameters(net) == 948_672  # 3 x (5x5 conv, pad 4) 16/64/64, fc 6400 -> 128
    assert net(torch.zeros(2, 3, 56, 56)).shape == (2, 128)
    assert net.fc.in_features == 64 * 10 * 10


def test_paddings_4_4_3_give_the_papers_parameter_count():
    net = FeatureNet(ModelConfig(padding=(4, 4, 3)))
    assert count_parameters(net) == 793_024  # the paper: "~780k" / "~800k"
    assert net.fc.in_features == 64 * 9 * 9 and net(torch.zeros(1, 3, 56, 56)).shape == (1, 128)
    with pytest.raises(ValueError, match="one padding per conv layer"):
        FeatureNet(ModelConfig(padding=(4, 4)))


@pytest.mark.parametrize("widths", [(16,), (16, 64), (16, 64, 64, 64)])
def test_depths(widths):
    net = FeatureNet(ModelConfig(widths=widths, feature_dim=32))
    assert net(torch.zeros(1, 3, 56, 56)).shape == (1, 32)


def test_depth_limit():
    with pytest.raises(ValueError, match="1 to 4"):
        FeatureNet(ModelConfig(widths=(8,) * 5))


def test_heads():
    m = MultiTaskSiamese(heads=HeadsConfig(num_identities=7, num_attributes=3, num_poses=5))
    z, out = m(torch.zeros(4, 3, 56, 56))
    assert out["identity"].shape == (4, 7) and out["attributes"].shape == (4, 3, 2) and out["pose"].shape == (4, 5)
    m = MultiTaskSiamese(heads=HeadsConfig(num_attributes=3, attribute_head="multilabel"))
    assert m(torch.zeros(2, 3, 56, 56))[1]["attributes"].shape == (2, 3)
    assert "identity" not in m(torch.zeros(1, 3, 56, 56))[1]


def test_centre_input_subtracts_each_crops_scalar_mean():
    torch.manual_seed(0)
    plain = FeatureNet(ModelConfig(dropout=0.0)).eval()
    centred = FeatureNet(ModelConfig(dropout=0.0, centre_input=True)).eval()
    centred.load_state_dict(plain.state_dict())  # the factor is no weight: same state dict keys
    x = torch.randn(2, 3, 56, 56)
    want = plain(x - x.mean(dim=(1, 2, 3), keepdim=True))
    assert torch.allclose(centred(x), want, atol=1e-5)
    assert torch.allclose(centred(x + 3.0), centred(x), atol=1e-4)  # blind to a brightness offset
    assert not torch.allclose(plain(x + 3.0), plain(x), atol=1e-2)


def test_gradient_reversal_negates_and_scales_the_gradient_by_hand():
    from reidlab.model import ReverseGradient

    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ReverseGradient.apply(x, torch.tensor(0.25))
    assert torch.equal(y, x)  # the identity forward
    (y * torch.tensor([2.0, 4.0, -8.0])).sum().backward()
    assert torch.equal(x.grad, torch.tensor([-0.5, -1.0, 2.0]))  # -0.25 x (2, 4, -8)


def test_a_reversed_pose_head_learns_pose_while_the_features_get_its_negated_gradient():
    torch.manual_seed(0)
    x, labels = torch.randn(4, 3, 56, 56), torch.tensor([0, 1, 2, 3])
    grads = {}
    for reverse in (False, True):
        torch.manual_seed(1)
        net = MultiTaskSiamese(ModelConfig(widths=[4, 8], feature_dim=8), HeadsConfig(num_poses=5, reverse_pose=reverse))
        net.eval()  # no dropout: both passes see the same network
        net.heads.pose_reversal.fill_(0.5)
        torch.nn.functional.cross_entropy(net(x)[1]["pose"], labels).backward()
        grads[reverse] = {n: p.grad.clone() for n, p in net.named_parameters()}
    for name, g in grads[False].items():
        expected = g if name.startswith("heads.") else -0.5 * g  # the head itself is not reversed
        torch.testing.assert_close(grads[True][name], expected)
