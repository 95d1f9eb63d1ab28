"""Attribute vocabularies: PETA's labels and the 15 VIPeR attributes of Layne et al.

PETA (Deng et al., ACM MM 2014) labels each person with 61 binary attributes and four colour
groups of 11 colours. A person's ``Label.txt`` line lists the positive ones; every other
attribute of the vocabulary is negative. Persons without a line get ``UNKNOWN`` everywhere.

The paper's VIPeR experiments use Layne et al.'s 15 attributes (BMVC 2012; Table I of the paper),
which are not distributed here. ``LAYNE_FROM_PETA`` derives them from PETA's VIPeR labels (the same
632 people) with an explicit rule per attribute; ``LAYNE_APPROXIMATE`` names the ones whose PETA
counterpart is not the same concept.
"""

from __future__ import annotations

import numpy as np

from reidlab.data.record import UNKNOWN

# PETA's 61 binary attributes in ReadMe.txt order. The ReadMe spells one "footwearSneaker"; the
# Label.txt files say "footwearSneakers", which is used here. Four attributes the ReadMe says were
# discarded (accessoryFaceMask, accessoryShawl, lowerBodyLogo, lowerBodyThickStripes) still occur
# a handful of times in the labels and are ignored.
PETA_BINARY: tuple[str, ...] = (
    "accessoryHeadphone", "personalLess15", "personalLess30", "personalLess45", "personalLess60",
    "personalLarger60", "carryingBabyBuggy", "carryingBackpack", "hairBald", "footwearBoots",
    "lowerBodyCapri", "carryingOther", "carryingShoppingTro", "carryingUmbrella",
    "lowerBodyCasual", "upperBodyCasual", "personalFemale", "carryingFolder", "lowerBodyFormal",
    "upperBodyFormal", "accessoryHairBand", "accessoryHat", "lowerBodyHotPants", "upperBodyJacket",
    "lowerBodyJeans", "accessoryKerchief", "footwearLeatherShoes", "upperBodyLogo", "hairLong",
    "lowerBodyLongSkirt", "upperBodyLongSleeve", "lowerBodyPlaid", "lowerBodyThinStripes",
    "carryingLuggageCase", "personalMale", "carryingMessengerBag", "accessoryMuffler",
    "accessoryNothing", "carryingNothing", "upperBodyNoSleeve", "upperBodyPlaid",
    "carryingPlasticBags", "footwearSandals", "footwearShoes", "hairShort", "lowerBodyShorts",
    "upperBodyShortSleeve", "lowerBodyShortSkirt", "footwearSneakers", "footwearStocking",
    "upperBodyThinStripes", "upperBodySuit", "carryingSuitcase", "lowerBodySuits",
    "accessorySunglasses", "upperBodySweater", "upperBodyThickStripes", "lowerBodyTrousers",
    "upperBodyTshirt", "upperBodyOther", "upperBodyVNeck",
)
PETA_COLOURS: tuple[str, ...] = (
    "Black", "Blue", "Brown", "Green", "Grey", "Orange", "Pink", "Purple", "Red", "White", "Yellow",
)
PETA_COLOUR_GROUPS: tuple[str, ...] = ("footwear", "hair", "lowerBody", "upperBody")
# The full PETA vocabulary: 61 binary attributes, then 4 x 11 colour indicators.
PETA_ATTRIBUTES: tuple[str, ...] = PETA_BINARY + tuple(
    group + colour for group in PETA_COLOUR_GROUPS for colour in PETA_COLOURS
)

# Layne et al.'s 15 VIPeR attributes, named and ordered as in Table I of the paper, each the OR
# of the PETA attributes listed ("Sex" is 1 for male).
LAYNE_FROM_PETA: dict[str, tuple[str, ...]] = {
    "Shorts": ("lowerBodyShorts", "lowerBodyHotPants"),
    "Sandals": ("footwearSandals",),
    "Backpacks": ("carryingBackpack",),
    "Jeans": ("lowerBodyJeans",),
    "Carrying": (
        "carryingMessengerBag", "carryingOther", "carryingPlasticBags", "carryingFolder",
        "carryingLuggageCase", "carryingSuitcase", "carryingShoppingTro", "carryingUmbrella",
        "carryingBabyBuggy",
    ),
    "Logo": ("upperBodyLogo",),
    "V-Neck": ("upperBodyVNeck",),
    "OpenOuter": ("upperBodyJacket",),
    "Stripes": ("upperBodyThinStripes", "upperBodyThickStripes", "lowerBodyThinStripes"),
    "Sunglasses": ("accessorySunglasses",),
    "Headphones": ("accessoryHeadphone",),
    "ShortHair": ("hairShort",),
    "LongHair": ("hairLong",),
    "Sex": ("personalMale",),
    "Skirt": ("lowerBodyShortSkirt", "lowerBodyLongSkirt"),
}
LAYNE_ATTRIBUTES: tuple[str, ...] = tuple(LAYNE_FROM_PETA)
# Where PETA's concept differs from Layne's: "carrying" (Layne: an object held in the hand;
# here: any carried item except a backpack), "open outerwear" (PETA has only "jacket"),
# "stripes" (PETA splits thin/thick and upper/lower), "shorts" (hot pants folded in).
LAYNE_APPROXIMATE: tuple[str, ...] = ("Carrying", "OpenOuter", "Stripes", "Shorts")


