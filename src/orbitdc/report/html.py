"""``report.html``: a self-contained HTML report of a run, built from its output files.

Everything the page needs is inside it: plotly.js is inlined once (no CDN), the world map's
coastlines come from Natural Earth 1:110m land shipped with orbitdc (``report/data``), drawn
as lines on longitude/latitude axes so no map tiles or topojson are fetched. Large fleets are
sampled (at most ``MAX_TRACKS`` satellites and ``MAX_POINTS`` points each), and the page says
so. Each section appears only when the run has its data.
"""

from __future__ import annotations

import datetime
import html
import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pyarrow.compute as pc
import pyarrow.parquet as pq
from plotly.subplots import make_subplots

from orbitdc._version import __version__

__all__ = [
    "MAX_APPROACHES",
    "MAX_POINTS",
    "MAX_TRACKS",
    "ReportError",
    "build_report",
    "write_report",
]

#: Satellites drawn in per-satellite plots, and points per satellite and plot.
MAX_TRACKS = 12
MAX_POINTS = 1500
#: Contact windows drawn in the Gantt chart.
MAX_BARS = 400
REQUIRED = ("summary.json", "timeseries.parquet", "events.parquet")


class ReportError(ValueError):
    """The folder is not an orbitdc run this version can report on (exit code 2)."""


