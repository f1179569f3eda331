"""Charts as inline SVG, drawn by pygal on the server: no script and no asset to fetch, so the console
works without internet and the report stays one self-contained file (and prints to PDF as vectors).

Each chart's first series is the measured one; its points are `.serie-0 .dots` in the SVG, each with a
`<title>` that a browser shows on hover.
"""
import re
from functools import lru_cache

import pygal
from lxml import etree
from markupsafe import Markup
from pygal.style import Style

from config import KpiScale
from console.queries import ControlChart
from domain.actions import CorrectiveAction

STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#2b2f36", foreground_strong="#2b2f36",
    foreground_subtle="#d5d9e0", opacity=".9", opacity_hover="1", transition="0ms",
    font_family="'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif", label_font_size=11, major_label_font_size=11,
    legend_font_size=11, value_font_size=11, tooltip_font_size=11, title_font_size=13,
    colors=("#1f5fbf", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#7f8c8d", "#16a085"),
)
COMMON = dict(style=STYLE, js=[], disable_xml_declaration=True, explicit_size=True, allow_interruptions=True,
              legend_at_bottom=True, legend_box_size=10, show_y_guides=True, show_x_guides=False, margin=6,
              x_label_rotation=0, truncate_label=-1, dots_size=3.5, no_data_text="no data", max_scale=6,
              css=("file://style.css", "file://graph.css",
                   "inline:.axis .guide.line{stroke:#e6e8ec!important;stroke-dasharray:none!important}"
                   ".axis .line{stroke:#9aa1ab!important}"))
DASHED = {"width": 1.5, "dasharray": "6, 4"}
THIN = {"width": 1.2}
SVG = "{http://www.w3.org/2000/svg}"


def _render(chart: pygal.graph.graph.Graph, styled: bool = True) -> Markup:
    """The SVG without scripts or pygal's credit comments, each measured point titled for hover.

    Unstyled, it carries no style sheet of its own (pygal's is some 9 kB per chart): the page styles it.
    """
    svg = re.sub(r"<!--.*?-->", "", chart.render(is_unicode=True), flags=re.DOTALL)
    root = etree.fromstring(svg)
    unwanted = [f"{SVG}script"] + ([] if styled else [f"{SVG}style"])  # pygal's script configuration is not used
    for element in list(root.iter(*unwanted)):
        element.getparent().remove(element)
    for title in root.findall(f"{SVG}title"):  # pygal names an untitled chart "Pygal"
        if title.text == "Pygal":
            root.remove(title)
    for element in root.iter():
        if element.get("id", "").startswith("activate-serie"):  # pygal's own script hooks, repeated in every chart
            del element.attrib["id"]
    for dots in root.iter(f"{SVG}g"):
        if dots.get("class") == "dots":
            label = dots.find(f"{SVG}desc[@class='x_label']")
            value = dots.find(f"{SVG}desc[@class='value']")
            title = etree.SubElement(dots, f"{SVG}title")
            title.text = " ".join(part.text or "" for part in (label, value) if part is not None)
    return Markup(etree.tostring(root, encoding="unicode"))


def _months(periods: list[str]) -> list[str]:
    """Month labels: the year only where it changes."""
    labels, year = [], None
    for period in periods:
        labels.append(period if period[:4] != year else period[5:])
        year = period[:4]
    return labels


def sparkline(values: list[float | None]) -> Markup:
    """A score line without axes, styled by the page (`figure.spark` in console.css); the same scores
    give the same drawing, so it is kept for the next page load."""
    return _sparkline(tuple(values))


@lru_cache(maxsize=8192)
def _sparkline(values: tuple[float | None, ...]) -> Markup:
    chart = pygal.Line(**{**COMMON, "show_legend": False, "show_x_labels": False, "show_y_labels": False,
                          "show_y_guides": False, "margin": 2, "dots_size": 1.6, "width": 130, "height": 30,
                          "range": (0, 100)})
    chart.add("score", list(values))
    return _render(chart, styled=False)


