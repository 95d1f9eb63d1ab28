"""Pre-processing and augmentation on whole batches of tensors (no per-image Python).

Pipeline (paper Sec. IV): images are resized to 64x64 when loaded; here they become float
tensors, RGB -> YUV, and each channel is normalised to zero mean and unit variance. Training
takes a random 56x56 crop (one of the 8 x 8 = 64 offsets, uniformly) and flips horizontally
with probability 1/2, independently per image. Testing uses the centre crop, or the ten-crop
view set: four corner crops, the centre crop, and their mirror images.

Normalisation statistics (the paper does not say which): ``"image"`` uses each image's own
per-channel mean and standard deviation — the literal reading of "normalizing each colour
channel to have zero mean and unit variance", and it needs no statistics from the training set;
``"dataset"`` uses per-channel statistics of the training images (``channel_stats``);
``"authors"`` is what the authors' Lua code does (``prepareDataset.lua``): per image and channel
``(x - mean) / sqrt(std)``, which keeps chroma about a third of luma and each image's saturation.
Their code also subtracts each crop's scalar mean after cropping; in reidlab that is the feature
net's first operation (``model.FeatureNet``, ``centre_input``), so training and test share it.
"""

from __future__ import annotations

import torch
from torchvision.transforms.v2 import functional as TF

CROP = 56
NORMALISATIONS = ("image", "dataset", "authors")
# RGB -> YUV as in Lua Torch's image.rgb2yuv (analogue BT.601), which the authors' code used.
RGB_TO_YUV = torch.tensor([
    [0.299, 0.587, 0.114],
    [-0.14713, -0.28886, 0.436],
    [0.615, -0.51499, -0.10001],
])


def to_float(images) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 (numpy or torch) -> ``(N, 3, H, W)`` float32 in [0, 1]."""
    x = torch.as_tensor(images)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def rgb_to_yuv(x: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` RGB -> YUV, channel by channel with ``RGB_TO_YUV``."""
    return torch.einsum("oc,nchw->nohw", RGB_TO_YUV.to(x), x)


def channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std over a batch ``(N, C, H, W)`` (for ``normalisation="dataset"``)."""
    return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))


def normalise(x: torch.Tensor, normalisation: str = "image",
              stats: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    if normalisation in ("image", "authors"):
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-6)  # a flat channel stays finite
        if normalisation == "authors":  # Lua: img[c]:add(-mean):div(math.sqrt(std))
            std = std.sqrt()
    elif normalisation == "dataset":
        if stats is None:
            raise ValueError("normalisation 'dataset' needs stats=channel_stats(train images)")
        mean, std = (s.to(x).view(1, -1, 1, 1) for s in stats)
    else:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, not '{normalisation}'")
    return (x - mean) / std


def preprocess(images, normalisation: str = "image",
               stats: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` RGB -> normalised YUV ``(N, 3, H, W)`` float32."""
    return normalise(rgb_to_yuv(to_float(images)), normalisation, stats)


class Normalised:
    """Pre-processed images ``(N, 3, H, W)``, normalised with fixed per-channel statistics as they
    are indexed (``images[rows]``, ``images[:]``): the same numbers as ``preprocess(..., "dataset",
    stats)``, element for element, from one shared YUV copy of the dataset. Each fold's training
    images have statistics of their own; a normalised copy per fold cost a GPU call 186 MB of PETA
    per fold of a group."""

    def __init__(self, yuv: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]):
        self.yuv = yuv
        self.mean, self.std = (s.to(yuv).view(1, -1, 1, 1) for s in stats)

    def __getitem__(self, rows) -> torch.Tensor:
        return (self.yuv[rows] - self.mean) / self.std

    def __len__(self) -> int:
        return len(self.yuv)

    @property
    def shape(self) -> torch.Size:
        return self.yuv.shape

    @property
    def device(self) -> torch.device:
        return self.yuv.device


def crop_offsets(n: int, size: int, crop: int = CROP,
                 generator: torch.Generator | None = None, low: int = 0) -> torch.Tensor:
    """``(n, 2)`` random (top, left) offsets in ``[low, low + size - crop)``: 64 positions for
    64 -> 56 (``low`` 0: offsets 0..7; the authors' code: 1..8)."""
    if not 0 <= low <= 1 or size - crop < 1:
        raise ValueError(f"crop offsets from {low} do not fit a {crop} crop in {size}")
    return torch.randint(low, low + size - crop, (n, 2), generator=generator)


def crop_at(x: torch.Tensor, offsets: torch.Tensor, crop: int = CROP) -> torch.Tensor:
    """Crop image i of ``(N, C, H, W)`` at ``offsets[i]``, all at once by gather-indexing."""
    span = torch.arange(crop, device=x.device)
    rows = (offsets[:, 0:1].to(x.device) + span)[:, None, :, None]  # (N, 1, crop, 1)
    cols = (offsets[:, 1:2].to(x.device) + span)[:, None, None, :]  # (N, 1, 1, crop)
    n, c = x.shape[:2]
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    chan = torch.arange(c, device=x.device)[None, :, None, None]
    return x[batch, chan, rows, cols]


def random_crop_flip(x: torch.Tensor, crop: int = CROP, flip: bool = True,
                     generator: torch.Generator | None = None, low: int = 0) -> torch.Tensor:
    """The training augmentation: a random crop (offsets from ``low``) and (if ``flip``) a
    coin-flip mirror per image."""
    out = crop_at(x, crop_offsets(len(x), x.shape[-1], crop, generator, low), crop)
    if flip:
        mirror = torch.rand(len(x), generator=generator) < 0.5
        out = torch.where(mirror.to(x.device)[:, None, None, None], out.flip(-1), out)
    return out


def centre_crop(x: torch.Tensor, crop: int = CROP) -> torch.Tensor:
    return TF.center_crop(x, [crop, crop])


def ten_crop(x: torch.Tensor, crop: int = CROP) -> torch.Tensor:
    """``(10, N, C, crop, crop)``: corners (flush with the image corners), centre, then mirrors.

    torchvision's order: top-left, top-right, bottom-left, bottom-right, centre, then the same
    five of the horizontally flipped image.
    """
    return torch.stack(TF.ten_crop(x, [crop, crop]))


VIEWS = ("none", "centre", "flip", "ten-crop")  # "none" = "centre": the net needs 56x56 input


def test_views(x: torch.Tensor, views: str = "ten-crop", crop: int = CROP) -> torch.Tensor:
    """``(V, N, C, crop, crop)`` test-time views: ``centre``/``none`` (V=1), ``flip`` (V=2), ``ten-crop``."""
    if views in ("centre", "none"):
        return centre_crop(x, crop)[None]
    if views == "flip":
        c = centre_crop(x, crop)
        return torch.stack([c, c.flip(-1)])
    if views == "ten-crop":
        return ten_crop(x, crop)
    raise ValueError(f"views must be one of {VIEWS}, not '{views}'")