@cache
def _coastlines() -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of Natural Earth 1:110m land outlines, NaN between arcs."""
    text = resources.files("orbitdc.report").joinpath("data/land-110m.json").read_text("utf-8")
    topo = json.loads(text)
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    lon, lat = [], []
    for arc in topo["arcs"]:
        a = np.cumsum(np.asarray(arc, float), axis=0)
        x, y = a[:, 0] * sx + tx, a[:, 1] * sy + ty
        # Break lines that wrap around the antimeridian.
        jump = np.nonzero(np.abs(np.diff(x)) > 180.0)[0]
        x, y = np.insert(x, jump + 1, np.nan), np.insert(y, jump + 1, np.nan)
        lon += [x, [np.nan]]
        lat += [y, [np.nan]]
    return np.concatenate(lon), np.concatenate(lat)


def _load(run_dir: Path):
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: not a folder")
    missing = [f for f in REQUIRED if not (run_dir / f).is_file()]
    if missing:
        raise ReportError(f"{run_dir}: not an orbitdc run (missing {', '.join(missing)})")
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{run_dir}/summary.json: unreadable: {exc}") from None
    if not isinstance(summary, dict):
        raise ReportError(f"{run_dir}: summary.json is not an orbitdc summary")
    version = str(summary.get("orbitdc_version", ""))
    # Semantic versions: before 1.0 a minor release may change the outputs.
    same = 2 if __version__.startswith("0.") else 1
    if version.split(".")[:same] != __version__.split(".")[:same] or "kpis" not in summary:
        raise ReportError(
            f"{run_dir}: written by orbitdc {version or 'unknown'}, which this version "
            f"({__version__}) cannot report on; run it again"
        )
    try:
        ts = pq.read_table(run_dir / "timeseries.parquet")
        events = pq.read_table(run_dir / "events.parquet")
    except Exception as exc:
        raise ReportError(f"{run_dir}: damaged Parquet file: {exc}") from None
    return summary, ts, events


def _sample_names(ts) -> tuple[list[str], int]:
    names = sorted(set(ts.column("satellite").to_pylist()), key=_natural)
    if len(names) <= MAX_TRACKS:
        return names, len(names)
    pick = np.linspace(0, len(names) - 1, MAX_TRACKS).round().astype(int)
    return [names[i] for i in pick], len(names)


def _natural(name: str):
    head, _, tail = name.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (name, -1)


def _series(ts, name: str, columns: list[str], window: bool = False):
    """One satellite's columns, at most ``MAX_POINTS`` points: evenly thinned over the run, or
    with ``window`` the first ``MAX_POINTS`` samples at full resolution (for paths on a map,
    which thinning turns into zigzags)."""
    sub = ts.filter(pc.equal(ts.column("satellite"), name))
    sel = slice(0, MAX_POINTS) if window else slice(None, None,
                                                    max(1, -(-sub.num_rows // MAX_POINTS)))
    out = {"time": sub.column("time").to_numpy()[sel]}
    for c in columns:
        out[c] = sub.column(c).to_numpy(zero_copy_only=False)[sel]
    return out


def _ground_tracks(ts, names, summary):
    fig = go.Figure()
    lon, lat = _coastlines()
    fig.add_trace(go.Scattergl(x=lon, y=lat, mode="lines", line={"color": "#9aa", "width": 1},
                               name="coastline", hoverinfo="skip", showlegend=False))
    for name in names:
        s = _series(ts, name, ["lon_deg", "lat_deg"], window=True)
        x, y = s["lon_deg"], s["lat_deg"]
        jump = np.nonzero(np.abs(np.diff(x)) > 180.0)[0]
        x, y = np.insert(x, jump + 1, np.nan), np.insert(y, jump + 1, np.nan)
        fig.add_trace(go.Scattergl(x=x, y=y, mode="lines", name=name, line={"width": 1.5}))
    stations = summary["fleet"].get("stations", {})
    if stations:
        fig.add_trace(go.Scatter(
            x=[s["lon_deg"] for s in stations.values()],
            y=[s["lat_deg"] for s in stations.values()],
            mode="markers+text", text=list(stations), textposition="top center",
            marker={"symbol": "triangle-up", "size": 10, "color": "black"}, name="stations",
        ))
    fig.update_layout(title="Ground tracks", height=460,
                      xaxis={"range": [-180, 180], "title": "longitude (deg)"},
                      yaxis={"range": [-90, 90], "title": "latitude (deg)", "scaleanchor": "x"})
    return fig


def _orbits_3d(ts, names):
    fig = go.Figure()
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 36), np.linspace(0, np.pi, 18))
    r = 6378.137
    fig.add_trace(go.Surface(x=r * np.cos(u) * np.sin(v), y=r * np.sin(u) * np.sin(v),
                             z=r * np.cos(v), showscale=False, opacity=0.6,
                             colorscale=[[0, "#3b6ea5"], [1, "#3b6ea5"]], hoverinfo="skip",
                             name="Earth"))
    for name in names:
        s = _series(ts, name, ["x_km", "y_km", "z_km"], window=True)
        fig.add_trace(go.Scatter3d(x=s["x_km"], y=s["y_km"], z=s["z_km"], mode="lines",
                                   name=name, line={"width": 3}))
    fig.update_layout(title="Orbits (TEME, km)", height=560,
                      scene={"aspectmode": "data"})
    return fig


def _timeline(ts, names, column, title, ytitle):
    fig = go.Figure()
    for name in names:
        s = _series(ts, name, [column])
        fig.add_trace(go.Scattergl(x=s["time"], y=s[column], mode="lines", name=name))
    fig.update_layout(title=title, height=340, yaxis={"title": ytitle}, xaxis={"title": "UTC"})
    return fig


def _bus_panel(ts, names):
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("power in / load (W)", "battery (Wh)",
                                        "temperature (K)"))
    for name in names:
        s = _series(ts, name, ["power_in_w", "load_w", "battery_wh", "temperature_k"])
        group = {"legendgroup": name, "showlegend": False}
        fig.add_trace(go.Scattergl(x=s["time"], y=s["power_in_w"], name=name, mode="lines",
                                   legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scattergl(x=s["time"], y=s["load_w"], name=f"{name} load",
                                   mode="lines", line={"dash": "dot"}, **group), row=1, col=1)
        fig.add_trace(go.Scattergl(x=s["time"], y=s["battery_wh"], name=name, mode="lines",
                                   **group), row=2, col=1)
        fig.add_trace(go.Scattergl(x=s["time"], y=s["temperature_k"], name=name, mode="lines",
                                   **group), row=3, col=1)
    fig.update_layout(title="Power, battery and temperature", height=720)
    return fig


def _utilisation(ts):
    t = ts.column("time").to_numpy()
    a = ts.column("compute_available").to_numpy(zero_copy_only=False)
    ok = np.isfinite(a)
    times, inverse = np.unique(t[ok], return_inverse=True)
    mean = np.bincount(inverse, weights=a[ok]) / np.bincount(inverse)
    step = max(1, int(np.ceil(times.size / MAX_POINTS)))
    fig = go.Figure(go.Scattergl(x=times[::step], y=mean[::step], mode="lines",
                                 name="compute available"))
    fig.update_layout(title="Fleet compute available (mean of recorded satellites)",
                      height=320, yaxis={"range": [0, 1.05], "title": "share"})
    return fig


def _contacts(events):
    kind = events.column("kind")
    contacts = events.filter(pc.equal(kind, "contact"))
    total = contacts.num_rows
    if total > MAX_BARS:
        contacts = contacts.slice(0, MAX_BARS)
    start = contacts.column("start").to_numpy()
    end = contacts.column("end").to_numpy()
    labels = [f"{s} · {g}" for s, g in zip(contacts.column("target").to_pylist(),
                                           contacts.column("satellite").to_pylist())]
    dur_ms = (end - start).astype("timedelta64[ms]").astype(float)
    fig = go.Figure(go.Bar(base=start, x=dur_ms, y=labels, orientation="h",
                           marker={"color": "#2a9d8f"}, name="contact",
                           hovertext=[f"{d / 60000:.1f} min" for d in dur_ms]))
    fig.update_layout(title="Ground contacts" + (f" (first {MAX_BARS} of {total})"
                                                 if total > MAX_BARS else ""),
                      height=max(300, min(1200, 18 * len(set(labels)) + 120)),
                      xaxis={"type": "date", "title": "UTC"}, yaxis={"autorange": "reversed"},
                      showlegend=False)
    return fig, total


def _jobs(jobs, run_end):
    rows = [r for r in jobs.to_pylist() if r["started"] is not None][:MAX_BARS]
    colors = {"finished": "#2a9d8f", "running": "#e9c46a"}
    fig = go.Figure()
    for state in ("finished", "running"):
        sub = [r for r in rows if r["state"] == state]
        if not sub:
            continue
        end = [r["finished"] or run_end for r in sub]  # running: to the end of the run
        fig.add_trace(go.Bar(
            base=[r["started"] for r in sub],
            x=[max((e - r["started"]).total_seconds() * 1000.0, 1.0) for e, r in zip(end, sub)],
            y=[f"job {r['id']} ({r['workload']})" for r in sub], orientation="h", name=state,
            marker={"color": colors[state]},
            hovertext=[f"{r['placement']}; lost {r['work_lost_flops']:.3g} FLOP" for r in sub]))
    fig.update_layout(title="Jobs (start to finish)", xaxis={"type": "date"},
                      yaxis={"autorange": "reversed"}, height=max(260, 24 * len(rows) + 120))
    return fig


def _latency(net):
    regions = list(net["user_rtt"])
    fig = go.Figure()
    for p in ("p50", "p95", "p99"):
        fig.add_trace(go.Bar(x=regions, y=[net["user_rtt"][r][f"rtt_ms_{p}"] for r in regions],
                             name=p))
    fig.update_layout(title="User round-trip latency to compute (ms)", barmode="group",
                      height=360, yaxis={"title": "ms"})
    return fig


def _costs(econ):
    fig = make_subplots(rows=1, cols=3, column_widths=[0.3, 0.35, 0.35],
                        subplot_titles=("total cost of ownership ($)",
                                        "cost per accelerator-hour vs launch price",
                                        "what moves the orbit/ground ratio"))
    for side in ("orbit", "ground"):
        for item, value in econ[f"{side}_usd"].items():
            fig.add_trace(go.Bar(x=[side], y=[value], name=item.replace("_", " "),
                                 legendgroup=side), row=1, col=1)
    sweep = econ["launch_price_sweep"]
    prices = [s["launch_usd_per_kg"] for s in sweep]
    fig.add_trace(go.Scatter(x=prices, y=[s["orbit_usd_per_accelerator_hour"] for s in sweep],
                             mode="lines+markers", name="orbit $/h"), row=1, col=2)
    fig.add_trace(go.Scatter(x=prices, y=[s["ground_usd_per_accelerator_hour"] for s in sweep],
                             mode="lines", name="ground $/h", line={"dash": "dash"}), row=1, col=2)
    tornado = [t for t in econ["tornado"][:8][::-1]
               if t["ratio_at_low"] is not None and t["ratio_at_high"] is not None]
    base = econ["orbit_to_ground_ratio"]
    if base is None:
        tornado = []
    for key, color in (("ratio_at_low", "#457b9d"), ("ratio_at_high", "#e63946")):
        fig.add_trace(go.Bar(y=[t["input"] for t in tornado],
                             x=[t[key] - base for t in tornado], base=base, orientation="h",
                             name=key.replace("_", " "), marker={"color": color}),
                      row=1, col=3)
    fig.update_xaxes(type="log", title="launch $/kg", row=1, col=2)
    fig.update_layout(title="Cost: orbit against the ground", barmode="stack", height=480)
    return fig


def _table(rows) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table class='kv'>{body}</table>"


def build_report(run_dir: str | Path) -> str:
    """The report of the run in ``run_dir`` as an HTML string. Raises :class:`ReportError`."""
    summary, ts, events = _load(Path(run_dir))
    try:
        return _build(Path(run_dir), summary, ts, events)
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ReportError(
            f"{run_dir}: not a run this version ({__version__}) can report on: "
            f"{type(exc).__name__} {exc} (missing or malformed); run it again"
        ) from None


def _build(run_dir: Path, summary, ts, events) -> str:
    names, recorded = _sample_names(ts)
    sections: list[tuple[str, str, go.Figure | None]] = []
    kpis = summary["kpis"]
    overview = [("scenario", summary["scenario"]), ("description", summary["description"]),
                ("start", summary["start"]), ("end", summary["end"]),
                ("satellites", summary["satellites"]),
                ("ground stations", ", ".join(summary["ground_stations"]) or "none"),
                ("orbitdc", summary["orbitdc_version"]), ("seed", summary["seed"])]
    note = ""
    if recorded > len(names) or summary["timeseries"]["satellites_recorded"] < summary[
        "satellites"
    ]:
        note = (f"<p class='note'>Per-satellite plots show {len(names)} of the "
                f"{summary['satellites']} satellites ({recorded} recorded in the time series), "
                f"at most {MAX_POINTS} points each; the figures in the tables cover all.</p>")
    per_sat = ts.num_rows // max(recorded, 1)
    if per_sat > MAX_POINTS:
        note += (f"<p class='note'>The time series holds {per_sat:,} samples per satellite: "
                 f"ground tracks and orbits show the first {MAX_POINTS:,} at full resolution, "
                 f"timelines one sample in {-(-per_sat // MAX_POINTS)} over the whole run.</p>")
    kpi_rows = [(k.replace("_", " "), v if not isinstance(v, dict) else
                 ", ".join(f"{a}: {b}" for a, b in v.items())) for k, v in kpis.items()]
    sections.append(("Overview", _table(overview) + "<h3>Key figures</h3>" + _table(kpi_rows)
                     + note + "".join(f"<p class='warn'>warning: {html.escape(w)}</p>"
                                      for w in summary["warnings"]), None))
    if ts.num_rows:
        sections.append(("Ground tracks", "", _ground_tracks(ts, names, summary)))
        sections.append(("Orbits", "", _orbits_3d(ts, names)))
        sections.append(("Sun and shadow", "", _timeline(
            ts, names[:6], "shadow", "Shadow (0 sun, 1 umbra)", "shadow fraction")))
        bus_values = ts.column("power_in_w").to_numpy(zero_copy_only=False)
        if np.isfinite(bus_values).any():
            sections.append(("Power and heat", "", _bus_panel(ts, names[:6])))
            sections.append(("Fleet utilisation", "", _utilisation(ts)))
    if events.num_rows and pc.any(pc.equal(events.column("kind"), "contact")).as_py():
        fig, _ = _contacts(events)
        sections.append(("Contacts", "", fig))
    jobs_path = Path(run_dir) / "jobs.parquet"
    if jobs_path.is_file() and summary.get("jobs"):
        j = summary["jobs"]
        rows = [("policy", j["policy"]), ("jobs", j["jobs"]),
                ("states", ", ".join(f"{k} {v}" for k, v in j["states"].items())),
                ("goodput", f"{j['goodput_accelerator_hours']:,.1f} accelerator-hours"),
                ("utilisation", j["utilisation"])]
        run_end = datetime.datetime.fromisoformat(summary["end"].replace("Z", "+00:00"))
        sections.append(("Jobs", _table(rows), _jobs(pq.read_table(jobs_path), run_end)))
    net = summary.get("network")
    if net and net.get("user_rtt"):
        sections.append(("Latency", "", _latency(net)))
    if net and net.get("isl"):
        rows = [(f"{name} ({v['topology']})",
                 f"{v['links_mean']:,.0f} links, mean {v['capacity_mean_bps'] / 1e9:,.1f} Gb/s"
                 + (f"; all-reduce {v['allreduce_bps_min'] / 1e12:,.2f} Tb/s worst"
                    if "allreduce_bps_min" in v else ""))
                for name, v in net["isl"].items()]
        sections.append(("Links", _table(rows), None))
    sus = summary.get("sustainability")
    if sus and sus.get("fleets"):
        sections.append(("Orbital lifetime", _sustainability_html(sus), None))
    sc = summary.get("screening")
    conj_path = Path(run_dir) / "conjunctions.parquet"
    if sc is not None and conj_path.is_file():
        text, fig = _screening(sc, pq.read_table(conj_path))
        sections.append(("Close approaches", text, fig))
    sky = summary.get("night_sky")
    if sky and sky.get("sites"):
        sections.append(("Night sky", *_night_sky(sky)))
    debris = _small_debris_html(summary)
    if debris:
        sections.append(("Small debris", debris, None))
    econ = summary.get("economics")
    if econ:
        be = econ["break_even_launch_usd_per_kg"]
        lp = econ["launched_power_usd_per_kw_year"]
        rows = [("orbit / ground per accelerator-hour", econ["orbit_to_ground_ratio"] or "n/a"),
                ("break-even launch price", f"${be:,.0f}/kg" if be is not None
                 else econ["break_even_note"]),
                ("launched power price", f"${lp:,.0f}/kW-yr" if lp is not None else "n/a")]
        sections.append(("Cost", _table(rows), _costs(econ)))
        extra = _uncertainty_html(econ)
        if extra:
            sections.append(("Cost uncertainty and lifetime", extra, None))
    return _page(summary, sections)


#: Approaches drawn in the close-approach plot (the closest first); the tables cover all.
MAX_APPROACHES = 5000


def _sustainability_html(sus) -> str:
    """Per fleet: passive decay at the three activity levels, the five-year verdict and the
    disposal burns (the summary's ``sustainability`` section)."""
    rows = []
    for name, f in sus["fleets"].items():
        years, rule, disp = f["decay_years"], f["five_year_rule"] or {}, f["disposal"]
        if years is None:
            rows.append((name, _fmt(f["altitude_km"]), "no drag data", "", "", "", ""))
            continue
        if not rule.get("applies"):
            verdict = "n/a (above 2,000 km)"
        elif rule.get("passive"):
            verdict = f"pass (passive, {rule['solar_activity']} activity)"
        else:
            verdict = f"FAIL without propulsion ({rule['solar_activity']} activity)"
        acc, ctrl = disp["accelerated"], disp["controlled"]
        rows.append((name, _fmt(f["altitude_km"]),
                     " / ".join(_fmt(years[k], ".3g") for k in ("high", "moderate", "low")),
                     verdict,
                     "not needed" if rule.get("passive") or not rule.get("applies") else
                     f"{_fmt(acc['delta_v_m_s'], ',.1f')} m/s to "
                     f"{_fmt(acc['to_altitude_km'], ',.0f')} km",
                     f"{_fmt(ctrl['delta_v_m_s'], ',.1f')} m/s",
                     _fmt(ctrl["propellant_kg"], ",.1f")))
    levels = "; ".join(f"{k}: F10.7 {v['f107_sfu']:g}, Ap {v['ap']:g}"
                       for k, v in sus["activity_levels"].items())
    return (f"<p>{html.escape(sus['model'])} ({html.escape(levels)}).</p>"
            + _grid(("fleet", "altitude (km)", "passive decay, years (high / moderate / low)",
                     "five-year rule", "accelerated disposal", "controlled re-entry",
                     "propellant, controlled (kg)"), rows))


def _screening(sc, table):
    """The ``screening`` section's tables, and every approach of ``conjunctions.parquet``
    (at most ``MAX_APPROACHES``, the closest) as miss distance against TCA per pair of groups."""
    rows = [(k, f"{v['approaches']:,}", f"{v['closest_km'] * 1000:,.1f}", v["closest"])
            for k, v in sc["per_group_pair"].items()]
    head = (f"<p>{sc['approaches']:,} approaches below {sc['threshold_km']:g} km"
            + (f" ({sc['formation_threshold_km']:g} km within a formation)"
               if sc["formation_threshold_km"] != sc["threshold_km"] else "")
            + f" among {sc['objects']:,} objects"
            + (f" ({sc['catalogue_objects']:,} from {html.escape(str(sc['catalogue']))})"
               if sc["catalogue"] else " (no catalogue)") + ". "
            f"{html.escape(sc['definition'])}.</p>")
    if "probability" in sc:
        prob = sc["probability"]
        head += (f"<p class='note'>Probabilities assume an {html.escape(prob['assumption'])}; "
                 f"highest {_fmt(prob['max'], '.3g')}.</p>")
    closest = [(r["a"], r["b"], r["tca"], f"{r['miss_km'] * 1000:,.1f}",
                f"{r['speed_km_s']:.3f}") + ((_fmt(r["probability"], ".3g"),)
                                             if "probability" in r else ())
               for r in sc["closest"]]
    text = (head + _grid(("pair of groups", "approaches", "closest (m)", "between"), rows)
            + "<h3>Closest approaches</h3>"
            + _grid(("a", "b", "TCA (UTC)", "miss (m)", "speed (km/s)")
                    + (("probability",) if "probability" in sc else ()), closest))
    if table.num_rows == 0:
        return text, None
    miss = table.column("miss_km").to_numpy()
    keep = np.sort(np.argsort(miss, kind="stable")[:MAX_APPROACHES])
    tca = table.column("tca").to_numpy()[keep]
    miss = miss[keep]
    ga = np.asarray(table.column("a_group").to_pylist(), object)[keep]
    gb = np.asarray(table.column("b_group").to_pylist(), object)[keep]
    pair = np.where(ga <= gb, ga + " x " + gb, gb + " x " + ga)
    fig = go.Figure()
    for key in sorted(set(pair.tolist())):
        m = pair == key
        fig.add_trace(go.Scattergl(x=tca[m], y=miss[m] * 1000.0, mode="markers", name=key,
                                   marker={"size": 5}))
    shown = (f" (the {keep.size:,} closest of {table.num_rows:,})"
             if table.num_rows > keep.size else "")
    fig.update_layout(title="Close approaches: miss distance at TCA" + shown, height=420,
                      xaxis={"type": "date", "title": "TCA (UTC)"},
                      yaxis={"type": "log", "title": "miss (m)"})
    return text, fig


def _night_sky(sky):
    """Per site and night hour: satellites sunlit above the elevation limit and those brighter
    than the magnitude limit (the summary's ``night_sky`` section)."""
    rows = []
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        f"sunlit above {sky['min_elevation_deg']:g} deg (mean per hour)",
        f"brighter than magnitude {sky['magnitude_limit']:g} (mean per hour)"))
    for name, site in sky["sites"].items():
        hours = site["hours"]
        lit = [h["sunlit_above_min_elevation_mean"] for h in hours]
        bright = [h["brighter_than_limit_mean"] for h in hours]
        rows.append((name, f"{site['lat_deg']:.3f}, {site['lon_deg']:.3f}", len(hours),
                     _fmt(float(np.mean(lit)) if hours else None, ".1f"),
                     max((h["sunlit_above_min_elevation_max"] for h in hours), default=0),
                     _fmt(float(np.mean(bright)) if hours else None, ".1f"),
                     max((h["brighter_than_limit_max"] for h in hours), default=0)))
        if hours:
            x = [h["hour"] for h in hours]
            fig.add_trace(go.Scatter(x=x, y=lit, mode="lines+markers", name=name,
                                     legendgroup=name), row=1, col=1)
            fig.add_trace(go.Scatter(x=x, y=bright, mode="lines+markers", name=name,
                                     legendgroup=name, showlegend=False), row=1, col=2)
    fig.update_layout(title="Night sky per night hour", height=380)
    text = (f"<p>{html.escape(sky['model'])}. Night: {html.escape(sky['night'])}; sampled "
            f"every {sky['step_s']:g} s.</p>"
            + _grid(("site", "lat, lon (deg)", "night hours", "sunlit above, mean",
                     "sunlit above, max", "brighter, mean", "brighter, max"), rows))
    return text, (fig if any(s["hours"] for s in sky["sites"].values()) else None)