def score_trend(periods: list[str], scores: list[float | None], grades: dict[str, float], width: int = 640,
                height: int = 260) -> Markup:
    chart = pygal.Line(**COMMON, width=width, height=height, range=(0, 100), title="Score")
    chart.x_labels = _months(periods)
    chart.add("score", scores)
    for grade, floor in list(grades.items())[:-1]:
        chart.add(f"{grade} from {floor:g}", [floor] * len(periods), show_dots=False, stroke_style=DASHED)
    return _render(chart)


def kpi_trend(title: str, periods: list[str], values: list[float | None], scale: KpiScale, width: int = 320,
              height: int = 200) -> Markup:
    chart = pygal.Line(**COMMON, width=width, height=height, title=title)
    chart.x_labels = _months(periods)
    chart.add("measured", values)
    chart.add(f"threshold {scale.threshold:g}", [scale.threshold] * len(periods), show_dots=False, stroke_style=DASHED)
    chart.add(f"target {scale.target:g}", [scale.target] * len(periods), show_dots=False, stroke_style=DASHED)
    return _render(chart)


def control_chart(chart_data: ControlChart, width: int = 640, height: int = 280) -> Markup:
    """OTD as a p-chart: each month's share on time, the centre line, each month's limits, flagged months."""
    points = chart_data.points
    chart = pygal.Line(**COMMON, width=width, height=height, title="OTD p-chart (% on time)",
                       range=(max(0, min(100 * min(p.lower, p.share) for p in points) - 5), 100))
    chart.x_labels = _months([p.period for p in points])
    chart.add("OTD %", [round(100 * p.share, 2) for p in points])
    chart.add(f"centre {100 * chart_data.centre:.1f}", [round(100 * chart_data.centre, 2)] * len(points),
              show_dots=False, stroke_style=THIN)
    chart.add("upper limit", [round(100 * p.upper, 2) for p in points], show_dots=False, stroke_style=DASHED)
    chart.add("lower limit", [round(100 * p.lower, 2) for p in points], show_dots=False, stroke_style=DASHED)
    chart.add("flagged", [{"value": round(100 * p.share, 2), "label": ", ".join(chart_data.flags[p.period])}
                          if p.period in chart_data.flags else None for p in points], stroke=False, dots_size=7)
    return _render(chart)


def milestone_path(plan: CorrectiveAction, width: int = 480, height: int = 220) -> Markup:
    """The plan's straight path from its baseline to its target, against what was measured at each milestone."""
    labels = ["baseline"] + [m.period for m in plan.milestones]
    start = plan.baseline if plan.baseline is not None else plan.target
    chart = pygal.Line(**COMMON, width=width, height=height, title=f"{plan.kpi}: plan {plan.action_id}")
    chart.x_labels = labels
    chart.add("measured", [plan.baseline] + [m.measured for m in plan.milestones])
    chart.add("milestones", [start] + [m.target for m in plan.milestones], stroke_style=DASHED, dots_size=2)
    chart.add(f"target {plan.target:g}", [plan.target] * len(labels), show_dots=False, stroke_style=THIN)
    return _render(chart)


def sync_history(cycles: list[dict], streams: list[str], width: int = 900, height: int = 260) -> Markup:
    """Records pulled per stream in each sync cycle; a cycle where a stream failed is marked."""
    chart = pygal.StackedBar(**COMMON, width=width, height=height, title="Records pulled per sync cycle",
                             show_x_labels=len(cycles) <= 16)
    chart.x_labels = [f"{c['started_at']:%m-%d %H:%M}" for c in cycles]
    for stream in streams:
        chart.add(stream, [{"value": c["pulled"].get(stream, 0),
                            "label": "failed" if stream in c["failed"] else "succeeded"} for c in cycles])
    return _render(chart)
