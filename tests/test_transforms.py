"""Pre-processing and augmentation against reference formulas and exhaustive checks."""

import numpy as np
import pytest
import torch

from reidlab import transforms as T


def test_yuv_against_reference_formula():
    rgb = np.random.default_rng(0).integers(0, 256, (3, 5, 7, 3), dtype=np.uint8)
    yuv = T.rgb_to_yuv(T.to_float(rgb)).numpy()
    r, g, b = (rgb[..., i] / 255.0 for i in range(3))
    expected = np.stack([
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.14713 * r - 0.28886 * g + 0.436 * b,
        0.615 * r - 0.51499 * g - 0.10001 * b,
    ], axis=1)
    np.testing.assert_allclose(yuv, expected, atol=1e-6)
    grey = T.rgb_to_yuv(torch.full((1, 3, 2, 2), 0.5))  # grey has no chroma (rounded coefficients)
    assert torch.allclose(grey[:, 1:], torch.zeros(1, 2, 2, 2), atol=1e-4)


def test_normalisation_modes():
    x = torch.rand(6, 3, 8, 8) * 3 + 1
    per_image = T.normalise(x, "image")
    assert torch.allclose(per_image.mean((2, 3)), torch.zeros(6, 3), atol=1e-5)
    assert torch.allclose(per_image.std((2, 3)), torch.ones(6, 3), atol=1e-4)
    stats = T.channel_stats(x)
    pooled = T.normalise(x, "dataset", stats)
    assert torch.allclose(pooled.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.isfinite(T.normalise(torch.ones(1, 3, 4, 4), "image")).all()


def test_normalised_images_read_as_the_normalised_copy_element_for_element():
    """One YUV copy normalised as it is indexed gives the numbers a normalised copy holds, exactly
    (the same elementwise operations), whatever the rows."""
    rgb = np.random.default_rng(1).integers(0, 256, (9, 8, 8, 3), dtype=np.uint8)
    yuv = T.rgb_to_yuv(T.to_float(rgb))
    stats = T.channel_stats(yuv[:5])  # one fold's training images
    copy = T.preprocess(rgb, "dataset", stats)
    view = T.Normalised(yuv, stats)
    rows = torch.tensor([7, 0, 7, 3])
    assert torch.equal(view[rows], copy[rows]) and torch.equal(view[np.array([2, 4])], copy[[2, 4]])
    assert torch.equal(view[:], copy) and len(view) == 9 and view.shape == copy.shape
    other = T.channel_stats(yuv[5:])  # another fold: another view, no other copy
    assert not torch.equal(T.Normalised(yuv, other)[:], view[:])


def test_crop_offsets_cover_all_64_positions_uniformly():
    gen = torch.Generator().manual_seed(0)
    off = T.crop_offsets(64_000, 64, 56, gen)
    assert off.min() == 0 and off.max() == 7
    counts = np.bincount((off[:, 0] * 8 + off[:, 1]).numpy(), minlength=64)
    assert len(counts) == 64 and counts.min() > 800 and counts.max() < 1200  # ~1000 each


def test_batched_crop_matches_slicing_and_flip_rate():
    x = torch.arange(5 * 3 * 64 * 64, dtype=torch.float32).view(5, 3, 64, 64)
    off = torch.tensor([[0, 0], [7, 7], [3, 5], [0, 7], [7, 0]])
    out = T.crop_at(x, off)
    for i, (r, c) in enumerate(off.tolist()):
        assert torch.equal(out[i], x[i, :, r:r + 56, c:c + 56])
    gen = torch.Generator().manual_seed(1)
    img = torch.rand(1, 3, 64, 64).expand(4000, -1, -1, -1).contiguous()
    aug = T.random_crop_flip(img, generator=gen)
    # a mirrored crop has its left column from the image's right side: compare against unflipped
    unflipped = [any(torch.equal(a, img[0, :, r:r + 56, c:c + 56]) for r in range(8) for c in range(8))
                 for a in aug[:400]]
    assert 0.4 < np.mean(unflipped) < 0.6


def test_ten_crop_geometry():
    x = torch.rand(2, 3, 64, 64)
    views = T.ten_crop(x)
    assert views.shape == (10, 2, 3, 56, 56)
    corners = [(0, 0), (0, 8), (8, 0), (8, 8), (4, 4)]
    for k, (r, c) in enumerate(corners):
        assert torch.equal(views[k], x[:, :, r:r + 56, c:c + 56])
        assert torch.equal(views[5 + k], x.flip(-1)[:, :, r:r + 56, c:c + 56])
    assert torch.equal(T.test_views(x, "centre")[0], views[4])
    assert T.test_views(x, "flip").shape == (2, 2, 3, 56, 56)


def test_authors_normalisation_divides_by_the_root_of_the_std():
    x = torch.rand(4, 3, 8, 8) * 5
    got = T.normalise(x, "authors")
    mean, std = x.mean(dim=(2, 3), keepdim=True), x.std(dim=(2, 3), keepdim=True)
    assert torch.allclose(got, (x - mean) / std.sqrt(), atol=1e-5)
    assert torch.allclose(got.std(dim=(2, 3)), std.sqrt().squeeze(), atol=1e-4)  # output std = sqrt(std)


def test_authors_crop_offsets_are_1_to_8():
    gen = torch.Generator().manual_seed(0)
    off = T.crop_offsets(20_000, 64, 56, gen, low=1)
    assert off.min() == 1 and off.max() == 8 and len(torch.unique(off[:, 0])) == 8
    with pytest.raises(ValueError, match="do not fit"):
        T.crop_offsets(1, 64, 56, gen, low=2)