def parse_label_line(line: str) -> tuple[str, set[str]]:
    """``"<pid> <attr> <attr> ..."`` -> (pid string, set of positive attribute names)."""
    tokens = line.split()
    return tokens[0], set(tokens[1:])


def peta_vector(positives: set[str] | None) -> np.ndarray:
    """PETA attribute vector (len ``PETA_ATTRIBUTES``); all ``UNKNOWN`` if the person is unlabelled."""
    if positives is None:
        return np.full(len(PETA_ATTRIBUTES), UNKNOWN, dtype=np.int8)
    return np.array([name in positives for name in PETA_ATTRIBUTES], dtype=np.int8)


def layne_from_peta(peta: np.ndarray) -> np.ndarray:
    """Map an ``(N, len(PETA_ATTRIBUTES))`` PETA matrix to the ``(N, 15)`` Layne matrix.

    Rows that are ``UNKNOWN`` in PETA stay ``UNKNOWN``.
    """
    column = {name: i for i, name in enumerate(PETA_ATTRIBUTES)}
    out = np.empty((len(peta), len(LAYNE_ATTRIBUTES)), dtype=np.int8)
    for j, sources in enumerate(LAYNE_FROM_PETA.values()):
        cols = [column[s] for s in sources]
        out[:, j] = (peta[:, cols] == 1).any(axis=1)
    out[(peta == UNKNOWN).all(axis=1)] = UNKNOWN
    return out


# Beyond the paper (its Sec. VI: "a more diverse and balanced set of auxiliary labelling tasks"):
# PETA's own labels, as many as carry information. PETA's multi-class attributes (its ReadMe: age
# and the four colour groups) are one K-way task each; its other binary attributes are kept while
# the rarer of their two values covers at least a floor of the labelled images (chosen on the dev
# partitions). personalFemale is left out: it is the complement of personalMale.
RICH_MULTICLASS: dict[str, tuple[str, ...]] = {
    "personalAge": ("personalLess15", "personalLess30", "personalLess45", "personalLess60", "personalLarger60"),
    **{f"{group}Colour": tuple(group + c for c in PETA_COLOURS) for group in PETA_COLOUR_GROUPS},
}
RICH_BINARY: tuple[str, ...] = tuple(
    a for a in PETA_BINARY if a != "personalFemale" and not any(a in g for g in RICH_MULTICLASS.values()))


def minority_rate(column: np.ndarray) -> float:
    """The rarer value's share of the known (not ``UNKNOWN``) labels of a binary column."""
    known = column[column != UNKNOWN]
    return 0.0 if known.size == 0 else float(min(known.mean(), 1 - known.mean()))


def rich_from_peta(peta: np.ndarray, floor: float) -> tuple[np.ndarray, list[str], list[int]]:
    """Map an ``(N, len(PETA_ATTRIBUTES))`` PETA matrix to the rich label set: the binary attributes
    of ``RICH_BINARY`` whose ``minority_rate`` over these images is at least ``floor``, then each
    multi-class attribute as the index of its one positive class (``UNKNOWN`` where PETA lists none
    or several: 11% of upper-body colours list two or three). Returns (labels, names, classes per
    attribute: 2 for a binary one)."""
    column = {name: i for i, name in enumerate(PETA_ATTRIBUTES)}
    kept = [a for a in RICH_BINARY if minority_rate(peta[:, column[a]]) >= floor]
    out = [peta[:, [column[a] for a in kept]]]
    for classes in RICH_MULTICLASS.values():
        onehot = peta[:, [column[c] for c in classes]]
        single = (onehot == 1).sum(axis=1) == 1
        out.append(np.where(single, onehot.argmax(axis=1), UNKNOWN)[:, None])
    labels = np.concatenate(out, axis=1).astype(np.int8)
    labels[(peta == UNKNOWN).all(axis=1)] = UNKNOWN
    names = kept + list(RICH_MULTICLASS)
    return labels, names, [2] * len(kept) + [len(c) for c in RICH_MULTICLASS.values()]