def _small_debris_html(summary) -> str:
    """The untracked-debris risk per shell (``sustainability.small_debris``): beside the
    conjunction screening of tracked objects, the impacts no screening can see coming."""
    sec = (summary.get("sustainability") or {}).get("small_debris")
    if not sec or not sec["fleets"]:
        return ""
    life = sec["design_life_years"]
    size = sec["size_threshold_cm"]
    head = ["shell", "type", "altitude km", "incl. deg", f"flux >{size:g} cm /m²/yr",
            "cross-section m²", "impacts/yr per satellite", "impacts/yr shell",
            f"P(hit) in {life:g} yr", "catastrophic from", "P(catastrophic)"]
    rows, notes = [], []
    for name, f in sec["fleets"].items():
        if "outside" in f:
            notes.append(f"{name}: {f['outside']}")
            continue
        if "impacts_per_year" not in f:
            rows.append([name, f["satellite_type"] or "-", _fmt(f["altitude_km"], ".0f"),
                         _fmt(f["inclination_deg"], ".1f"), _fmt(f["flux_per_m2_year"], ".3g"),
                         "-", "-", "-", "-", "-", "-"])
            continue
        cat = f["p_catastrophic_design_life"]
        rows.append([name, f["satellite_type"], _fmt(f["altitude_km"], ".0f"),
                     _fmt(f["inclination_deg"], ".1f"), _fmt(f["flux_per_m2_year"], ".3g"),
                     _fmt(f["cross_section_m2"], ",.4g"), _fmt(f["impacts_per_year"], ".3g"),
                     _fmt(f["impacts_per_year_fleet"], ".3g"),
                     _fmt(f["p_impact_design_life"], ".3g"),
                     f"{f['catastrophic_diameter_cm']:.2g} cm",
                     ("≤ " if cat["bound"] == "upper" else "≥ ") + _fmt(cat["value"], ".3g")])
    text = (f"<p class='note'>{html.escape(sec['model'])}; flux through the satellite's mean "
            f"cross-section, impacts as a Poisson process over the design life "
            f"({life:g} years, from {html.escape(sec['design_life_from'])}). Catastrophic: "
            f"impact energy of {sec['catastrophic_energy_j_per_g']:g} J per gram of satellite; "
            f"the table has one size, so the chance is a bound.</p>")
    return (_grid(head, rows) if rows else "") + text + "".join(
        f"<p class='warn'>{html.escape(n)}</p>" for n in notes)


