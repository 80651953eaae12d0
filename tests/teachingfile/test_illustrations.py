"""Schematic seed illustrations: valid PNGs, annotations visible, output reproducible.

Plain functions without the database, so they also run with ``-p no:django``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teachingfile.illustrations import KINDS, render_illustration

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "seed_cases.json"

SPECS: dict[str, dict] = {
    "bone_scan": {
        "kind": "bone_scan",
        "view": "anterior",
        "hotspots": [{"x": 0.37, "y": 0.27, "r": 0.05, "intensity": 0.9, "shape": "curve"}],
        "arrows": [{"x": 0.37, "y": 0.27}],
    },
    "radiograph": {
        "kind": "radiograph",
        "view": "AP left proximal femur, nail",
        "hotspots": [{"x": 0.7, "y": 0.45, "r": 0.06, "intensity": 0.9, "shape": "cluster"}],
        "arrows": [{"x": 0.7, "y": 0.45}],
    },
    "ct_axial": {
        "kind": "ct_axial",
        "view": "chest, breast level, both breasts",
        "hotspots": [{"x": 0.27, "y": 0.22, "r": 0.06, "intensity": 1.0, "shape": "cluster"}],
        "arrows": [{"x": 0.27, "y": 0.22}],
    },
    "ct_coronal": {
        "kind": "ct_coronal",
        "view": "coronal, right lower leg",
        "hotspots": [{"x": 0.3, "y": 0.45, "r": 0.05, "intensity": 0.9, "shape": "cluster"}],
        "arrows": [{"x": 0.3, "y": 0.45}],
    },
    "ultrasound": {
        "kind": "ultrasound",
        "view": "breast",
        "hotspots": [{"x": 0.45, "y": 0.3, "r": 0.03, "intensity": 1.0, "shape": "dot"}],
        "arrows": [{"x": 0.45, "y": 0.3}],
    },
    "mammogram": {
        "kind": "mammogram",
        "view": "MLO left",
        "hotspots": [{"x": 0.4, "y": 0.45, "r": 0.05, "intensity": 1.0, "shape": "cluster"}],
        "arrows": [{"x": 0.4, "y": 0.45}],
    },
}


def _decode(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()  # forces a full decode, not just the header
    return img


def test_every_kind_has_a_spec_here() -> None:
    assert set(SPECS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(SPECS))
@pytest.mark.parametrize("size", [(1024, 1024), (640, 480)])
def test_renders_decodable_png_of_requested_size(kind: str, size: tuple[int, int]) -> None:
    png = render_illustration(SPECS[kind], label="Fig. A", size=size)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = _decode(png)
    assert img.format == "PNG"
    assert img.size == size
    assert img.mode == "L"  # greyscale, like the modalities it imitates
    # Not a blank canvas: real structure with a spread of grey levels.
    assert np.asarray(img).std() > 10


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_annotated_differs_from_clean(kind: str) -> None:
    clean = np.asarray(_decode(render_illustration(SPECS[kind], label="Fig. 1")))
    marked = np.asarray(_decode(render_illustration(SPECS[kind], label="Fig. 1", annotated=True)))
    assert clean.shape == marked.shape
    changed = clean != marked
    assert changed.mean() > 0.002  # arrows cover a visible area
    # ... near the arrow target, and nowhere in the far corner of the other side.
    h, w = clean.shape
    ax, ay = SPECS[kind]["arrows"][0]["x"], SPECS[kind]["arrows"][0]["y"]
    y0, x0 = int(ay * h), int(ax * w)
    near = changed[max(0, y0 - h // 5) : y0 + h // 5, max(0, x0 - w // 5) : x0 + w // 5]
    assert near.any()


def test_annotated_without_arrows_equals_clean() -> None:
    spec = {**SPECS["bone_scan"], "arrows": []}
    assert render_illustration(spec, label="Fig. A", annotated=True) == render_illustration(
        spec, label="Fig. A"
    )


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_output_is_deterministic(kind: str) -> None:
    first = render_illustration(SPECS[kind], label="Fig. B", annotated=True, size=(512, 512))
    second = render_illustration(SPECS[kind], label="Fig. B", annotated=True, size=(512, 512))
    assert first == second


def test_label_seeds_the_noise() -> None:
    a = render_illustration(SPECS["ct_axial"], label="Fig. C")
    b = render_illustration(SPECS["ct_axial"], label="Fig. D")
    assert a != b


def test_band_is_drawn_at_the_bottom() -> None:
    img = np.asarray(_decode(render_illustration(SPECS["bone_scan"], label="Fig. A")))
    h = img.shape[0]
    band = img[h - int(h * 0.04) :, :]
    # Black band with white lettering, on an otherwise light bone-scan background.
    assert (band < 40).mean() > 0.6
    assert (band > 200).any()


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        render_illustration({"kind": "hologram"}, label="Fig. A")


@pytest.mark.skipif(not FIXTURE.exists(), reason="seed fixture not present")
def test_every_seed_figure_renders() -> None:
    cases = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        for fig in case["figures"]:
            png = render_illustration(
                fig["illustration"], label=fig["label"], annotated=fig["annotated"], size=(256, 256)
            )
            assert _decode(png).size == (256, 256)
