"""A seeded procedural pedestrian dataset: the runnable default when no real data is present.

Each person is an identity drawn from ``(seed, pid)``: sex, skin tone, hair colour and style
(short, long falling behind the shoulders, or a cap), shirt colour and pattern (plain, stripes,
chest logo, V-neck, open jacket of another colour), trousers / jeans / shorts / skirt, shoes or
sandals, and accessories (backpack, a bag carried at the hand, sunglasses, headphones). Colours
come from a modest palette with small per-person jitter, so many persons look alike.

Every person is seen once (or ``images_per_camera`` times) by each of two cameras, with a view
angle drawn per image from ``POSE_ANGLES``: the front shows the face, logo, V-neck, sunglasses
and backpack straps; the back hides them and shows the backpack and long hair; the side (90) is
narrower with one swinging arm; 45 / 135 lie in between; left/right is a random mirror.
The two cameras differ like VIPeR's, each with a fixed appearance model drawn from the seed:
camera 0 is warm, bright and sharp, camera 1 cool, somewhat darker, lower-contrast, blurrier and
noisier; both look at cluttered streets (brick walls whose brick size is the camera's, boxes for
doors / windows / passers-by, a paved floor) that are independent of the person. Per image there
is a random scale (0.85-1.1), shift, brightness jitter (+-5%) and pixel noise. Bodies are drawn
as vectorised numpy masks on a 128x64 canvas, then resized to ``size``.

Known labels: pid, camid, pose class, and the 15 Layne attributes (``LAYNE_ATTRIBUTES``), which
are the identity's properties and so equal in all of a person's images.

Determinism: person p uses ``default_rng([seed, 1, p])``, camera c ``default_rng([seed, 2, c])``,
image k of (p, c) ``default_rng([seed, 3, p, c, k])``. Same arguments give byte-identical output,
and ``make_synthetic(10)`` is a prefix of ``make_synthetic(20)``.

Difficulty: with 100 persons at 64x64 (chance 1%), nearest-neighbour rank-1 from camera 0 to
camera 1 is 18-29% on raw pixels and 5-16% on 16-bin RGB histograms over seeds 0-4 (seed 0:
24% and 11%; tests/test_synthetic.py checks 3% < rank-1 < 60%).

This is NOT a substitute for real data: numbers measured on it say only that the code runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from reidlab.data.attributes import LAYNE_ATTRIBUTES
from reidlab.data.record import POSE_ANGLES, ReidDataset
from reidlab.errors import ConfigError

__all__ = ["make_synthetic"]

_H, _W = 128, 64
_YY, _XX = np.mgrid[0:_H, 0:_W].astype(np.float32)
HEAD_V, HEAD_RU, HEAD_RV = 18.0, 5.0, 7.5  # head centre and radii in body units
# Pixels per body unit at scale 1: the figure fills the frame about as much as in VIPeR.
_PX_U, _PX_V = 1.35, 1.08
SHOULDER_V, WAIST_V, HIP_V, FOOT_V = 29.0, 66.0, 62.0, 114.0


def _palette(*rgb: tuple[int, int, int]) -> np.ndarray:
    return np.array(rgb, np.float32) / 255.0


# Clothes: dark and neutral colours dominate, as in street scenes, so colour alone is ambiguous.
_UPPER = _palette((225, 225, 220), (35, 35, 38), (125, 125, 128), (165, 40, 45), (45, 70, 150),
                  (30, 40, 80), (60, 110, 65), (210, 190, 70), (220, 150, 170), (110, 80, 55),
                  (215, 120, 45), (140, 170, 210))
_UPPER_P = np.array([12, 18, 12, 8, 8, 10, 6, 4, 5, 6, 4, 7], np.float64)
_LOWER = _palette((30, 30, 32), (70, 70, 75), (35, 40, 70), (190, 170, 130), (95, 70, 50),
                  (140, 140, 140), (215, 215, 210))
_LOWER_P = np.array([30, 15, 15, 12, 10, 12, 6], np.float64)
_JEANS = _palette((55, 80, 125), (75, 105, 155), (40, 55, 90), (105, 135, 175))
_SKIN = _palette((240, 200, 170), (215, 170, 135), (180, 130, 95), (130, 90, 60), (90, 60, 40))
_HAIR = _palette((25, 20, 18), (65, 45, 30), (120, 85, 50), (200, 170, 110), (150, 150, 150))
_HAIR_P = np.array([40, 30, 15, 10, 5], np.float64)
_BAG = _palette((25, 25, 28), (80, 55, 40), (50, 60, 90), (150, 40, 40), (100, 100, 100))


def _pick(rng: np.random.Generator, palette: np.ndarray, weights: np.ndarray | None = None,
          jitter: float = 0.045, avoid: np.ndarray | None = None) -> np.ndarray:
    """A palette colour plus per-person jitter; not near ``avoid`` (a logo or jacket must show)."""
    p = np.ones(len(palette)) if weights is None else weights.copy()
    if avoid is not None:
        p[np.abs(palette - avoid).max(axis=1) < 0.2] = 0
    colour = palette[rng.choice(len(palette), p=p / p.sum())] + rng.normal(0.0, jitter, 3)
    return np.clip(colour, 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class _Person:
    attributes: np.ndarray  # int8 (15,) in LAYNE_ATTRIBUTES order
    skin: np.ndarray
    hair: np.ndarray
    hair_style: str  # "short", "long" or "cap"
    upper: np.ndarray
    stripe: np.ndarray
    logo: np.ndarray
    outer: np.ndarray
    short_sleeves: bool
    lower: np.ndarray
    lower_style: str  # "trousers", "jeans", "shorts" or "skirt"
    skirt_end: float
    shoe: np.ndarray
    bag: np.ndarray
    carry: np.ndarray
    carry_size: float
    phones: np.ndarray
    girth: float  # shoulder half-width in body units
    height: float  # vertical body scale

    def has(self, attribute: str) -> bool:
        return bool(self.attributes[LAYNE_ATTRIBUTES.index(attribute)])


def _draw_person(seed: int, pid: int) -> _Person:
    rng = np.random.default_rng([seed, 1, pid])
    a = dict.fromkeys(LAYNE_ATTRIBUTES, 0)
    male = rng.random() < 0.5
    hair_style = str(rng.choice(["short", "long", "cap"],
                                p=[0.82, 0.06, 0.12] if male else [0.33, 0.60, 0.07]))
    if not male and rng.random() < 0.38:
        lower_style = "skirt"
    else:
        r = rng.random()
        lower_style = "shorts" if r < 0.15 else "jeans" if r < 0.5 else "trousers"
    bare_legs = lower_style in ("shorts", "skirt")
    a.update({
        "Sex": int(male), "ShortHair": int(hair_style == "short"),
        "LongHair": int(hair_style == "long"), "Shorts": int(lower_style == "shorts"),
        "Jeans": int(lower_style == "jeans"), "Skirt": int(lower_style == "skirt"),
        "Sandals": int(rng.random() < (0.35 if bare_legs else 0.06)),
        "Backpacks": int(rng.random() < 0.2), "Carrying": int(rng.random() < 0.25),
        "Logo": int(rng.random() < 0.15), "V-Neck": int(rng.random() < (0.1 if male else 0.22)),
        "OpenOuter": int(rng.random() < 0.25), "Stripes": int(rng.random() < 0.15),
        "Sunglasses": int(rng.random() < 0.1), "Headphones": int(rng.random() < 0.08),
    })
    upper = _pick(rng, _UPPER, _UPPER_P)
    lower = _pick(rng, _JEANS) if lower_style == "jeans" else _pick(rng, _LOWER, _LOWER_P)
    return _Person(
        attributes=np.array([a[k] for k in LAYNE_ATTRIBUTES], np.int8),
        skin=_pick(rng, _SKIN, jitter=0.03), hair=_pick(rng, _HAIR, _HAIR_P, 0.03),
        hair_style=hair_style, upper=upper,
        stripe=np.clip(1.0 - upper + rng.normal(0, 0.1, 3), 0, 1).astype(np.float32),
        logo=_pick(rng, _UPPER, avoid=upper), outer=_pick(rng, _UPPER, _UPPER_P, avoid=upper),
        short_sleeves=bool(rng.random() < 0.3), lower=lower, lower_style=lower_style,
        skirt_end=float(rng.uniform(84, 98)), shoe=_pick(rng, _LOWER, _LOWER_P),
        bag=_pick(rng, _BAG), carry=_pick(rng, _BAG), carry_size=float(rng.uniform(3.5, 6.5)),
        phones=_pick(rng, _BAG, jitter=0.02),
        girth=float(rng.normal(12.5 if male else 11.0, 0.8)),
        height=float(rng.normal(1.0 if male else 0.95, 0.03)),
    )


@dataclass(frozen=True)
class _Camera:
    gain: float
    cast: np.ndarray  # per-channel gains: the colour temperature of the scene
    contrast: float
    blur: float  # Gaussian sigma in pixels at 128x64
    noise: float
    brick: tuple[int, int]  # brick size (rows, columns) of the background wall
    clutter: tuple[int, int]  # range of the number of boxes in the background
    walls: np.ndarray  # (k, 3) background base colours
    floor: np.ndarray


# Both cameras overlook the same kind of street (shared scene colours); what differs is the camera:
# camera 0 warm, bright and sharp (small bricks, more clutter), camera 1 cool, darker, flatter,
# blurrier and noisier (big bricks), like VIPeR's pair. Ranges are drawn once per camera. The
# global gain gap is kept modest: a larger one moves every colour across histogram bins and
# leaves colour-histogram matching at chance.
_SCENE = _palette((170, 150, 125), (150, 150, 145), (160, 130, 110), (140, 145, 135))
_FLOOR = _palette((140, 130, 115))
_CAMERA_STYLE: dict[int, dict] = {
    0: dict(gain=(1.0, 1.05), warmth=(0.04, 0.06), contrast=(1.0, 1.0), blur=(0.3, 0.6),
            noise=0.015, brick=(5, 10), clutter=(3, 9)),
    1: dict(gain=(0.9, 0.95), warmth=(-0.06, -0.04), contrast=(0.9, 0.94), blur=(1.0, 1.4),
            noise=0.03, brick=(8, 16), clutter=(2, 7)),
}


def _draw_camera(seed: int, cam: int) -> _Camera:
    rng = np.random.default_rng([seed, 2, cam])
    style = _CAMERA_STYLE[cam]
    t = rng.uniform(*style["warmth"])  # colour temperature: > 0 warm, < 0 cool
    return _Camera(
        gain=float(rng.uniform(*style["gain"])),
        cast=np.array([1 + t, 1.0, 1 - 1.2 * t], np.float32),
        contrast=float(rng.uniform(*style["contrast"])), blur=float(rng.uniform(*style["blur"])),
        noise=style["noise"], brick=style["brick"], clutter=style["clutter"],
        walls=np.clip(_SCENE + rng.normal(0, 0.03, _SCENE.shape), 0, 1).astype(np.float32),
        floor=np.clip(_FLOOR + rng.normal(0, 0.03, 3), 0, 1).astype(np.float32),
    )


def _interpolation(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of linear-interpolation weights."""
    pos = np.linspace(0, n_in - 1, n_out)
    weights = np.maximum(0, 1 - np.abs(pos[:, None] - np.arange(n_in)[None]))
    return weights.astype(np.float32)