def _grid(head, rows) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table class='kv'><tr>{cells}</tr>{body}</table>"


def _fmt(x, spec=",.4g") -> str:
    return "n/a" if x is None else format(x, spec)


def _uncertainty_html(econ) -> str:
    """The Monte Carlo's percentiles and the lifetime sample's spread, as tables."""
    parts = []
    unc = econ.get("uncertainty")
    if unc and unc.get("samples"):
        def be(x):
            return "none" if x is None or x < 0 else f"${x:,.0f}/kg"
        rows = [("orbit $/accelerator-hour",
                 *(_fmt(unc["orbit_usd_per_accelerator_hour"][p]) for p in ("p10", "p50", "p90"))),
                ("ground $/accelerator-hour",
                 *(_fmt(unc["ground_usd_per_accelerator_hour"][p]) for p in ("p10", "p50", "p90"))),
                ("orbit / ground", *(_fmt(unc["orbit_to_ground_ratio"][p]) for p in
                                     ("p10", "p50", "p90"))),
                ("break-even launch price", *(be(unc["break_even_launch_usd_per_kg"][p]) for p in
                                              ("p10", "p50", "p90")))]
        parts.append(f"<p>{unc['samples']:,} samples of the estimated inputs (seed "
                     f"{unc['seed']}; {html.escape(unc['method'])}). Orbit cheaper in "
                     f"{unc['share_orbit_cheaper']:.1%} of them.</p>"
                     + _grid(("figure", "P10", "P50", "P90"), rows))
        corr = list(unc.get("rank_correlation_with_ratio", {}).items())[:6]
        if corr:
            parts.append("<h3>Rank correlation with the orbit/ground ratio</h3>"
                         + _grid(("input", "Spearman"), corr))
    life = econ.get("lifetime") or {}
    if life.get("epochs"):
        rows = [(k.replace("_", " "), _fmt(v["mean"]), _fmt(v["min"]), _fmt(v["max"]))
                for k, v in life["spread"].items()]
        parts.append(f"<h3>Lifetime sample</h3><p>{life['epochs']} epochs of "
                     f"{life['hours_each']:g} h over the year and the design life, flown "
                     f"{html.escape(life['flown'])}.</p>"
                     + _grid(("figure", "mean", "min", "max"), rows))
    elif life.get("note"):
        parts.append(f"<p class='note'>Flight figures: {html.escape(life['note'])}.</p>")
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:0}nav a{margin-right:1rem}section{margin-top:2rem}
table.kv{border-collapse:collapse}table.kv th{text-align:left;padding:2px 12px 2px 0;
font-weight:500;color:#555}table.kv td{padding:2px 0}.note{color:#555}.warn{color:#a15c00}
"""


def _page(summary, sections) -> str:
    parts = []
    first = True
    for i, (title, text, fig) in enumerate(sections):
        plot = ""
        if fig is not None:
            plot = fig.to_html(full_html=False, include_plotlyjs=first,
                               div_id=f"plot-{i}", config={"displaylogo": False})
            first = False
        anchor = title.lower().replace(" ", "-")
        parts.append(f"<section id='{anchor}'><h2>{html.escape(title)}</h2>{text}{plot}</section>")
    nav = " ".join(f"<a href='#{t.lower().replace(' ', '-')}'>{html.escape(t)}</a>"
                   for t, _, _ in sections)
    title = html.escape(f"orbitdc — {summary['scenario']}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{title}</h1><nav>{nav}</nav>"
            + "".join(parts) + "</body></html>")


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Build the report of ``run_dir`` and write it (default ``run_dir/report.html``)."""
    text = build_report(run_dir)
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
