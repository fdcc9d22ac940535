"""``sweep.html``: a sweep's variants against its parameters, offline like the run report.

Sections: each key figure against each parameter (scatter), the Pareto front of cost per
delivered accelerator-hour against delivered work (when the fleet has a cost), and a
sensitivity ranking: the absolute Spearman rank correlation of each parameter with the main
figure (cost per accelerator-hour when there is one, else the first figure), over the variants
that ran.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pyarrow.parquet as pq
from plotly.subplots import make_subplots

from orbitdc.report.html import ReportError, _page, _table

__all__ = ["pareto_front", "sensitivity", "write_sweep_report"]

#: Figures plotted against each parameter, in order of preference.
KEY_FIGURES = ("orbit_usd_per_accelerator_hour", "delivered_accelerator_hours",
               "orbit_to_ground_ratio", "compute_available_mean", "dose_rad_per_year_max",
               "sunlit_fraction_mean", "eclipses", "energy_generated_kwh")


def pareto_front(cost: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Indices of the variants no other beats on both lower cost and more work."""
    order = np.lexsort((cost, -work))  # most work first, cheapest first among equals
    front, best = [], np.inf
    for i in order:
        if np.isfinite(cost[i]) and cost[i] < best:
            front.append(i)
            best = cost[i]
    return np.asarray(front, dtype=int)


def sensitivity(table, params: list[str], figure: str) -> list[tuple[str, float]]:
    """|Spearman rho| of each numeric parameter with ``figure``, largest first."""
    from scipy.stats import spearmanr

    y = np.asarray(table[figure], float)
    out = []
    for p in params:
        try:
            x = np.asarray(table[p], float)
        except (TypeError, ValueError):
            continue
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            out.append((p, 0.0))
            continue
        out.append((p, float(abs(spearmanr(x[ok], y[ok]).statistic))))
    return sorted(out, key=lambda kv: -kv[1])


def write_sweep_report(out_dir: str | Path, params: list[str], title: str) -> Path:
    out_dir = Path(out_dir)
    path = out_dir / "variants.parquet"
    if not path.is_file():
        raise ReportError(f"{out_dir}: no variants.parquet (not a finished sweep)")
    t = pq.read_table(path).to_pydict()
    status = np.asarray(t["status"])
    ok = status == "ok"
    table = {k: [v for v, keep in zip(vals, ok) if keep] for k, vals in t.items()}
    figures = [f for f in KEY_FIGURES if f in table] or [
        k for k in table if k not in params and k not in
        ("variant", "repetition", "seed", "status", "error")][:4]
    figures = figures[:4]
    counts = {s: int(np.sum(status == s)) for s in ("ok", "invalid", "failed")}
    overview = [("sweep", title), ("variants", len(status))] + [
        (k, v) for k, v in counts.items()] + [("parameters", ", ".join(params))]
    problems = [(f"variant {v}", e) for v, s, e in zip(t["variant"], t["status"], t["error"])
                if s != "ok"][:20]
    sections = [("Overview", _table(overview) + ("<h3>Variants that did not run</h3>"
                                                  + _table(problems) if problems else ""), None)]
    if figures and params and ok.any():
        fig = make_subplots(rows=len(figures), cols=len(params), shared_xaxes="columns",
                            column_titles=params, row_titles=figures,
                            vertical_spacing=0.06, horizontal_spacing=0.05)
        for i, f in enumerate(figures, start=1):
            for j, p in enumerate(params, start=1):
                fig.add_trace(go.Scattergl(x=table[p], y=table[f], mode="markers",
                                           marker={"size": 6}, showlegend=False,
                                           hovertext=[f"variant {v}" for v in table["variant"]]),
                              row=i, col=j)
        fig.update_layout(title="Key figures against each parameter",
                          height=260 * len(figures) + 80)
        sections.append(("Figures against parameters", "", fig))
    if "orbit_usd_per_accelerator_hour" in table and "delivered_accelerator_hours" in table:
        cost = np.asarray(table["orbit_usd_per_accelerator_hour"], float)
        work = np.asarray(table["delivered_accelerator_hours"], float)
        front = pareto_front(cost, work)
        fig = go.Figure()
        fig.add_trace(go.Scattergl(x=work, y=cost, mode="markers", name="variants",
                                   hovertext=[f"variant {v}" for v in table["variant"]]))
        f_sorted = front[np.argsort(work[front])]
        fig.add_trace(go.Scatter(x=work[f_sorted], y=cost[f_sorted], mode="lines+markers",
                                 name="Pareto front", line={"color": "#e63946"}))
        fig.update_layout(title="Cost per delivered accelerator-hour against delivered work",
                          xaxis={"title": "delivered accelerator-hours"},
                          yaxis={"title": "$ per accelerator-hour"}, height=420)
        sections.append(("Pareto front", "", fig))
    if figures and ok.sum() >= 3:
        main = figures[0]
        ranking = sensitivity(table, params, main)
        fig = go.Figure(go.Bar(x=[r for _, r in ranking][::-1], y=[p for p, _ in ranking][::-1],
                               orientation="h"))
        fig.update_layout(title=f"Sensitivity of {main}: |Spearman rank correlation|",
                          xaxis={"range": [0, 1]}, height=120 + 40 * len(ranking))
        sections.append(("Sensitivity", "", fig))
    summary = {"scenario": html.escape(title)}
    text = _page(summary, sections)
    out = out_dir / "sweep.html"
    tmp = out_dir / ".sweep.html.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
