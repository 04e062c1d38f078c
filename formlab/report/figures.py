"""Plotly figures of the report. Only what is plotted is thinned out (``plot_indices``); every
statistic shown is computed from all steps before thinning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from formlab.report.bands import BAND_COLOURS_HEX, band_ranges
from formlab.registry import METRICS, clock
from formlab.treadmill import SpeedStage
from formlab.report.step_metrics import (STEP_METRIC_BY_NAME, STEP_METRICS, is_measured, sides,
                                         step_values, valid_steps)
from formlab.report.stride_cycle import StrideCycle

MAX_POINTS_PER_TRACE = 600
ROLLING_STEPS = 31
SIDE_COLOURS = {"left": "#0072B2", "right": "#D55E00", "": "#888888"}
SIDE_NAMES = {"left": "left step", "right": "right step", "": "side unknown"}
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)
LEFT_RIGHT_METRICS = ("contact_ms", "impact_g", "pelvic_drop_deg")
ANGLE_LABELS = {
    "tilt_deg": "Tilt (anterior +), ° vs standing",
    "obliquity_deg": "Obliquity (left hip up +), ° from stride mean",
    "rotation_deg": "Rotation (to the left +), ° from stride mean",
}


def plot_indices(n: int, max_points: int = MAX_POINTS_PER_TRACE) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread items out of ``n`` (all when fewer)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def rolling_median(values: np.ndarray, window: int = ROLLING_STEPS) -> np.ndarray:
    """Centred rolling median over ``window`` steps, ignoring NaN."""
    return (pd.Series(values).rolling(window, center=True, min_periods=max(3, window // 4))
            .median().to_numpy())


def _rect(row: int, x_domain: bool, x0: float, x1: float, y_domain: bool, y0: float, y1: float,
          colour: str, opacity: float) -> dict:
    """A filled background rectangle in subplot ``row`` (one column); a ``*_domain`` axis spans
    0..1 of the subplot instead of data units. Built as a plain dict: plotly's add_hrect /
    add_vrect validate every shape and cost seconds on a long run."""
    axis = "" if row == 1 else str(row)
    return dict(type="rect", layer="below", line_width=0, fillcolor=colour, opacity=opacity,
                xref=f"x{axis}" + (" domain" if x_domain else ""), x0=x0, x1=x1,
                yref=f"y{axis}" + (" domain" if y_domain else ""), y0=y0, y1=y1)


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_xaxes(zeroline=False)
    fig.update_layout(template="plotly_white", height=height, font=FONT,
                      margin=dict(l=70, r=20, t=40, b=40), hovermode="closest",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))


def axis_range(values: np.ndarray, min_span: float, decimals: int) -> tuple[float, float]:
    """A y-axis around the 1st-99th percentile of ``values`` with a 10 % margin, never spanning
    less than the registry's ``min_span`` (a steady runner's 2 spm of scatter is not drawn as a
    wall-to-wall swing)."""
    lo, hi = np.nanpercentile(values, [1, 99])
    pad = 0.1 * (hi - lo) + 10 ** -decimals
    lo, hi = lo - pad, hi + pad
    if hi - lo < min_span:
        centre = 0.5 * (lo + hi)
        lo, hi = centre - 0.5 * min_span, centre + 0.5 * min_span
    return float(lo), float(hi)


def timeline_figure(analysis, stages: list[SpeedStage]) -> go.Figure | None:
    """Each measured per-step metric over the run: side-coloured step points, a rolling median,
    population bands where they exist, speed stages shaded. One row (one y-axis) per unit."""
    steps = valid_steps(analysis.steps)
    metrics = [m for m in STEP_METRICS if is_measured(steps, m.name)]
    if not metrics:
        return None
    t_s = steps["t_ic_s"].to_numpy(dtype=float)
    # minutes on the time axis, seconds for runs shorter than 3 minutes
    per_unit_s, unit = (60.0, "min") if t_s[-1] - t_s[0] >= 180.0 else (1.0, "s")
    side = sides(steps)
    fig = make_subplots(rows=len(metrics), cols=1, shared_xaxes=True, vertical_spacing=0.025,
                        subplot_titles=[f"{m.label} ({m.unit})" for m in metrics])
    shown_legend = set()
    shapes: list[dict] = []
    for row, metric in enumerate(metrics, start=1):
        values = step_values(steps, metric.name)
        finite = np.isfinite(values)
        for s in ("left", "right", ""):
            sel = np.flatnonzero(finite & (side == s))
            if not len(sel):
                continue
            sel = sel[plot_indices(len(sel))]
            fig.add_trace(go.Scatter(
                x=np.round(t_s[sel] / per_unit_s, 4), y=np.round(values[sel], metric.decimals + 1),
                mode="markers", marker=dict(size=3 if len(steps) > 300 else 6,
                                            color=SIDE_COLOURS[s], opacity=0.5),
                name=SIDE_NAMES[s], legendgroup=s, showlegend=s not in shown_legend,
                customdata=[clock(t) for t in t_s[sel]],
                hovertemplate=(f"{metric.label}: %{{y:.{metric.decimals}f}} {metric.unit}"
                               f"<br>{SIDE_NAMES[s]} at %{{customdata}}<extra></extra>"),
            ), row=row, col=1)
            shown_legend.add(s)
        smooth = rolling_median(np.where(finite, values, np.nan))
        sel = np.flatnonzero(np.isfinite(smooth))
        sel = sel[plot_indices(len(sel))]
        fig.add_trace(go.Scatter(
            x=np.round(t_s[sel] / per_unit_s, 4), y=np.round(smooth[sel], metric.decimals + 1),
            mode="lines", line=dict(color="#222222", width=2),
            name=f"rolling median ({ROLLING_STEPS} steps)", legendgroup="median",
            showlegend="median" not in shown_legend, customdata=[clock(t) for t in t_s[sel]],
            hovertemplate=(f"{metric.label}, median: %{{y:.{metric.decimals}f}} {metric.unit}"
                           "<br>at %{customdata}<extra></extra>"),
        ), row=row, col=1)
        shown_legend.add("median")
        fig.update_yaxes(title_text=metric.unit, row=row, col=1)
        lo, hi = axis_range(values, metric.definition.min_axis_span, metric.decimals)
        fig.update_yaxes(range=[lo, hi], row=row, col=1)
        if metric.band_metric and finite.any():
            for y0, y1, colour in band_ranges(metric.band_metric, lo, hi):
                shapes.append(_rect(row, True, 0, 1, False, y0, y1, BAND_COLOURS_HEX[colour],
                                    0.10))
    for i, stage in enumerate(stages):
        for row in range(1, len(metrics) + 1):
            shapes.append(_rect(row, False, stage.start_s / per_unit_s, stage.end_s / per_unit_s, True, 0, 1,
                                "#7f8c8d", 0.06 if i % 2 == 0 else 0.12))
        fig.add_annotation(x=stage.start_s / per_unit_s, xanchor="left", y=1.0, yref="y domain",
                           yanchor="top", text=f"treadmill {METRICS['treadmill_speed_mps'].with_unit(stage.speed_mps)}",
                           showarrow=False, bgcolor="rgba(255,255,255,0.8)",
                           font=dict(size=10, color="#444"), row=1, col=1)
    fig.update_layout(shapes=shapes)
    fig.update_xaxes(title_text=f"time since start of recording ({unit})", row=len(metrics), col=1)
    _base_layout(fig, height=80 + 170 * len(metrics))
    fig.update_layout(legend=dict(y=1.0 + 40.0 / (80 + 170 * len(metrics))),
                      margin=dict(t=70))
    return fig


def _box(values: np.ndarray, name: str, colour: str, metric) -> go.Box:
    """A box from precomputed quartiles, whiskers at the 10th/90th percentile (light HTML)."""
    p10, q1, med, q3, p90 = np.percentile(values, [10, 25, 50, 75, 90])
    return go.Box(x=[name], q1=[q1], median=[med], q3=[q3], lowerfence=[p10], upperfence=[p90],
                  name=name, marker_color=colour,
                  hovertemplate=(f"{metric.label}, {name} steps (n={len(values)})<br>"
                                 f"median %{{median:.{metric.decimals}f}} {metric.unit}<br>"
                                 f"quartiles %{{q1:.{metric.decimals}f}}–"
                                 f"%{{q3:.{metric.decimals}f}}<br>"
                                 f"10–90 %: %{{lowerfence:.{metric.decimals}f}}–"
                                 f"%{{upperfence:.{metric.decimals}f}}<extra></extra>"))


def left_right_figure(analysis) -> tuple[go.Figure | None, list[str]]:
    """Left against right for contact time, impact and pelvic drop; also names the metrics that
    could not be compared."""
    steps = valid_steps(analysis.steps)
    side = sides(steps)
    shown, missing = [], []
    for name in LEFT_RIGHT_METRICS:
        metric = STEP_METRIC_BY_NAME[name]
        v = step_values(steps, name)
        left, right = v[(side == "left") & np.isfinite(v)], v[(side == "right") & np.isfinite(v)]
        if len(left) >= 5 and len(right) >= 5:
            shown.append((metric, left, right))
        else:
            missing.append(metric.label)
    if not shown:
        return None, missing
    fig = make_subplots(rows=1, cols=len(shown), horizontal_spacing=0.12,
                        subplot_titles=[f"{m.label} ({m.unit})" for m, _, _ in shown])
    for col, (metric, left, right) in enumerate(shown, start=1):
        fig.add_trace(_box(left, "left", SIDE_COLOURS["left"], metric), row=1, col=col)
        fig.add_trace(_box(right, "right", SIDE_COLOURS["right"], metric), row=1, col=col)
        fig.update_yaxes(title_text=metric.unit, row=1, col=col)
    _base_layout(fig, height=340)
    fig.update_layout(margin=dict(t=40), showlegend=False)
    return fig, missing


def stride_cycle_figure(cycle: StrideCycle) -> go.Figure:
    """Mean pelvic angles over a stride (± 1 SD) with left and right stance shaded."""
    cols = list(ANGLE_LABELS)
    fig = make_subplots(rows=len(cols), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[ANGLE_LABELS[c] for c in cols])
    for row, col in enumerate(cols, start=1):
        mean, sd = cycle.mean_deg[col], cycle.sd_deg[col]
        label = ANGLE_LABELS[col].split(",")[0]
        fig.add_trace(go.Scatter(x=np.r_[cycle.pct, cycle.pct[::-1]],
                                 y=np.round(np.r_[mean + sd, (mean - sd)[::-1]], 3),
                                 fill="toself", fillcolor="rgba(52,73,94,0.15)",
                                 line=dict(width=0), hoverinfo="skip", showlegend=row == 1,
                                 name="± 1 SD across strides", legendgroup="sd"),
                      row=row, col=1)
        fig.add_trace(go.Scatter(x=cycle.pct, y=np.round(mean, 3), mode="lines",
                                 line=dict(color="#34495e", width=2.5), showlegend=row == 1,
                                 name=f"mean of {cycle.strides} strides", legendgroup="mean",
                                 hovertemplate=(f"{label}: %{{y:.1f}}°<br>"
                                                "at %{x:.0f} % of the stride<extra></extra>")),
                      row=row, col=1)
        fig.update_yaxes(title_text="°", row=row, col=1)
    fig.update_layout(shapes=[
        _rect(row, False, x0, x1, True, 0, 1, SIDE_COLOURS[side], 0.12)
        for (x0, x1), side in ((cycle.left_stance_pct, "left"), (cycle.right_stance_pct, "right"))
        for row in range(1, len(cols) + 1)])
    for (x0, x1), side in ((cycle.left_stance_pct, "left"), (cycle.right_stance_pct, "right")):
        fig.add_annotation(x=(x0 + x1) / 2, y=1.0, yref="paper", yanchor="bottom",
                           text=f"{side} stance", showarrow=False,
                           font=dict(color=SIDE_COLOURS[side], size=11))
    fig.update_xaxes(title_text="% of stride (0 = left initial contact)", range=[0, 100],
                     row=len(cols), col=1)
    _base_layout(fig, height=620)
    fig.update_layout(margin=dict(t=80), legend=dict(y=1.06))
    return fig
