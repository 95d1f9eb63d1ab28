"""reidlab: an executable reproducibility study of McLaughlin, Martinez del Rincon & Miller,
"Person Re-Identification using Deep Convnets with Multi-task Learning" (IEEE TCSVT 2017)."""

__version__ = "0.1.0"
