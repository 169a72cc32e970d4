"""Text measured with the real font renderer, and fitted to a width by that measure.

Layout decisions (wrap, rotate, turn a chart horizontal, cut with "…") are taken on widths
measured by matplotlib's Agg text engine with the charts' fonts (DejaVu Sans, WenQuanYi Micro
Hei for CJK glyphs), never on character counts: "温家豪" is three glyphs but six narrow ones
wide, "Olivia Brown" is twelve characters but only ~0.87 in at 10 pt.

>>> round(width("温家豪", 10), 3)  # doctest: +SKIP
0.417
>>> fit("Miguel Hernández-Castellanos", 1.2, 10)  # doctest: +SKIP
'Miguel Hernán…'
"""

from __future__ import annotations

import re
from functools import lru_cache

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

from charts import theme

ELLIPSIS = "…"
# A name this short is never cut: "温家…" says less than "温家豪" and saves one glyph.
MIN_CUT_CHARS = 5
_LINE = 1.25  # line height in ems for multi-line labels
_EPS = 0.004  # inches: a text measured into its own width fits it


@lru_cache(maxsize=1)
def _renderer() -> RendererAgg:
    theme.setup()
    return RendererAgg(8, 8, 72)  # 72 dpi: widths come back in points


@lru_cache(maxsize=4)
def _font(size: float, bold: bool) -> FontProperties:
    return FontProperties(family=theme.FONT_FAMILY, size=size,
                          weight="bold" if bold else "normal")


@lru_cache(maxsize=32768)
def _line_pt(text: str, size: float, bold: bool) -> float:
    if not text:
        return 0.0
    w, _h, _d = _renderer().get_text_width_height_descent(text, _font(size, bold), ismath=False)
    return float(w)


def width(text: str, size: float, bold: bool = False) -> float:
    """Drawn width in inches of ``text`` at ``size`` points (the widest line)."""
    return max(_line_pt(line, round(size, 2), bold) for line in text.split("\n")) / 72.0


def height(lines: float, size: float) -> float:
    """Height in inches of ``lines`` lines of text at ``size`` points."""
    return lines * size * _LINE / 72.0


def fit(text: str, inches: float, size: float, bold: bool = False) -> str:
    """``text`` whole when it fits in ``inches``, else cut with "…" to fit.
    Names of at most MIN_CUT_CHARS characters are never cut (the caller must make room)."""
    if width(text, size, bold) <= inches + _EPS or len(text) <= MIN_CUT_CHARS:
        return text
    lo, hi = 1, len(text)  # the longest prefix that fits with its ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if width(text[:mid].rstrip() + ELLIPSIS, size, bold) <= inches + _EPS:
            lo = mid
        else:
            hi = mid - 1
    keep = max(lo, MIN_CUT_CHARS - 1)
    return text[:keep].rstrip() + ELLIPSIS


def _tokens(text: str) -> list[str]:
    """Break points: after spaces and "/" and "-", and between CJK characters."""
    return re.findall(r"[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]|[^\s/\-\u2E80-\u9FFF]+[/\-]?\s*|"
                      r"[/\-]\s*|\s+", text)


def wrap(text: str, inches: float, size: float, max_lines: int = 2,
         bold: bool = False) -> str:
    r"""Wrap ``text`` into at most ``max_lines`` lines of at most ``inches``; the last line is
    cut with "…" when the words do not fit.

    >>> wrap("Proposal/Price Quote", 0.9, 10)  # doctest: +SKIP
    'Proposal/\nPrice Quote'
    """
    if width(text, size, bold) <= inches + _EPS:
        return text
    if max_lines <= 1:
        return fit(text, inches, size, bold)
    lines: list[str] = []
    line = ""
    tokens = _tokens(text)
    for i, tok in enumerate(tokens):
        candidate = line + tok
        if not line or width(candidate.rstrip(), size, bold) <= inches + _EPS:
            line = candidate
            continue
        lines.append(line.rstrip())
        if len(lines) == max_lines - 1:
            line = "".join(tokens[i:])
            break
        line = tok.lstrip()
    lines.append(line.strip())
    return "\n".join(fit(x, inches, size, bold) for x in lines if x)


def fits(text: str, inches: float, size: float, bold: bool = False) -> bool:
    return width(text, size, bold) <= inches + _EPS


def is_cut(text: str) -> bool:
    """Whether a (possibly wrapped) label lost some of its text."""
    return any(line.endswith(ELLIPSIS) for line in text.split("\n"))
