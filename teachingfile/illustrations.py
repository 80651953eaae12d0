"""Schematic stand-in images for the seed cases.

Over 600 lines on purpose: it is drawing data (one painter per kind of image) more than
logic, read top to bottom beside the seed file.

The seed documents are published cases whose figures we may not redistribute, so the
demo library shows drawn schematics instead. Each figure in ``fixtures/seed_cases.json``
carries an ``illustration`` spec::

    {"kind": "bone_scan" | "radiograph" | "ct_axial" | "ct_coronal" | "ultrasound" | "mammogram",
     "view": "free text; keywords pick the anatomy (e.g. 'posterior', 'AP thoracic spine')",
     "hotspots": [{"x": .3, "y": .4, "r": .05, "intensity": .9, "shape": "dot"|"curve"|"cluster"}],
     "arrows": [{"x": .3, "y": .4}]}

All coordinates are fractions of the image width/height. The functions here are pure:
the same spec and label always give the same PNG bytes (the RNG is seeded from them), so
fixtures can be re-rendered at any time and tests can compare outputs byte for byte.

Nothing here ever writes a diagnosis: the only text drawn is a fixed disclaimer and the
figure label, because an image is shown before the reveal and must not give the answer away.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["BAND_TEXT", "KINDS", "render_illustration"]

BAND_TEXT = "ILLUSTRATION - not patient data"

Spec = dict[str, Any]
Size = tuple[int, int]


# ----------------------------------------------------------------------------- helpers


class _Canvas:
    """An 8-bit greyscale layer addressed in fractions of width/height.

    Drawing in fractions keeps the anatomy templates independent of the output size.
    """

    def __init__(self, size: Size, fill: int = 0) -> None:
        self.w, self.h = size
        self.img = Image.new("L", size, fill)
        self.draw = ImageDraw.Draw(self.img)
        self.s = min(self.w, self.h)  # radii and widths scale with the short side

    def p(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.w, y * self.h)

    def ellipse(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        fill: int,
        outline: int | None = None,
        width: float = 0,
    ) -> None:
        box = (self.w * (cx - rx), self.h * (cy - ry), self.w * (cx + rx), self.h * (cy + ry))
        self.draw.ellipse(box, fill=fill, outline=outline, width=max(0, round(width * self.s)))

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: int) -> None:
        self.draw.rectangle((self.w * x0, self.h * y0, self.w * x1, self.h * y1), fill=fill)

    def poly(self, pts: Iterable[tuple[float, float]], fill: int) -> None:
        self.draw.polygon([self.p(x, y) for x, y in pts], fill=fill)

    def line(self, pts: Sequence[tuple[float, float]], fill: int, width: float) -> None:
        self.draw.line(
            [self.p(x, y) for x, y in pts],
            fill=fill,
            width=max(1, round(width * self.s)),
            joint="curve",
        )

    def arc(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        start: float,
        end: float,
        fill: int,
        width: float,
    ) -> None:
        box = (self.w * (cx - rx), self.h * (cy - ry), self.w * (cx + rx), self.h * (cy + ry))
        self.draw.arc(box, start, end, fill=fill, width=max(1, round(width * self.s)))

    def blurred(self, radius: float) -> Image.Image:
        return self.img.filter(ImageFilter.GaussianBlur(radius * self.s))


def _rng(spec: Spec, label: str) -> np.random.Generator:
    # Seeded from the label and the spec so two figures of one case differ, but one figure
    # always renders identically (deterministic fixtures, cacheable derivatives).
    key = f"{label}|{spec.get('kind')}|{spec.get('view')}".encode()
    return np.random.default_rng(zlib.crc32(key))


def _view(spec: Spec) -> str:
    return str(spec.get("view") or "").lower()


def _has(view: str, *words: str) -> bool:
    return any(w in view for w in words)


def _hotspots(spec: Spec) -> list[dict[str, Any]]:
    return [h for h in spec.get("hotspots") or [] if isinstance(h, dict)]


def _draw_hotspots(
    c: _Canvas, spec: Spec, rng: np.random.Generator, *, peak: int, base: int = 0, haze: float = 0.0
) -> None:
    """Paint each hotspot with a brightness between ``base`` and ``peak`` by intensity.

    ``curve`` is a short arc (a band along a chest wall), ``cluster`` a scatter of small
    foci (microcalcifications, patchy uptake), ``dot`` a single round focus. ``haze`` adds
    a soft field under clusters, which is how uptake looks at gamma-camera resolution.
    """
    for h in _hotspots(spec):
        x, y = float(h.get("x", 0.5)), float(h.get("y", 0.5))
        r = max(0.004, float(h.get("r", 0.03)))
        inten = max(0.0, min(1.0, float(h.get("intensity", 1.0))))
        level = int(base + (peak - base) * inten)
        shape = h.get("shape", "dot")
        # Faint clusters are treated as hazy opacity (e.g. ground glass) on every kind.
        soft = haze or (0.8 if inten < 0.5 else 0.0)
        if shape == "curve":
            # An arc bowing outwards, away from the image centre, like a chest-wall band.
            side = -1 if x < 0.5 else 1
            cx = x - side * r * 1.6
            start, end = (150, 210) if side < 0 else (-30, 30)
            c.arc(cx, y, r * 1.7, r * 2.6, start, end, fill=level, width=r * 0.45)
        elif shape == "cluster":
            if soft:
                # Scintigraphy and ground glass: a soft field of raised signal under the foci.
                c.ellipse(x, y, r, r, fill=int(base * 0.7 + (level - base * 0.7) * soft))
            n = int(10 + 160 * r)
            for _ in range(n):
                ang = rng.uniform(0, 2 * math.pi)
                dist = r * math.sqrt(rng.uniform(0, 1))
                rr = r * rng.uniform(0.06, 0.18)
                c.ellipse(
                    x + dist * math.cos(ang),
                    y + dist * math.sin(ang),
                    rr,
                    rr,
                    fill=int(level * rng.uniform(0.7, 1.0)),
                )
        else:
            c.ellipse(x, y, r, r, fill=level)


def _noise(arr: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    return arr + rng.standard_normal(arr.shape, dtype=np.float32) * np.float32(sigma)


def _to_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def _speckle(size: Size, rng: np.random.Generator, grain: int) -> np.ndarray:
    # Low-resolution noise upsampled = blotchy texture (tissue, ultrasound speckle).
    w, h = size
    small = rng.random((max(2, h // grain), max(2, w // grain))).astype(np.float32)
    img = Image.fromarray((small * 255).astype(np.uint8), "L").resize(size, Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


# ----------------------------------------------------------------------------- bone scan


def _skeleton(c: _Canvas, posterior: bool) -> None:
    """Whole-body skeleton as uptake (bright = more tracer); inverted to dark later."""
    bone = 150
    # skull
    c.ellipse(0.5, 0.075, 0.05, 0.058, fill=bone)
    c.ellipse(0.5, 0.075, 0.034, 0.042, fill=70)
    # spine: more obvious on the posterior view, where the vertebrae are nearer the camera
    vb = 175 if posterior else 120
    for i in range(24):
        y = 0.145 + i * 0.0145
        c.ellipse(0.5, y, 0.013, 0.0062, fill=vb)
    # clavicles and shoulders
    c.line([(0.5, 0.155), (0.41, 0.15), (0.36, 0.165)], bone, 0.008)
    c.line([(0.5, 0.155), (0.59, 0.15), (0.64, 0.165)], bone, 0.008)
    c.ellipse(0.355, 0.172, 0.018, 0.016, fill=170)
    c.ellipse(0.645, 0.172, 0.018, 0.016, fill=170)
    if posterior:
        # scapulae
        c.poly([(0.37, 0.17), (0.45, 0.175), (0.43, 0.25)], fill=110)
        c.poly([(0.63, 0.17), (0.55, 0.175), (0.57, 0.25)], fill=110)
    # ribs: paired arcs either side of the spine
    for i in range(10):
        y = 0.175 + i * 0.021
        half = 0.1 + 0.012 * min(i, 5)
        for side in (-1, 1):
            c.arc(
                0.5 + side * 0.005,
                y + 0.02,
                half,
                0.04,
                200 if side < 0 else 270,
                270 if side < 0 else 340,
                fill=95,
                width=0.0045,
            )
    # sternum (anterior only)
    if not posterior:
        c.rect(0.493, 0.17, 0.507, 0.27, fill=110)
    # arms: humerus, forearm, hand
    for side in (-1, 1):
        x0 = 0.5 + side * 0.148
        c.line([(x0, 0.18), (0.5 + side * 0.17, 0.33)], bone, 0.011)
        c.line([(0.5 + side * 0.17, 0.335), (0.5 + side * 0.19, 0.47)], 120, 0.009)
        c.ellipse(0.5 + side * 0.195, 0.495, 0.014, 0.022, fill=130)
    # pelvis: iliac wings, sacrum, pubis
    c.ellipse(0.44, 0.47, 0.055, 0.045, fill=140)
    c.ellipse(0.56, 0.47, 0.055, 0.045, fill=140)
    c.ellipse(0.5, 0.49, 0.035, 0.035, fill=90)
    c.ellipse(0.5, 0.5, 0.018, 0.03, fill=160 if posterior else 110)
    c.line([(0.46, 0.53), (0.54, 0.53)], 120, 0.01)
    # legs: femora, knees, tibiae, feet
    for side in (-1, 1):
        hx = 0.5 + side * 0.06
        c.ellipse(hx, 0.515, 0.014, 0.014, fill=170)
        c.line([(hx, 0.52), (0.5 + side * 0.048, 0.7)], bone, 0.014)
        c.ellipse(0.5 + side * 0.048, 0.708, 0.02, 0.014, fill=175)
        c.line([(0.5 + side * 0.047, 0.722), (0.5 + side * 0.045, 0.89)], bone, 0.011)
        c.ellipse(0.5 + side * 0.048, 0.912, 0.018, 0.019, fill=150)  # feet clear of the band


def _render_bone_scan(spec: Spec, size: Size, rng: np.random.Generator) -> Image.Image:
    view = _view(spec)
    posterior = _has(view, "posterior")
    c = _Canvas(size, 0)
    # faint soft-tissue background: the body outline seen on every bone scan
    c.ellipse(0.5, 0.075, 0.06, 0.07, fill=22)
    c.poly(
        [(0.35, 0.16), (0.65, 0.16), (0.63, 0.45), (0.6, 0.55), (0.4, 0.55), (0.37, 0.45)], fill=22
    )
    for side in (-1, 1):
        c.line([(0.5 + side * 0.16, 0.18), (0.5 + side * 0.19, 0.5)], 20, 0.04)
        c.line([(0.5 + side * 0.06, 0.52), (0.5 + side * 0.047, 0.93)], 20, 0.055)
    _skeleton(c, posterior)
    # kidneys and bladder: the tracer's normal excretion route
    kid = 120 if posterior else 70
    c.ellipse(0.455, 0.37, 0.018, 0.03, fill=kid)
    c.ellipse(0.545, 0.37, 0.018, 0.03, fill=kid)
    c.ellipse(0.5, 0.545, 0.026, 0.02, fill=235)
    _draw_hotspots(c, spec, rng, peak=255, base=60, haze=0.6)
    # Gamma-camera images are low count and blurry: blur, then Poisson-like grain.
    arr = np.asarray(c.blurred(0.0045), dtype=np.float32)
    arr = arr + rng.standard_normal(arr.shape, dtype=np.float32) * np.sqrt(arr + 4) * 1.6
    # Displayed dark-on-light, as bone scans usually are.
    return _to_image(250 - arr * 0.95)


# ----------------------------------------------------------------------------- radiograph


def _nail(c: _Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    c.line([(x0, y0), (x1, y1)], 250, 0.022)


def _screw(c: _Canvas, x: float, y: float, half: float, shift: float = 0.0) -> None:
    # A transverse interlocking screw; ``shift`` models a screw backing out.
    c.line([(x - half + shift, y), (x + half + shift, y)], 250, 0.011)
    c.ellipse(x + half + shift, y, 0.012, 0.014, fill=250)


def _radiograph_spine(c: _Canvas, lateral: bool) -> None:
    c.rect(0.0, 0.0, 1.0, 1.0, fill=35)
    if lateral:
        c.rect(0.28, 0.0, 0.62, 1.0, fill=55)  # mediastinal soft tissue
    else:
        c.ellipse(0.28, 0.35, 0.2, 0.42, fill=18)  # lungs darker than soft tissue
        c.ellipse(0.72, 0.35, 0.2, 0.42, fill=18)
        c.rect(0.42, 0.0, 0.58, 1.0, fill=60)
    for i in range(11):  # T4 .. L2, one level every 0.085
        y = 0.06 + i * 0.085
        compressed = i in (2, 4, 9)  # T6, T8, L1 in the seed: drawn as wedges
        hgt = 0.022 if compressed else 0.032
        if lateral:
            top = y - hgt if compressed else y - 0.032
            c.poly([(0.43, top), (0.57, y - 0.032), (0.57, y + 0.032), (0.43, y + 0.032)], fill=150)
            c.poly(
                [(0.58, y - 0.02), (0.68, y - 0.005), (0.68, y + 0.02), (0.58, y + 0.02)], fill=125
            )
        else:
            c.rect(0.44, y - hgt, 0.56, y + hgt, fill=150)
            c.ellipse(0.465, y, 0.01, 0.012, fill=185)  # pedicles
            c.ellipse(0.535, y, 0.01, 0.012, fill=185)
            if i < 9:
                for side in (-1, 1):
                    c.arc(
                        0.5 + side * 0.2,
                        y + 0.05,
                        0.2,
                        0.07,
                        180 if side < 0 else 270,
                        270 if side < 0 else 360,
                        fill=120,
                        width=0.009,
                    )


def _radiograph_chest(c: _Canvas, female: bool) -> None:
    c.rect(0.0, 0.0, 1.0, 1.0, fill=30)
    c.ellipse(0.5, 0.55, 0.44, 0.5, fill=85)  # thorax soft tissue
    c.ellipse(0.31, 0.47, 0.16, 0.33, fill=28)  # lungs
    c.ellipse(0.69, 0.47, 0.16, 0.33, fill=28)
    c.ellipse(0.55, 0.62, 0.13, 0.13, fill=115)  # heart
    c.rect(0.46, 0.1, 0.54, 0.55, fill=120)  # mediastinum / spine
    c.line([(0.5, 0.16), (0.3, 0.12), (0.14, 0.16)], 170, 0.016)  # clavicles
    c.line([(0.5, 0.16), (0.7, 0.12), (0.86, 0.16)], 170, 0.016)
    for i in range(9):
        y = 0.16 + i * 0.06
        for side in (-1, 1):
            c.arc(
                0.5 + side * 0.17,
                y + 0.06,
                0.19,
                0.07,
                180 if side < 0 else 270,
                270 if side < 0 else 360,
                fill=135,
                width=0.008,
            )
    c.poly([(0.15, 0.82), (0.85, 0.82), (0.9, 0.92), (0.1, 0.92)], fill=110)  # diaphragm / abdomen
    if female:
        c.ellipse(0.3, 0.69, 0.15, 0.1, fill=112)
        c.ellipse(0.7, 0.69, 0.15, 0.1, fill=112)


def _radiograph_limb(c: _Canvas, view: str) -> None:
    c.rect(0.0, 0.0, 1.0, 1.0, fill=25)
    if _has(view, "femur", "hip"):
        c.poly([(0.25, 0.0), (0.75, 0.0), (0.8, 1.0), (0.2, 1.0)], fill=70)  # thigh
        c.ellipse(0.36, 0.09, 0.075, 0.075, fill=175)  # femoral head
        c.poly([(0.38, 0.08), (0.56, 0.17), (0.56, 0.27), (0.42, 0.16)], fill=170)  # neck
        c.ellipse(0.6, 0.16, 0.05, 0.06, fill=160)  # greater trochanter
        c.rect(0.46, 0.2, 0.6, 1.0, fill=165)  # shaft (allograft)
        c.rect(0.49, 0.22, 0.57, 1.0, fill=120)  # medullary canal
        c.ellipse(0.15, 0.05, 0.1, 0.12, fill=110)  # acetabulum region
        if _has(view, "nail"):
            _nail(c, 0.53, 0.12, 0.53, 1.0)
            _screw(c, 0.53, 0.24, 0.09)
    elif _has(view, "tibia", "ankle"):
        c.poly([(0.22, 0.0), (0.78, 0.0), (0.7, 0.9), (0.3, 0.9)], fill=68)  # leg
        c.rect(0.4, 0.0, 0.56, 0.86, fill=165)  # tibia
        c.rect(0.43, 0.0, 0.53, 0.86, fill=120)
        c.rect(0.62, 0.0, 0.67, 0.88, fill=150)  # fibula
        c.ellipse(0.48, 0.9, 0.13, 0.05, fill=165)  # plafond / talus
        if _has(view, "nail"):
            _nail(c, 0.48, 0.0, 0.48, 0.84)
            _screw(c, 0.48, 0.67, 0.075, shift=0.03)  # backed out laterally
            _screw(c, 0.48, 0.76, 0.075, shift=0.03)
    else:  # knee, lateral: femur above, tibia below, graft in between
        c.poly([(0.3, 0.0), (0.7, 0.0), (0.72, 1.0), (0.28, 1.0)], fill=70)
        c.rect(0.43, 0.0, 0.57, 0.36, fill=165)  # femur
        c.rect(0.44, 0.62, 0.58, 1.0, fill=165)  # tibia
        c.rect(0.44, 0.39, 0.57, 0.47, fill=145)  # allograft segments with gaps
        c.rect(0.44, 0.53, 0.58, 0.6, fill=145)
        c.ellipse(0.6, 0.48, 0.03, 0.05, fill=130)  # patella
        if _has(view, "nail"):
            _nail(c, 0.5, 0.0, 0.51, 1.0)


def _render_radiograph(spec: Spec, size: Size, rng: np.random.Generator) -> Image.Image:
    view = _view(spec)
    c = _Canvas(size, 0)
    if _has(view, "spine"):
        _radiograph_spine(c, lateral=_has(view, "lateral"))
    elif _has(view, "chest", "thorax"):
        _radiograph_chest(c, female=_has(view, "female", "breast"))
    else:
        _radiograph_limb(c, view)
    _draw_hotspots(c, spec, rng, peak=245, base=120)
    arr = np.asarray(c.blurred(0.002), dtype=np.float32)
    arr = arr * (0.85 + 0.3 * _speckle(size, rng, 24))  # trabecular/soft-tissue mottle
    return _to_image(_noise(arr, rng, 4.0))


# ----------------------------------------------------------------------------- CT


def _ct_chest(c: _Canvas, view: str) -> None:
    c.ellipse(0.5, 0.52, 0.44, 0.33, fill=95)  # body: fat
    c.ellipse(0.5, 0.52, 0.4, 0.29, fill=120)  # muscle / chest wall
    lung = 70 if _has(view, "lung bases", "lung window") else 14
    c.ellipse(0.32, 0.52, 0.15, 0.22, fill=lung)
    c.ellipse(0.68, 0.52, 0.15, 0.22, fill=lung)
    c.ellipse(0.52, 0.47, 0.1, 0.1, fill=135)  # heart / mediastinum
    c.ellipse(0.56, 0.7, 0.035, 0.035, fill=150)  # descending aorta (contrast)
    c.ellipse(0.5, 0.76, 0.05, 0.045, fill=220)  # vertebral body
    c.poly([(0.47, 0.8), (0.53, 0.8), (0.5, 0.86)], fill=210)  # spinous process
    if _has(view, "oesophag", "esophag"):
        c.ellipse(0.54, 0.6, 0.04, 0.033, fill=125)
        c.ellipse(0.54, 0.6, 0.03, 0.024, fill=10)  # air-filled lumen
    else:
        c.ellipse(0.53, 0.64, 0.012, 0.012, fill=110)
    if _has(view, "breast") or _has(view, "mastectomy"):
        right = not _has(view, "right mastectomy")
        if right:
            c.ellipse(0.27, 0.24, 0.13, 0.08, fill=100)
            c.ellipse(0.27, 0.25, 0.09, 0.05, fill=115)
        c.ellipse(0.73, 0.24, 0.13, 0.08, fill=100)
        c.ellipse(0.73, 0.25, 0.09, 0.05, fill=115)


def _ct_legs_axial(c: _Canvas) -> None:
    for cx in (0.28, 0.72):
        c.ellipse(cx, 0.52, 0.2, 0.24, fill=95)  # subcutaneous fat
        c.ellipse(cx, 0.53, 0.16, 0.19, fill=125)  # muscle
        c.ellipse(cx + (0.04 if cx < 0.5 else -0.04), 0.38, 0.05, 0.045, fill=225)  # tibia
        c.ellipse(cx + (0.04 if cx < 0.5 else -0.04), 0.38, 0.028, 0.025, fill=110)
        c.ellipse(cx + (-0.08 if cx < 0.5 else 0.08), 0.47, 0.02, 0.02, fill=215)  # fibula


def _ct_leg_long(c: _Canvas, sagittal: bool) -> None:
    if sagittal:
        c.poly(
            [(0.3, 0.02), (0.7, 0.02), (0.82, 0.4), (0.72, 0.98), (0.32, 0.98), (0.28, 0.5)],
            fill=95,
        )
        c.poly(
            [(0.36, 0.05), (0.66, 0.05), (0.76, 0.4), (0.66, 0.95), (0.38, 0.95), (0.35, 0.5)],
            fill=125,
        )
        c.rect(0.33, 0.03, 0.42, 0.97, fill=215)  # tibia, anterior
        c.rect(0.355, 0.05, 0.395, 0.95, fill=110)
    else:
        c.poly([(0.22, 0.02), (0.78, 0.02), (0.74, 0.98), (0.26, 0.98)], fill=95)
        c.poly([(0.27, 0.04), (0.73, 0.04), (0.69, 0.96), (0.31, 0.96)], fill=125)
        c.rect(0.4, 0.03, 0.5, 0.97, fill=215)  # tibia
        c.rect(0.425, 0.05, 0.475, 0.95, fill=110)
        c.rect(0.6, 0.06, 0.63, 0.95, fill=205)  # fibula


def _ct_chest_coronal(c: _Canvas) -> None:
    c.poly([(0.15, 0.1), (0.85, 0.1), (0.9, 0.95), (0.1, 0.95)], fill=110)
    c.ellipse(0.32, 0.42, 0.15, 0.3, fill=14)
    c.ellipse(0.68, 0.42, 0.15, 0.3, fill=14)
    c.ellipse(0.54, 0.55, 0.12, 0.14, fill=135)
    c.rect(0.46, 0.1, 0.54, 0.35, fill=130)
    c.ellipse(0.5, 0.85, 0.35, 0.12, fill=120)


def _render_ct(spec: Spec, size: Size, rng: np.random.Generator) -> Image.Image:
    view = _view(spec)
    c = _Canvas(size, 0)
    kind = spec.get("kind")
    legs = _has(view, "calf", "calves", "leg", "thigh", "knee")
    if kind == "ct_axial":
        _ct_legs_axial(c) if legs else _ct_chest(c, view)
    elif legs:
        _ct_leg_long(c, sagittal=_has(view, "sagittal"))
    else:
        _ct_chest_coronal(c)
    _draw_hotspots(c, spec, rng, peak=255, base=120)
    arr = np.asarray(c.blurred(0.0015), dtype=np.float32)
    return _to_image(_noise(arr, rng, 5.0))  # CT quantum noise


# ----------------------------------------------------------------------------- ultrasound


def _render_ultrasound(spec: Spec, size: Size, rng: np.random.Generator) -> Image.Image:
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ox, oy = 0.5 * w, -0.08 * h  # virtual apex above the image: a curved-array fan
    dx, dy = xx - ox, yy - oy
    radius = np.hypot(dx, dy) / h
    angle = np.degrees(np.arctan2(dx, dy))
    inside = (np.abs(angle) < 32) & (radius > 0.14) & (radius < 0.98)

    # Layered tissue: bright skin line, darker fat, brighter glandular band, dark chest wall.
    depth = radius - 0.14
    echo = np.full((h, w), 0.35, dtype=np.float32)
    echo[depth < 0.03] = 0.85
    echo[(depth >= 0.03) & (depth < 0.3)] = 0.3
    echo[(depth >= 0.3) & (depth < 0.6)] = 0.6
    echo[depth >= 0.6] = 0.22
    speck = _speckle(size, rng, 6) * 0.7 + _speckle(size, rng, 2) * 0.6

    # Hotspots = strongly reflective foci casting a posterior acoustic shadow.
    shadow = np.ones((h, w), dtype=np.float32)
    bright = np.zeros((h, w), dtype=np.float32)
    for hs in _hotspots(spec):
        hx, hy = float(hs.get("x", 0.5)) * w, float(hs.get("y", 0.5)) * h
        r = max(0.004, float(hs.get("r", 0.02))) * min(w, h)
        a0 = math.degrees(math.atan2(hx - ox, hy - oy))
        rad0 = math.hypot(hx - ox, hy - oy) / h
        half = math.degrees(math.atan2(r, math.hypot(hx - ox, hy - oy)))
        shadow[(np.abs(angle - a0) < half) & (radius > rad0)] *= 0.25
        inten = max(0.0, min(1.0, float(hs.get("intensity", 1.0))))
        blob = np.exp(-(((xx - hx) / (1.6 * r)) ** 2 + ((yy - hy) / (0.7 * r)) ** 2))
        bright = np.maximum(bright, blob * inten)

    arr = 255 * np.clip(echo * speck * shadow + bright, 0, 1)
    arr[~inside] = 0
    # Depth scale ticks down the right edge, as scanners draw them.
    for i in range(1, 10):
        y = int(i * h / 10)
        arr[y : y + max(1, h // 300), int(0.93 * w) : int(0.95 * w)] = 200
    return _to_image(arr).filter(ImageFilter.GaussianBlur(0.0012 * min(w, h)))


# ----------------------------------------------------------------------------- mammogram


def _render_mammogram(spec: Spec, size: Size, rng: np.random.Generator) -> Image.Image:
    view = _view(spec)
    c = _Canvas(size, 0)
    # Breast to the left edge (chest wall), nipple to the right; MLO adds pectoralis.
    c.ellipse(0.0, 0.5, 0.78, 0.44, fill=80)
    c.ellipse(0.0, 0.5, 0.6, 0.33, fill=120)  # fibroglandular tissue
    if _has(view, "mlo", "oblique"):
        c.poly([(0.0, 0.0), (0.32, 0.0), (0.0, 0.55)], fill=150)
    c.ellipse(0.78, 0.5, 0.012, 0.02, fill=110)
    _draw_hotspots(c, spec, rng, peak=255, base=150)
    arr = np.asarray(c.blurred(0.004), dtype=np.float32)
    arr = arr * (0.75 + 0.5 * _speckle(size, rng, 14))  # glandular texture
    img = _to_image(_noise(arr, rng, 3.0))
    if _has(view, "right", " r "):
        img = img.transpose(Image.FLIP_LEFT_RIGHT)  # right breasts hang facing the other way
    return img


# ----------------------------------------------------------------------------- annotation


def _font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=px)
    except (TypeError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _draw_arrows(img: Image.Image, arrows: Iterable[dict[str, Any]]) -> None:
    """White arrows with a black edge, so they read on light (bone scan) and dark images."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    s = min(w, h)
    for a in arrows:
        tx, ty = float(a.get("x", 0.5)) * w, float(a.get("y", 0.5)) * h
        # Come in from the outside of the image so the arrow never covers the centre.
        ux = -1.0 if tx < w / 2 else 1.0
        uy = -1.0 if ty > h * 0.35 else 1.0
        ux, uy = ux / math.sqrt(2), uy / math.sqrt(2)
        gap, length, head = 0.022 * s, 0.12 * s, 0.048 * s
        tipx, tipy = tx + ux * gap, ty + uy * gap
        tailx, taily = tipx + ux * length, tipy + uy * length
        px, py = -uy, ux
        hw, sw = head * 0.55, 0.011 * s  # half widths of head and shaft
        bx, by = tipx + ux * head, tipy + uy * head  # where the head meets the shaft
        pts = [
            (tipx, tipy),
            (bx + px * hw, by + py * hw),
            (bx + px * sw, by + py * sw),
            (tailx + px * sw, taily + py * sw),
            (tailx - px * sw, taily - py * sw),
            (bx - px * sw, by - py * sw),
            (bx - px * hw, by - py * hw),
        ]
        d.polygon(pts, fill=255, outline=0, width=max(2, round(0.006 * s)))