_UPSAMPLE = (_interpolation(4, _H), _interpolation(3, _W))


def _shading(rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) smooth light falloff across the scene with a slight random tint."""
    grid = rng.normal(0, 0.08, (4, 3, 1)) + rng.normal(0, 0.015, (4, 3, 3))
    rows, cols = _UPSAMPLE  # elementwise products, not BLAS, so results match across machines
    tall = (rows[:, :, None, None] * grid.astype(np.float32)[None]).sum(1)  # (H, 3, C)
    return (tall[:, None] * cols[None, :, :, None]).sum(2)


def _masonry(rng: np.random.Generator, brick: tuple[int, int], amplitude: float) -> np.ndarray:
    """(H, W, 1) luminance of a running-bond wall: random shade per brick, dark mortar lines."""
    bh, bw = brick
    y = _YY.astype(int) + int(rng.integers(bh))
    row = y // bh
    x = _XX.astype(int) + int(rng.integers(bw)) + (row % 2) * (bw // 2)
    shades = rng.uniform(-amplitude, amplitude, (row.max() + 1, x.max() // bw + 1))
    lum = 1 + shades[row, x // bw] - 0.25 * ((y % bh == 0) | (x % bw == 0))
    return lum[..., None].astype(np.float32)


def _background(cam: _Camera, rng: np.random.Generator) -> np.ndarray:
    """A cluttered street: textured wall, boxes (doors, windows, passers-by), a paved floor.

    The texture spreads the background over many intensities; a flat wall would put most of the
    image in one histogram bin and drown the person in any colour-histogram comparison.
    """
    wall = (cam.walls[rng.integers(len(cam.walls))] + rng.normal(0, 0.03, 3)).astype(np.float32)
    shading = _shading(rng)
    img = wall * _masonry(rng, cam.brick, 0.3) + shading  # bricks: +-30% brightness each
    for _ in range(rng.integers(*cam.clutter)):
        y0, x0 = int(rng.integers(-10, _H - 10)), int(rng.integers(-10, _W))
        box = img[max(y0, 0):max(y0 + int(rng.integers(6, 50)), 0),
                  max(x0, 0):max(x0 + int(rng.integers(4, 24)), 0)]
        box *= rng.uniform(0.5, 1.4)
        box += rng.normal(0, 0.04, 3).astype(np.float32)
    horizon = rng.uniform(82, 104)
    fade = 1 - 0.2 * np.clip((_YY - horizon) / (_H - horizon), 0, 1)[..., None]
    floor = cam.floor * _masonry(rng, (7, 24), 0.15) * fade + shading
    return np.where((_YY >= horizon)[..., None], floor, img).astype(np.float32)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge padding."""
    r = int(np.ceil(2.5 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    p = np.pad(img, ((r, r), (0, 0), (0, 0)), mode="edge")
    img = sum(w * p[i:i + _H] for i, w in enumerate(k))
    p = np.pad(img, ((0, 0), (r, r), (0, 0)), mode="edge")
    return sum(w * p[:, i:i + _W] for i, w in enumerate(k))


@dataclass
class _Canvas:
    """The image being drawn, the body coordinates of its pixels (u across, v down) and the
    mask of pixels painted so far (the body, for shading)."""

    img: np.ndarray
    u: np.ndarray
    v: np.ndarray
    body: np.ndarray

    def paint(self, mask: np.ndarray, colour: np.ndarray) -> None:
        self.img[mask] = colour if colour.ndim == 1 else colour[mask]
        self.body |= mask

    def ellipse(self, cu: float, cv: float, ru: float, rv: float) -> np.ndarray:
        return ((self.u - cu) / ru) ** 2 + ((self.v - cv) / rv) ** 2 <= 1.0

    def band(self, v0: float, v1: float, c0: float, c1: float, w0: float, w1: float) -> np.ndarray:
        """Trapezoid / slanted limb between rows v0..v1: centre c0->c1, half-width w0->w1."""
        t = np.clip((self.v - v0) / (v1 - v0), 0.0, 1.0)
        centre, half = c0 + (c1 - c0) * t, w0 + (w1 - w0) * t
        return (self.v >= v0) & (self.v < v1) & (np.abs(self.u - centre) < half)


@dataclass(frozen=True)
class _View:
    """How the pose turns the body. +u is the side the person faces in oblique/side views."""

    c: float  # cos(angle): 1 facing the camera, -1 back to it
    s: float  # sin(angle): 1 seen from the side
    hw: float  # torso half-width at the shoulders (narrower from the side)
    swing: float  # arm swing in oblique/side views

    @property
    def front(self) -> bool:
        return self.c > 0.3

    @property
    def back(self) -> bool:
        return self.c < -0.3


def _place(person: _Person, cam: _Camera, rng: np.random.Generator) -> _Canvas:
    """Background plus body coordinates for a random scale, shift and left/right mirror."""
    img = _background(cam, rng)
    scale, dx, dy = (float(x) for x in rng.uniform((0.85, -3, -3), (1.1, 3, 3)))
    mirror = 1.0 if rng.random() < 0.5 else -1.0
    us, vs = scale * _PX_U, scale * _PX_V * person.height
    u = (_XX - (_W / 2 + dx)) * (mirror / us)
    v = (_YY - (122 + dy - FOOT_V * vs)) * (1 / vs)
    return _Canvas(img, u, v, np.zeros((_H, _W), bool))


def _draw_legs(cv: _Canvas, p: _Person, view: _View, rng: np.random.Generator) -> None:
    """Hip block and two legs, striding apart when seen from the side; garment; footwear."""
    s, hw_low = view.s, view.hw * 0.85
    stride = s * 7
    hips = cv.band(HIP_V, 74, 0, 0, hw_low, hw_low * 0.9)
    feet = [sign * stride if s > 0.5 else sign * hw_low * 0.45 for sign in (-1.0, 1.0)]
    legs = [cv.band(70, FOOT_V, sign * hw_low * 0.45 * (1 - s), sign * stride, 5 - s, 3.6)
            for sign in (-1.0, 1.0)]
    legs = legs[0] | legs[1]
    cv.paint(legs, p.skin)
    if p.lower_style == "skirt":
        cv.paint(cv.band(HIP_V, p.skirt_end, 0, 0, hw_low, (hw_low + 5) * (1 - 0.3 * s)), p.lower)
    else:
        garment = (hips | legs) & (cv.v < (86 if p.lower_style == "shorts" else FOOT_V))
        colour = p.lower
        if p.lower_style == "jeans":  # denim: fine grain and faded thighs
            grain = rng.standard_normal((_H, _W), dtype=np.float32)
            colour = p.lower * (1 + 0.1 * grain + 0.12 * np.exp(-((cv.v - 80) / 8) ** 2))[..., None]
        cv.paint(garment, colour)
    for fu in feet:
        shoe = cv.ellipse(fu + 1.5 * s, FOOT_V + 1, 3.8 + 1.5 * s, 3)
        if p.has("Sandals"):  # skin with dark straps
            cv.paint(shoe, p.skin)
            cv.paint(shoe & ((np.abs(cv.v - 113) < 0.8) | (np.abs(cv.v - 116) < 0.8)), p.shoe * 0.6)
        else:
            cv.paint(shoe, p.shoe)


def _arms(view: _View) -> list[tuple[float, float, bool]]:
    """(shoulder u, hand u, in front of the torso) per visible arm."""
    hw, swing = view.hw, view.swing
    if view.s < 0.5:
        return [(-(hw + 1.5), -(hw + 3), False), (hw + 1.5, hw + 3, False)]
    if view.s < 0.9:
        return [(-(hw + 0.5), -(hw + 1.5), False), (hw - 1.5, hw - 1.5 + swing, True)]
    return [(0.5, 0.5 + swing, True)]


def _draw_arm(cv: _Canvas, p: _Person, u0: float, u1: float) -> None:
    limb = cv.band(SHOULDER_V + 1, 64, u0, u1, 3.2, 2.8)
    cv.paint(limb, p.outer if p.has("OpenOuter") else p.upper)
    if p.short_sleeves and not p.has("OpenOuter"):
        cv.paint(limb & (cv.v > 42), p.skin)
    cv.paint(cv.ellipse(u1, 65.5, 2.6, 3.2), p.skin)  # hand


def _draw_torso(cv: _Canvas, p: _Person, view: _View, rng: np.random.Generator) -> None:
    """Neck, shirt (stripes; V-neck and logo only from the front) and an open jacket."""
    hu, chest_u, outer = 1.5 * view.s, 2.5 * view.s, p.has("OpenOuter")
    cv.paint(cv.band(HEAD_V + 4, SHOULDER_V + 2, hu / 2, hu / 2, 3, 3), p.skin)
    torso = cv.band(SHOULDER_V, WAIST_V + 4 * outer, 0, 0, view.hw, view.hw * 0.85)
    cv.paint(torso, p.upper)
    if p.has("Stripes"):
        cv.paint(torso & (np.sin(cv.v * 1.4 + rng.uniform(0, 2 * np.pi)) > 0.2), p.stripe)
    if p.has("V-Neck") and view.front:
        cv.paint(cv.band(SHOULDER_V - 1, SHOULDER_V + 8, chest_u, chest_u, 4.5, 0.2), p.skin)
    if p.has("Logo") and view.front:
        cv.paint(cv.ellipse(chest_u + 0.5, 41, 3.2 * (1 - 0.3 * view.s), 3.5), p.logo)
    if outer:  # the shirt shows only in the front opening
        opening = cv.band(SHOULDER_V, WAIST_V + 4, chest_u, chest_u, 2.5, 4.5)
        cv.paint(torso & ~opening if view.front else torso, p.outer)


def _draw_head(cv: _Canvas, p: _Person, view: _View) -> None:
    """Face on the side turned to the camera, hair (or a cap) over the top and the back."""
    hu, c = 1.5 * view.s, view.c
    head = cv.ellipse(hu, HEAD_V, HEAD_RU, HEAD_RV)
    cv.paint(head, p.skin)
    behind = (cv.u - hu) < -HEAD_RU * c  # the part of the head turned away from the camera
    cap = cv.ellipse(hu, HEAD_V - 0.8, HEAD_RU + 0.8, HEAD_RV + 0.6)
    if p.hair_style == "cap":
        cv.paint(cap & (cv.v < HEAD_V - 2.5), p.outer * 0.8)
        cv.paint(head & behind & (cv.v < HEAD_V + 3), p.hair)
    else:
        cv.paint(cap & ((cv.v < HEAD_V - 3) | (behind & (cv.v < HEAD_V + 4 + 2 * view.back))),
                 p.hair)
    if p.has("Sunglasses") and view.front:
        cv.paint(head & ~behind & (np.abs(cv.v - HEAD_V + 1) < 1.3), np.full(3, 0.05, np.float32))
    if p.has("Headphones"):  # band over the head, a cup over each visible ear
        ring = cv.ellipse(hu, HEAD_V, HEAD_RU + 1.8, HEAD_RV + 1.5) & ~cap & (cv.v < HEAD_V)
        cv.paint(ring, p.phones)
        for side in (-1.0, 1.0):
            cu = hu + side * (HEAD_RU + 0.3) * max(abs(c), 0.15)
            cv.paint(cv.ellipse(cu, HEAD_V + 1, 2.2, 2.8), p.phones)


def _render(person: _Person, pose: int, cam: _Camera, rng: np.random.Generator) -> np.ndarray:
    p, cv = person, _place(person, cam, rng)
    theta = np.radians(POSE_ANGLES[pose])
    c, s = float(np.cos(theta)), float(np.sin(theta))
    view = _View(c, s, p.girth * (1 - 0.42 * s), float(rng.uniform(-5, 5)) * s)
    # Backpack behind the body unless seen from the back; from the side it sticks out backwards.
    bag_u, bag_w = -s * (view.hw + 4), 8 * (1 - 0.5 * s)
    backpack = cv.band(31, 60, bag_u, bag_u, bag_w, bag_w) if p.has("Backpacks") else None
    hair_u = 1.5 * s - 3 * s  # long hair falls behind the head
    long_hair = cv.band(HEAD_V - 4, 46, hair_u, hair_u, 7.5 - 2 * s, 9 - 3 * s)
    if backpack is not None and not view.back:
        cv.paint(backpack, p.bag)
    if p.hair_style == "long" and view.front:
        cv.paint(long_hair, p.hair)
    _draw_legs(cv, p, view, rng)
    arms = _arms(view)
    for u0, u1, in_front in arms:
        if not in_front:
            _draw_arm(cv, p, u0, u1)
    _draw_torso(cv, p, view, rng)
    if backpack is not None and view.back:
        cv.paint(backpack, p.bag)
    elif backpack is not None and view.front:  # straps over the shoulders
        for su in (2.5 * s - view.hw * 0.55, 2.5 * s + view.hw * 0.55):
            cv.paint(cv.band(SHOULDER_V - 1, 52, su, su, 1.0, 1.0), p.bag)
    if p.hair_style == "long" and not view.front:  # over the back (and the backpack)
        cv.paint(long_hair, p.hair)
    for u0, u1, in_front in arms:
        if in_front:
            _draw_arm(cv, p, u0, u1)
    if p.has("Carrying"):  # a bag held at the hand of the last arm drawn
        size, hand = p.carry_size, arms[-1][1] + 0.4 * p.carry_size
        cv.paint(cv.band(63, 63 + 2.6 * size, hand, hand, size, size), p.carry)
    _draw_head(cv, p, view)
    return _camera(cv, cam, view, rng)


def _camera(cv: _Canvas, cam: _Camera, view: _View, rng: np.random.Generator) -> np.ndarray:
    """Body shading (a lit cylinder), then the camera's colour, contrast, optics and sensor."""
    img, body = cv.img, cv.body
    shade = 1.0 - 0.3 * np.clip(np.abs(cv.u) / (view.hw + 4), 0, 1) ** 2
    img[body] *= shade[body, None]
    img = img * (cam.cast * cam.gain * rng.uniform(0.95, 1.05))
    img = img.mean() + (img - img.mean()) * cam.contrast
    img = _blur(img, cam.blur)
    img += cam.noise * rng.standard_normal(img.shape, dtype=np.float32)
    return (np.clip(img, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def make_synthetic(n_persons: int = 632, seed: int = 0, size: tuple[int, int] = (128, 64),
                   images_per_camera: int = 1) -> ReidDataset:
    """Render ``n_persons`` pedestrians, ``images_per_camera`` images each in cameras 0 and 1.

    Rows are ordered by person, then camera, then image; ``size`` is (height, width).
    """
    height, width = size
    if n_persons < 1 or images_per_camera < 1 or height < 1 or width < 1 or seed < 0:
        raise ConfigError(f"make_synthetic needs n_persons >= 1, images_per_camera >= 1, a "
                          f"positive size and seed >= 0; got {n_persons}, {images_per_camera}, "
                          f"{size}, {seed}")
    cameras = [_draw_camera(seed, cam) for cam in (0, 1)]
    n = n_persons * 2 * images_per_camera
    images = np.empty((n, height, width, 3), np.uint8)
    pids, camids, poses = (np.empty(n, np.int64) for _ in range(3))
    attributes = np.empty((n, len(LAYNE_ATTRIBUTES)), np.int8)
    filenames = []
    for pid in range(n_persons):
        person = _draw_person(seed, pid)
        for cam in (0, 1):
            for k in range(images_per_camera):
                i = len(filenames)
                rng = np.random.default_rng([seed, 3, pid, cam, k])
                poses[i] = rng.integers(len(POSE_ANGLES))
                image = _render(person, int(poses[i]), cameras[cam], rng)
                if (height, width) != (_H, _W):  # PIL's bilinear resize antialiases
                    image = np.asarray(Image.fromarray(image).resize((width, height),
                                                                     Image.BILINEAR))
                images[i], pids[i], camids[i], attributes[i] = image, pid, cam, person.attributes
                filenames.append(f"synthetic://seed{seed}/{pid:04d}_c{cam}_{k}.png")
    return ReidDataset(name="synthetic", images=images, pids=pids, camids=camids,
                       filenames=filenames, poses=poses, attributes=attributes,
                       attribute_names=list(LAYNE_ATTRIBUTES), layout="synthetic")
