"""One restrained look for every chart and dashboard: palette, type sizes, fonts, figure sizes.

Every image is drawn at a fixed size in inches and saved at ``DPI`` (2× a phone's CSS pixel
density), so its pixel size is known in advance:

>>> chart_pixels()
(1120, 700)
>>> dashboard_pixels()
(2400, 1500)

Chinese text is drawn with WenQuanYi Micro Hei, shipped in ``charts/fonts/`` (Apache-2.0; see
``charts/fonts/LICENSE-wqy-microhei.txt``) and registered here, behind DejaVu Sans (matplotlib's
own font, whose Latin digits, ▲▼ and … read better). matplotlib falls back per glyph.
"""

from __future__ import annotations

import dataclasses
import io
from functools import lru_cache
from importlib import resources
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, ever; charts are only written to PNG bytes

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 200
CHART_SIZE = (5.6, 3.5)  # inches → 1120 × 700 px
DASHBOARD_SIZE = (12.0, 7.5)  # inches → 2400 × 1500 px

# Palette: one accent for "the number asked", grey for "the previous period", green/red only
# for good/bad change, a few calm series colours for groupings.
INK = "#1F2937"
LABEL_INK = "#374151"  # axis labels: a touch lighter than values
MUTED = "#6B7280"
FAINT = "#9CA3AF"
GRID = "#E5E7EB"
RULE = "#D1D5DB"
PAGE = "#F3F4F6"  # dashboard background behind the panels
PANEL = "#FFFFFF"
CARD = "#F8FAFC"
ACCENT = "#2F6BD8"
PREVIOUS = "#C3CBD6"
GOOD = "#15965A"
BAD = "#D9443C"
TARGET = "#111827"
SERIES = ("#2F6BD8", "#F2994A", "#27AE80", "#8E6CD9", "#E05D7B", "#56B4D9", "#B0B7C3")

# Type sizes in points.
TITLE = 14.0
SUBTITLE = 9.0
LABEL = 10.0  # tick labels, category names
VALUE = 9.5  # value labels on bars
SMALL = 8.5
CARD_VALUE = 22.0
PANEL_TITLE = 11.0

FONT_FAMILY = ["DejaVu Sans", "WenQuanYi Micro Hei"]
_FONT_FILE = "wqy-microhei.ttc"
_CJK = "WenQuanYi Micro Hei"

_RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": LABEL,
    "text.color": INK,
    "axes.edgecolor": RULE,
    "axes.labelcolor": MUTED,
    "axes.linewidth": 0.8,
    "xtick.color": LABEL_INK,
    "ytick.color": LABEL_INK,
    "xtick.labelsize": LABEL,
    "ytick.labelsize": LABEL,
    "xtick.major.size": 0,
    "xtick.major.pad": 5,
    "ytick.major.pad": 5,
    "ytick.major.size": 0,
    "axes.unicode_minus": False,  # DejaVu has U+2212, but "-" matches format_value's output
    "savefig.facecolor": "white",
    # Glyphs unhinted: at 200 DPI hinting is invisible, and FreeType's hinter costs a third of
    # the text layout time, which is most of a chart's (tables: 58 texts, 153 → 134 ms CPU).
    "text.hinting": "no_hinting",
}


@lru_cache(maxsize=1)
def setup() -> None:
    """Register the shipped CJK font (regular face also standing in for bold) and the rcParams.

    The font has no bold face; without the stand-in entry matplotlib logs "Failed to find font
    weight bold" for every bold Chinese title. Idempotent.
    """
    path = str(resources.files("charts").joinpath("fonts", _FONT_FILE))
    font_manager.fontManager.addfont(path)
    regular = [f for f in font_manager.fontManager.ttflist if f.name == _CJK]
    for entry in regular:
        font_manager.fontManager.ttflist.append(dataclasses.replace(entry, weight=700))
    font_manager.fontManager._findfont_cached.cache_clear()  # type: ignore[attr-defined]
    matplotlib.rcParams.update(_RC)  # type: ignore[arg-type]


def new_figure(size: tuple[float, float] = CHART_SIZE, facecolor: str = "white") -> Figure:
    setup()
    fig = Figure(figsize=size, dpi=DPI, facecolor=facecolor)
    FigureCanvasAgg(fig)
    return fig


def warm_up() -> None:
    """Load the fonts and fill matplotlib's glyph caches (Latin, CJK, arrows) once, so a serving
    process's first chart costs what every later one does."""
    fig = new_figure((1.0, 0.5))
    fig.text(0.1, 0.5, "Warm 0123 ▲▼ … 预热 销售", fontweight="bold")
    fig.text(0.1, 0.2, "Warm 0123 ▲▼ … 预热 销售")
    to_png(fig)


def to_png(fig: Figure) -> bytes:
    """PNG bytes at ``DPI``. Fast zlib level: a third of the save time for ~1.5× the bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor=fig.get_facecolor(),
                pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def chart_pixels() -> tuple[int, int]:
    return round(CHART_SIZE[0] * DPI), round(CHART_SIZE[1] * DPI)


def dashboard_pixels() -> tuple[int, int]:
    return round(DASHBOARD_SIZE[0] * DPI), round(DASHBOARD_SIZE[1] * DPI)


def change_colour(growth: float | None, better: str | None) -> str:
    """Green when the change goes the KPI's better way, red when not, grey when flat/unknown."""
    if growth is None or growth == 0 or better is None:
        return MUTED
    up = growth > 0
    return GOOD if up == (better == "higher") else BAD
