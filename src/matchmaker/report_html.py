"""The HTML report: one self-contained, printable page.

Everything is inline (CSS, SVG charts, the data block), so the file can be
mailed, opened offline and printed to PDF from any browser. Jinja2 escapes
every profile value; the charts come from :mod:`report_charts`. The pairs and
metadata are embedded as JSON so a later report can mark what is new.
"""

from __future__ import annotations

import json

from jinja2 import Environment
from markupsafe import Markup

from .report_charts import COUNTRY_COLOURS, heatmap_svg, histogram_svg, top_partners_svg
from .report_formats import HTML_DATA_ID, describe_filters, describe_ids
from .reports import Report, summarise

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report) -> str:
    summary = summarise(report)
    scores = [e.match.score for s in report.sections for e in s.entries]
    return _PAGE.render(
        report=report,
        meta=report.meta,
        params=report.meta["parameters"],
        filters=describe_filters(report.meta["parameters"]["partner_filters"]),
        companies=describe_ids(report.meta["parameters"]["company_ids"]),
        summary=summary,
        best=max([*scores, 1e-9]),
        heatmap=heatmap_svg(summary.heatmap),
        histogram=histogram_svg(summary.score_bins, summary.strong_score),
        partners=top_partners_svg(summary.top_partners),
        colours=COUNTRY_COLOURS,
        data_id=HTML_DATA_ID,
        data=_data_block(report),
        by_direction=_group(report),
    )


def _group(report: Report) -> dict[str, list]:
    groups: dict[str, list] = {}
    for section in report.sections:
        groups.setdefault(section.direction, []).append(section)
    return groups


def _data_block(report: Report) -> Markup:
    """Metadata and pairs as JSON that cannot close the script element it sits in."""
    text = json.dumps({"meta": report.meta, "pairs": report.pairs()}, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text)


def _parts(parts: dict[str, float]) -> str:
    shown = {name: round(value, 3) or 0.0 for name, value in parts.items()}  # no "−0.000"
    return " · ".join(f"{name} {value:+.3f}".replace("-", "−") for name, value in shown.items())


_ENV.filters["parts"] = _parts