def _draw_band(img: Image.Image, label: str) -> None:
    """The disclaimer band: every copy of the image says it is not patient data."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    band = max(14, round(h * 0.045))
    d.rectangle((0, h - band, w, h), fill=0)
    d.line((0, h - band, w, h - band), fill=160, width=1)
    font = _font(max(9, round(band * 0.6)))
    y = h - band / 2
    d.text((band * 0.4, y), BAND_TEXT, fill=255, font=font, anchor="lm")
    d.text((w - band * 0.4, y), label[:40], fill=255, font=font, anchor="rm")


# ----------------------------------------------------------------------------- entry point

_RENDERERS: dict[str, Callable[[Spec, Size, np.random.Generator], Image.Image]] = {
    "bone_scan": _render_bone_scan,
    "radiograph": _render_radiograph,
    "ct_axial": _render_ct,
    "ct_coronal": _render_ct,
    "ultrasound": _render_ultrasound,
    "mammogram": _render_mammogram,
}
KINDS: tuple[str, ...] = tuple(_RENDERERS)


def render_illustration(
    spec: dict, *, label: str, annotated: bool = False, size: tuple[int, int] = (1024, 1024)
) -> bytes:
    """Render a schematic figure for ``spec`` and return PNG bytes.

    ``annotated=True`` adds arrows at ``spec["arrows"]`` (the post-reveal version);
    everything else is identical, so the clean/annotated toggle lines up pixel for pixel.
    """
    kind = spec.get("kind")
    if kind not in _RENDERERS:
        raise ValueError(f"unknown illustration kind {kind!r}; expected one of {KINDS}")
    w, h = int(size[0]), int(size[1])
    if w < 16 or h < 16:
        raise ValueError("illustration size must be at least 16x16")
    img = _RENDERERS[kind](spec, (w, h), _rng(spec, label))
    if annotated:
        _draw_arrows(img, [a for a in spec.get("arrows") or [] if isinstance(a, dict)])
    _draw_band(img, label)
    buf = io.BytesIO()
    # No metadata, fixed settings: identical inputs give identical bytes. Level 1 because
    # noisy images barely compress anyway and zlib dominated the render time at level 6.
    img.save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()
