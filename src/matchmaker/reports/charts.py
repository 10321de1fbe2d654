"""Charts for the HTML report, drawn as inline SVG so the page needs nothing else.

No chart library and no CDN: a report is mailed, archived and printed, so it
must render offline, identically, years later. Each function takes figures
from :func:`.summary.summarise` and returns SVG markup. Numbers are written on
the marks themselves, so a chart still reads when printed in grey.

Every word drawn inside a chart (titles, axes, legends, tooltips) is in the
report's language: each function takes ``language`` and reads its words from
the gettext catalogues, as the page around it does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from ..languages import DEFAULT_LANGUAGE, translations
from .model import DIRECTION_LABELS
from .summary import Heatmap, PartnerCount, ScoreBin

COUNTRY_COLOURS = {"LV": "#9e3039", "KR": "#0047a0"}  # the flags' carmine and blue
DIRECTION_COLOURS = {DIRECTION_LABELS[c]: colour for c, colour in COUNTRY_COLOURS.items()}
# The interface's system font stack (web/static/style.css): Hangul from Noto Sans CJK
# (Linux), Apple SD Gothic Neo (macOS) or Malgun Gothic (Windows), no web font.
FONT = (
    "font-family='system-ui, -apple-system, \"Segoe UI\", Roboto, \"Noto Sans\", "
    "\"Noto Sans CJK KR\", \"Noto Sans KR\", \"Source Han Sans KR\", "
    "\"Apple SD Gothic Neo\", \"Malgun Gothic\", \"NanumGothic\", sans-serif'"
)
CHAR_WIDTH = 7.0  # generous width of a 12px character, for laying out labels
LABEL_CHARS = 30
PARTNER_CHARS = 36


def _words(language: str):
    """The gettext function of a language (English: the source strings)."""
    return translations(language).gettext


def heatmap_svg(heatmap: Heatmap, cell: int = 34, language: str = DEFAULT_LANGUAGE) -> Markup:
    """LV sectors down, KR sectors across; darker = more strong matches, count in each cell."""
    _ = _words(language)
    if not heatmap.counts:
        return _empty(_("No strong matches to chart."))
    rows, cols = heatmap.lv_sectors, heatmap.kr_sectors
    left = _label_width([_short(r) for r in rows]) + 12
    top = int(_label_width([_short(c) for c in cols]) * 0.72) + 28
    width = left + cell * len(cols) + max(150, top - 20)
    height = top + cell * len(rows) + 12
    peak = max(max(r) for r in heatmap.counts) or 1
    parts = [_open(width, height, _("Strong matches by sector, Latvia against Korea"))]
    for i, name in enumerate(rows):
        y = top + i * cell + cell / 2 + 4
        parts.append(_text(left - 8, y, _short(name), anchor="end", title=name))
    for j, name in enumerate(cols):
        x, y = left + j * cell + cell / 2, top - 6
        parts.append(
            f"<text x='{x:.1f}' y='{y}' font-size='12' transform='rotate(-45 {x:.1f} {y})'>"
            f"<title>{escape(name)}</title>{escape(_short(name))}</text>"
        )
    for i, row in enumerate(heatmap.counts):
        for j, count in enumerate(row):
            x, y = left + j * cell, top + i * cell
            share = count / peak
            fill = _blend("#f3f6fa", "#08306b", share) if count else "#fafafa"
            label = _("%(row)s (LV) × %(column)s (KR): %(count)s strong matches") % {
                "row": rows[i],
                "column": cols[j],
                "count": count,
            }
            parts.append(
                f"<rect x='{x}' y='{y}' width='{cell - 2}' height='{cell - 2}' fill='{fill}'>"
                f"<title>{escape(label)}</title></rect>"
            )
            if count:
                colour = "#ffffff" if share > 0.5 else "#1a1a1a"
                parts.append(
                    _text(
                        x + (cell - 2) / 2,
                        y + cell / 2 + 3,
                        str(count),
                        anchor="middle",
                        size=11,
                        fill=colour,
                    )
                )
    parts.append(_text(left - 8, top - 10, "LV ↓  KR →", anchor="end", size=11, fill="#555"))
    parts.append(_scale_legend(left + cell * len(cols) + 20, top, peak, _("strong matches")))
    return _close(parts)


def histogram_svg(
    bins: Sequence[ScoreBin], strong: float | None, language: str = DEFAULT_LANGUAGE
) -> Markup:
    """Matches per score band, stacked by direction, with the 'strong' threshold marked."""
    _ = _words(language)
    if not bins:
        return _empty(_("No matches to chart."))
    width, height = 640, 280
    left, right, top, bottom = 48, 16, 30, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(b.counts.values()) for b in bins]
    y_max, step = _nice_axis(max(totals))
    bar_w = plot_w / len(bins)
    low, high = bins[0].low, bins[-1].high

    def x_of(score: float) -> float:
        return left + (score - low) / (high - low) * plot_w

    def y_of(count: float) -> float:
        return top + plot_h - count / y_max * plot_h

    parts = [_open(width, height, _("Distribution of match scores"))]
    for tick in range(0, y_max + 1, step):
        y = y_of(tick)
        parts.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e3e3e3'/>"
        )
        parts.append(_text(left - 6, y + 4, str(tick), anchor="end", size=11, fill="#555"))
    for i, b in enumerate(bins):
        base = 0
        for direction, colour in DIRECTION_COLOURS.items():
            n = b.counts.get(direction, 0)
            if not n:
                continue
            y0, y1 = y_of(base), y_of(base + n)
            tip = _("%(direction)s: %(count)s matches scoring %(low)s to %(high)s") % {
                "direction": direction,
                "count": n,
                "low": f"{b.low:.3f}",
                "high": f"{b.high:.3f}",
            }
            parts.append(
                f"<rect x='{left + i * bar_w + 1:.1f}' y='{y1:.1f}' width='{bar_w - 2:.1f}' "
                f"height='{y0 - y1:.1f}' fill='{colour}'><title>{escape(tip)}</title></rect>"
            )
            base += n
    label_every = max(1, math.ceil(len(bins) / 8))
    digits = _decimals(bins[0].high - bins[0].low)
    for i in range(0, len(bins) + 1, label_every):
        edge = low + i * (high - low) / len(bins)
        label = f"{edge:.{digits}f}".replace("-", "−")
        parts.append(_text(x_of(edge), top + plot_h + 16, label, anchor="middle", size=11))
    parts.append(
        f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h}' y2='{top + plot_h}' "
        "stroke='#333'/>"
    )
    parts.append(_text(left + plot_w / 2, height - 6, _("score"), anchor="middle", size=12))
    parts.append(_text(12, top - 12, _("matches"), size=12))
    if strong is not None and low <= strong <= high:
        x = x_of(strong)
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top - 4}' y2='{top + plot_h}' stroke='#222' "
            "stroke-dasharray='4 3'/>"
        )
        strong_label = _("strong ≥ %(score)s") % {"score": f"{strong:.3f}"}
        parts.append(_text(x + 4, top + 8, strong_label, size=11))
    parts.append(_legend(width - right - 200, 8, DIRECTION_COLOURS))
    return _close(parts)


def top_partners_svg(
    partners: Sequence[PartnerCount], language: str = DEFAULT_LANGUAGE
) -> Markup:
    """Companies named most often as a partner: horizontal bars, count at the end."""
    _ = _words(language)
    if not partners:
        return _empty(_("No partners to chart."))
    row = 22
    names = [f"{_short(p.name, PARTNER_CHARS)} ({p.country})" for p in partners]
    left = _label_width(names) + 14
    width = max(640, left + 320)
    plot_w = width - left - 50
    height = 30 + row * len(partners) + 10
    peak = max(p.count for p in partners)
    parts = [_open(width, height, _("Companies that appear most often as partners"))]
    for i, (p, name) in enumerate(zip(partners, names, strict=True)):
        y = 24 + i * row
        bar = max(2.0, p.count / peak * plot_w)
        full = f"{p.name} ({p.country})"
        tip = _("%(company)s: partner of %(count)s companies") % {
            "company": full,
            "count": p.count,
        }
        parts.append(_text(left - 8, y + 14, name, anchor="end", title=full))
        parts.append(
            f"<rect x='{left}' y='{y + 3}' width='{bar:.1f}' height='{row - 6}' "
            f"fill='{COUNTRY_COLOURS.get(p.country, '#777')}'>"
            f"<title>{escape(tip)}</title></rect>"
        )
        parts.append(_text(left + bar + 6, y + 15, str(p.count), size=12))
    parts.append(
        _legend(
            left, 4, {_("Latvian"): COUNTRY_COLOURS["LV"], _("Korean"): COUNTRY_COLOURS["KR"]}
        )
    )
    return _close(parts)


# -- drawing helpers ---------------------------------------------------------------


def _open(width: float, height: float, title: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:.0f} {height:.0f}' "
        f"width='{width:.0f}' height='{height:.0f}' role='img' aria-label='{escape(title)}' "
        f"{FONT} class='chart'><title>{escape(title)}</title>"
    )


def _close(parts: list[str]) -> Markup:
    return Markup("".join(parts) + "</svg>")


def _empty(message: str) -> Markup:
    return Markup(f"<p class='empty-chart'>{escape(message)}</p>")


def _text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 12,
    fill: str = "#1a1a1a",
    title: str | None = None,
) -> str:
    tip = f"<title>{escape(title)}</title>" if title and title != content else ""
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
        f"fill='{fill}'>{tip}{escape(content)}</text>"
    )


def _legend(x: float, y: float, colours: dict[str, str]) -> str:
    parts, offset = [], 0.0
    for label, colour in colours.items():
        parts.append(f"<rect x='{x + offset:.1f}' y='{y}' width='12' height='12' fill='{colour}'/>")
        parts.append(_text(x + offset + 16, y + 10, label, size=11))
        offset += 16 + len(label) * CHAR_WIDTH + 14
    return "".join(parts)


def _scale_legend(x: float, y: float, peak: int, title: str) -> str:
    steps = 5
    parts = [_text(x, y - 6, title, size=11, fill="#555")]
    for k in range(steps):
        value = peak * (k + 1) / steps
        parts.append(
            f"<rect x='{x}' y='{y + k * 18}' width='16' height='16' "
            f"fill='{_blend('#f3f6fa', '#08306b', value / peak)}'/>"
        )
        parts.append(_text(x + 22, y + k * 18 + 12, f"{value:.0f}", size=11))
    return "".join(parts)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label_width(labels: Sequence[str]) -> float:
    """Room for the longest label as drawn (already shortened)."""
    return max(len(label) for label in labels) * CHAR_WIDTH


def _blend(start: str, end: str, share: float) -> str:
    """A colour between two hex colours; share 0 gives start, 1 gives end."""
    a = [int(start[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i : i + 2], 16) for i in (1, 3, 5)]
    share = min(max(share, 0.0), 1.0)
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _decimals(width: float) -> int:
    """Decimals that tell bin edges of this width apart (0.025 needs three, 0.05 two)."""
    for digits in range(0, 8):
        if abs(round(width, digits) - width) < width * 1e-6:
            return digits
    return 8


def _nice_axis(peak: int, ticks: int = 5) -> tuple[int, int]:
    """An axis maximum and tick step in round numbers (1, 2, 5 x 10^n) covering peak."""
    raw = max(peak, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return step * math.ceil(max(peak, 1) / step), step