_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="matchmaker {{ meta.matchmaker_version }}">
<title>{{ meta.title }}: top {{ params.top }} partners, {{ summary.companies }} companies</title>
<style>
  :root { --lv: {{ colours.LV }}; --kr: {{ colours.KR }}; --ink: #1a1a1a; --muted: #5b5b5b;
          --rule: #d9d9d9; --soft: #f5f6f8; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
         "Noto Sans KR", "Malgun Gothic", sans-serif; color: var(--ink); margin: 0 auto;
         max-width: 1100px; padding: 24px 32px 48px; }
  h1 { font-size: 26px; margin: 0 0 4px; }
  h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid var(--ink);
       padding-bottom: 3px; }
  h3 { font-size: 16px; margin: 0; }
  .lede { color: var(--muted); margin: 0 0 14px; font-size: 15px; }
  dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
            font-size: 12px; background: var(--soft); padding: 10px 14px; margin: 0;
            border-radius: 4px; }
  dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
  .figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 0; padding: 0; }
  .figures li { list-style: none; border: 1px solid var(--rule); border-radius: 4px;
                padding: 8px 14px; min-width: 130px; }
  .figures b { display: block; font-size: 22px; }
  .figures span { color: var(--muted); font-size: 12px; }
  figure { margin: 18px 0 8px; break-inside: avoid; page-break-inside: avoid; }
  svg.chart { max-width: 100%; height: auto; }
  figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 760px; }
  .empty-chart { color: var(--muted); font-style: italic; }
  nav.index ul { columns: 3 220px; padding-left: 18px; margin: 4px 0 12px; font-size: 13px; }
  nav.index a { color: var(--ink); }
  h3.chart { margin: 22px 0 0; break-after: avoid; page-break-after: avoid; }
  .company { border-top: 1px solid var(--rule); padding: 14px 0 6px; }
  .company h3, .company .where { break-after: avoid; page-break-after: avoid; }
  .company .where { color: var(--muted); font-size: 13px; margin: 2px 0 8px; }
  .flag { display: inline-block; font-size: 11px; font-weight: 700; color: #fff;
          border-radius: 3px; padding: 0 5px; margin-right: 4px; vertical-align: 1px; }
  .flag.LV { background: var(--lv); } .flag.KR { background: var(--kr); }
  .local { font-weight: 400; color: var(--muted); }
  table { border-collapse: collapse; width: 100%; }
  th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600;
       border-bottom: 1px solid var(--rule); padding: 4px 6px; }
  td { vertical-align: top; padding: 6px; border-bottom: 1px solid #eee; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  td.rank { width: 28px; color: var(--muted); text-align: right; }
  td.partner { width: 32%; }
  td.partner .sub { color: var(--muted); font-size: 12px; }
  td.score { width: 92px; font-variant-numeric: tabular-nums; }
  .bar { height: 5px; background: #e8e8e8; border-radius: 2px; margin-top: 3px; }
  .bar i { display: block; height: 5px; border-radius: 2px; background: var(--ink); }
  ul.reasons { margin: 0; padding-left: 16px; }
  .parts { color: var(--muted); font-size: 11px; margin-top: 3px; }
  .badge { font-size: 10px; font-weight: 700; border-radius: 3px; padding: 0 4px;
           border: 1px solid currentColor; margin-left: 4px; white-space: nowrap; }
  .badge.new { color: #0a7a2f; } .badge.verified { color: var(--muted); }
  .none { color: var(--muted); font-style: italic; }
  footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
  @page { size: A4; margin: 14mm 12mm; }
  @media print {
    body { max-width: none; padding: 0; font-size: 11.5px; }
    h2 { font-size: 16px; break-after: avoid; page-break-after: avoid; }
    svg.chart { width: auto; max-height: 110mm; }
    a { color: inherit; text-decoration: none; }
    nav.index { display: none; }
    .direction > h2 { display: none; }
    .company { break-before: page; page-break-before: always; border-top: 0; padding-top: 0; }
    ul.reasons { font-size: 10.5px; }
    .parts { font-size: 9.5px; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
</style>
</head>
<body>
<header>
  <h1>{{ meta.title }}</h1>
  <p class="lede">The {{ params.top }} best partners in the other country for each of
    {{ summary.companies }} companies ({% for d, n in summary.by_direction.items() %}{{ d }}:
    {{ n.companies }}{{ ", " if not loop.last }}{% endfor %}), with the reasons for each match.</p>
  <dl class="meta">
    <dt>Generated</dt><dd class="generated-at">{{ meta.generated_at }} (UTC)</dd>
    <dt>Data</dt><dd>revision {{ meta.data_revision }}, last changed
      {{ meta.data_changed_at }}, {{ meta.companies_in_database }} companies</dd>
    <dt>Model</dt><dd>{{ meta.model_id }}; ranking keeps {{ meta.ranking.candidates }}
      candidates per company</dd>
    <dt>Companies</dt><dd>direction {{ params.direction }};
      {{ companies }}
      {%- if params.sectors %}; sectors {{ params.sectors | join(", ") }}{% endif %}
      {%- if params.changed_since %}; changed since {{ params.changed_since }}{% endif %}</dd>
    <dt>Partner filters</dt><dd>{{ filters }}</dd>
    {% if meta.previous_report %}
    <dt>New since</dt><dd>{{ meta.previous_report.source }} (generated
      {{ meta.previous_report.generated_at }}, data revision
      {{ meta.previous_report.data_revision }}){% if params.only_new %}; only new matches
      are listed{% endif %}</dd>
    {% endif %}
    <dt>Version</dt><dd>matchmaker {{ meta.matchmaker_version }}</dd>
  </dl>
  <ul class="figures">
    <li><b>{{ summary.companies }}</b><span>companies</span></li>
    <li><b>{{ summary.matches }}</b><span>matches</span></li>
    {% if summary.new is not none %}<li><b>{{ summary.new }}</b><span>new matches</span></li>
    {% endif %}
    <li><b>{{ summary.heatmap.pairs }}</b><span>strong LV–KR pairs</span></li>
    {% if summary.without_partners %}<li><b>{{ summary.without_partners }}</b>
      <span>companies without partners</span></li>{% endif %}
  </ul>
</header>

<h2>Where the matches cluster</h2>
<h3 class="chart">Strong matches by sector</h3>
<figure>
  {{ heatmap }}
  <figcaption>Strong matches ({{ summary.strong_rule }}) between Latvian sectors (rows) and
    Korean sectors (columns). A pair found in both directions counts once; a company with
    several sectors counts in each. At most {{ summary.heatmap.lv_sectors | length }} ×
    {{ summary.heatmap.kr_sectors | length }} most frequent sectors are shown.</figcaption>
</figure>
<h3 class="chart">Scores</h3>
<figure>
  {{ histogram }}
  <figcaption>How many matches fall in each score band, by direction. Scores add up the
    signals listed under each match; the dashed line marks a strong match.</figcaption>
</figure>
<h3 class="chart">Companies most often proposed as partners</h3>
<figure>
  {{ partners }}
  <figcaption>Companies that appear most often among the top {{ params.top }} partners of
    the companies in this report.</figcaption>
</figure>

<nav class="index">
  <h2>Companies</h2>
  {% for direction, sections in by_direction.items() %}
  <h3>{{ direction }}</h3>
  <ul>{% for s in sections %}<li><a href="#c-{{ s.company.id }}">{{ s.company.name }}</a>
    </li>{% endfor %}</ul>
  {% endfor %}
</nav>

<main>
{% for direction, sections in by_direction.items() %}
<section class="direction">
<h2>{{ direction }}: partners for {{ sections | length }} companies</h2>
{% for s in sections %}
<section class="company" id="c-{{ s.company.id }}">
  <h3><span class="flag {{ s.company.country }}">{{ s.company.country }}</span>{{ s.company.name }}
    {% if s.company.name_local %}<span class="local">{{ s.company.name_local }}</span>{% endif %}
  </h3>
  <p class="where">{{ [s.company.city, s.company.sectors | join(", ")] | select | join(" · ") }}
    · partners in {{ "KR" if s.company.country == "LV" else "LV" }}</p>
  {% if s.entries %}
  <table>
    <thead><tr><th>#</th><th>Partner</th><th>Score</th><th>Why</th></tr></thead>
    <tbody>
    {% for e in s.entries %}
    {% set m = e.match %}
    <tr>
      <td class="rank">{{ e.rank }}</td>
      <td class="partner"><b>{{ m.name }}</b>
        {% if e.new %}<span class="badge new">NEW</span>{% endif %}
        {% if m.verified %}<span class="badge verified">verified</span>{% endif %}
        {% if m.name_local %}<div>{{ m.name_local }}</div>{% endif %}
        <div class="sub">{{ [m.city, m.country] | select | join(", ") }}
          {%- if m.sectors %} · {{ m.sectors | join(", ") }}{% endif %}</div></td>
      <td class="score">{{ "%.3f" | format(m.score) }}
        <div class="bar"><i style="width: {{ [0, (100 * m.score / best)] | max | round(1) }}%">
        </i></div></td>
      <td><ul class="reasons">{% for r in m.reasons %}<li>{{ r }}</li>{% endfor %}</ul>
        <div class="parts">{{ m.score_parts | parts }}</div></td>
    </tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}
  <p class="none">{{ "No new partners since the previous report." if params.only_new
    else "No partners pass the filters of this report." }}</p>
  {% endif %}
</section>
{% endfor %}
</section>
{% endfor %}
</main>
<footer>Made with matchmaker {{ meta.matchmaker_version }}. Offers and seeks in profiles are
  editorial summaries; check with the companies before making introductions.</footer>
<script type="application/json" id="{{ data_id }}">{{ data }}</script>
</body>
</html>
"""
)
