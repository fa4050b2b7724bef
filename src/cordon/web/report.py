"""The situation report: one dated HTML document (and its PDF) with the figures, the charts and
the lists, for the people who are not in the system. Charts are drawn as SVG by matplotlib, so the
document needs no JavaScript and prints the same everywhere."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cordon.config import Settings
from cordon.domain.cases import Case
from cordon.domain.orders import Order, OrderStatus
from cordon.domain.roles import Actor, Permission
from cordon.services import alerts, cases, missing, orders
from cordon.services.alerts import AlertView
from cordon.services.missing import MissingCase
from cordon.services.situation import Curve, Situation, note_report, situation
from cordon.services.whereabouts import case_places
from cordon.times import local_time
from cordon.web.templating import templates

__all__ = ["Report", "build_report", "curve_svg", "render_html", "render_pdf"]

LIST_LIMIT = 500
COLORS = {
    "exposed": "#e0a100",
    "suspected": "#e36b00",
    "confirmed": "#c0392b",
    "first positive specimen": "#2ca02c",
    "cleared": "#2e8b57",
}
"""The dashboard's colours (static/app.js), so the report reads like the screen."""
BARS_UP_TO = 90
"""Days up to which the curve is drawn as bars; longer curves as steps (a lighter document)."""


@dataclass
class Report:
    """What the report shows, as far as the actor's role may see it."""

    title: str
    generated: str
    author: str
    situation: Situation
    curve_svg: str
    cases: list[Case] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)
    """Where each listed case is now (``services.whereabouts``)."""
    orders: list[Order] = field(default_factory=list)
    alerts: list[AlertView] = field(default_factory=list)
    missing: list[MissingCase] | None = None
    """The missing and departed, confirmed first (None: the role may not see them)."""
    truncated: list[str] = field(default_factory=list)


def curve_svg(curve: Curve) -> str:
    """The epidemic curve as an SVG data URL (empty when there are no dated cases)."""
    if not curve.days:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = [datetime.fromtimestamp(d, UTC) for d in curve.days]
    fig, ax = plt.subplots(figsize=(7.5, 2.8), dpi=96)
    width = 0.8 / max(1, len(curve.series))
    still = [k < len(curve.complete) and not curve.complete[k] for k in range(len(days))]
    for i, (name, counts) in enumerate(curve.series.items()):
        color = COLORS.get(name)
        if len(days) > BARS_UP_TO:
            ax.step([d.timestamp() / 86400 for d in days], counts, where="mid", label=name,
                    color=color)  # fmt: skip
            continue
        offsets = [d.timestamp() / 86400 + (i - (len(curve.series) - 1) / 2) * width for d in days]
        bars = ax.bar(offsets, counts, width=width, label=name, color=color)
        for bar, incomplete in zip(bars, still, strict=True):
            if incomplete:  # today, still under way: hatched and pale, as on the dashboard
                bar.set_alpha(0.45)
                bar.set_hatch("//")
    ticks = [d.timestamp() / 86400 for d in days]
    step = max(1, len(ticks) // 10)
    ax.set_xticks(ticks[::step], [d.strftime("%d %b") for d in days][::step])
    ax.set_ylabel("persons per day")
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    encoded = base64.b64encode(out.getvalue().encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


def build_report(session: Session, *, actor: Actor, settings: Settings) -> Report:
    """Collect the report's content; the lists only for roles that may see them."""
    from cordon.web import analyses

    analyses.register()
    current = situation(session, actor=actor, at=settings.now(), zone=settings.zone)
    zone = settings.zone
    report = Report(
        title="cordon situation report",
        generated=local_time(current.at, zone, named=True),
        author=actor.name,
        situation=current,
        curve_svg=curve_svg(current.curve),
    )
    if actor.can(Permission.READ_ORDERS):
        report.cases, total = cases.case_page(session, actor=actor, limit=LIST_LIMIT)
        if total > LIST_LIMIT:
            report.truncated.append(f"cases: the first {LIST_LIMIT} of {total}")
        report.places = case_places(session, actor=actor, at=current.at, cases=report.cases)
        report.orders, total = orders.order_page(
            session, actor=actor, status=OrderStatus.ACTIVE, limit=LIST_LIMIT
        )
        if total > LIST_LIMIT:
            report.truncated.append(f"active orders: the first {LIST_LIMIT} of {total}")
    if actor.can(Permission.READ_ALERTS):
        report.alerts, total = alerts.list_alerts(
            session, actor=actor, open_only=True, limit=LIST_LIMIT
        )
        if total > LIST_LIMIT:
            report.truncated.append(f"open alerts: the latest {LIST_LIMIT} of {total}")
    if actor.can(Permission.READ_LOCATIONS) and actor.can(Permission.READ_ORDERS):
        report.missing = missing.find_missing(
            session,
            actor=actor,
            at=current.at,
            record=False,
            grace=settings.missing_grace_seconds,
        )
    note_report(session, actor=actor, cases=len(report.cases), orders=len(report.orders))
    return report


def render_html(report: Report, settings: Settings) -> str:
    """The report as one self-contained HTML document."""
    zone = settings.zone

    def when(at: int | None) -> str:
        return "" if at is None else local_time(at, zone)

    context: dict[str, Any] = {"r": report, "when": when}
    return templates.get_template("report.html").render(context)


def render_pdf(html: str) -> bytes:
    """The report as PDF (WeasyPrint)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)
