"""The report's SVG charts and the helpers that lay them out, on small hand-made figures.

Every chart must be well-formed XML (it is inlined into the HTML page), say its
numbers on the marks (it is printed in grey), and size its marks in proportion.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from matchmaker.reports.charts import (
    COUNTRY_COLOURS,
    DIRECTION_COLOURS,
    _blend,
    _decimals,
    _nice_axis,
    _short,
    heatmap_svg,
    histogram_svg,
    top_partners_svg,
)
from matchmaker.reports.summary import Heatmap, PartnerCount, ScoreBin

SVG = "{http://www.w3.org/2000/svg}"
LV_KR, KR_LV = "LV → KR", "KR → LV"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(svg: ET.Element) -> list[str]:
    """What the chart writes (the text of <text> elements, without their tooltips)."""
    return [
        "".join(t.itertext()).removeprefix("".join(t.find(f"{SVG}title").itertext()))
        if t.find(f"{SVG}title") is not None
        else "".join(t.itertext())
        for t in svg.iter(f"{SVG}text")
    ]


@pytest.mark.parametrize(
    ("peak", "axis"),
    [(0, (1, 1)), (4, (4, 1)), (7, (8, 2)), (23, (25, 5)), (120, (150, 50))],
)
def test_an_axis_covers_the_peak_in_round_steps(peak, axis):
    assert _nice_axis(peak) == axis


def test_blending_colours():
    assert _blend("#000000", "#ffffff", 0) == "#000000"
    assert _blend("#000000", "#ffffff", 1) == "#ffffff"
    assert _blend("#000000", "#ffffff", 0.5) == "#808080"
    assert _blend("#000000", "#ffffff", 7) == "#ffffff"  # clamped, never an invalid colour
    assert _blend("#000000", "#ffffff", -1) == "#000000"


@pytest.mark.parametrize(("width", "digits"), [(1.0, 0), (2.5, 1), (0.05, 2), (0.025, 3)])
def test_bin_edges_get_the_decimals_that_tell_them_apart(width, digits):
    assert _decimals(width) == digits


def test_long_labels_are_shortened_with_an_ellipsis():
    assert _short("contract manufacturing") == "contract manufacturing"
    shortened = _short("x" * 40, limit=30)
    assert len(shortened) == 30 and shortened.endswith("…")


def test_heatmap_counts_in_cells_darkest_at_the_peak():
    heatmap = Heatmap(["generics"], ["distribution", "cosmetics"], [[3, 0]], pairs=3)
    svg = parse(heatmap_svg(heatmap))
    cells = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [c.get("fill") for c in cells] == ["#08306b", "#fafafa"]
    assert "generics (LV) × distribution (KR): 3 strong matches" in "".join(cells[0].itertext())
    assert "3" in texts(svg) and "0" not in texts(svg)  # an empty cell stays blank


def test_histogram_stacks_directions_and_marks_the_strong_score():
    bins = [ScoreBin(0.0, 0.5, {LV_KR: 2}), ScoreBin(0.5, 1.0, {LV_KR: 1, KR_LV: 3})]
    svg = parse(histogram_svg(bins, strong=0.5))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    # the axis runs to 4 (four matches in the fuller bin) over a 206-unit plot
    assert [float(b.get("height")) for b in bars] == [103.0, 51.5, 154.5]
    assert [b.get("fill") for b in bars] == [
        DIRECTION_COLOURS[LV_KR], DIRECTION_COLOURS[LV_KR], DIRECTION_COLOURS[KR_LV]
    ]
    written = texts(svg)
    assert [t for t in written if re.fullmatch(r"\d", t)] == ["0", "1", "2", "3", "4"]
    assert {"0.0", "0.5", "1.0"} <= set(written)
    assert "strong ≥ 0.500" in written
    assert any(line.get("stroke-dasharray") for line in svg.iter(f"{SVG}line"))


def test_top_partners_bars_are_proportional_and_coloured_by_country():
    partners = [PartnerCount("a", "Alpha", "KR", 4), PartnerCount("b", "Beta", "LV", 2)]
    svg = parse(top_partners_svg(partners))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1)
    assert [b.get("fill") for b in bars] == [COUNTRY_COLOURS["KR"], COUNTRY_COLOURS["LV"]]
    assert {"Alpha (KR)", "Beta (LV)", "4", "2"} <= set(texts(svg))


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        (lambda: heatmap_svg(Heatmap([], [], [], 0)), "No strong matches to chart."),
        (lambda: histogram_svg([], None), "No matches to chart."),
        (lambda: top_partners_svg([]), "No partners to chart."),
    ],
)
def test_an_empty_report_says_so_instead_of_drawing(chart, message):
    assert str(chart()) == f"<p class='empty-chart'>{message}</p>"


def test_labels_are_escaped():
    partners = [PartnerCount("x", "<script>alert(1)</script> & Co", "KR", 1)]
    markup = str(top_partners_svg(partners))
    assert "<script>" not in markup
    assert parse(markup) is not None
