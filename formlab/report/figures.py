"""Plotly figures of the report. Only what is plotted is thinned out (``plot_indices``); every
statistic shown is computed from all steps before thinning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from formlab.report.bands import BAND_COLOURS_HEX, BAND_MEANING, band_ranges
from formlab.registry import METRICS, clock
from formlab.treadmill import SpeedStage
from formlab.report.step_metrics import (STEP_METRIC_BY_NAME, STEP_METRICS, is_measured, sides,
                                         step_values, valid_steps)
from formlab.report.stride_cycle import StrideCycle

MAX_POINTS_PER_TRACE = 500
ROLLING_STEPS = 31
"""Steps of one side in the rolling median of that side (about 20 s of running)."""
SIDE_COLOURS = {"left": "#1f3b73", "right": "#9c3d00", "": "#666666"}
"""Dark navy and dark rust: apart from each other (also for colour-blind readers and in grey) and
from the pale population-band backgrounds; left and right also differ in marker shape."""
SIDE_SYMBOLS = {"left": "circle", "right": "diamond", "": "circle-open"}
SIDE_NAMES = {"left": "left step", "right": "right step", "": "side unknown"}
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)
LEFT_RIGHT_METRICS = ("contact_ms", "impact_g", "pelvic_drop_deg")
ANGLE_LABELS = {
    "tilt_deg": "Tilt (anterior +), ° vs standing",
    "obliquity_deg": "Obliquity (left hip up +), ° from stride mean",
    "rotation_deg": "Rotation (to the left +), ° from stride mean",
}
TREND_POINTS = 200
"""Points drawn of a rolling-median line: it changes slowly, so fewer points than the steps."""
TIMELINE_HEIGHT_PX = 230
"""One metric's chart over the run: small enough for two per row in print, no page split."""


def plot_indices(n: int, max_points: int = MAX_POINTS_PER_TRACE) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread items out of ``n`` (all when fewer)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def rolling_median(values: np.ndarray, window: int = ROLLING_STEPS) -> np.ndarray:
    """Centred rolling median over ``window`` steps, ignoring NaN."""
    return (pd.Series(values).rolling(window, center=True, min_periods=max(3, window // 4))
            .median().to_numpy())


def side_trend(values: np.ndarray, on_side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One side's rolling median: ``(indices into values, median)`` at most :data:`TREND_POINTS`
    of them (``on_side``: the indices of that side's steps, in time order)."""
    smooth = rolling_median(values[on_side])
    keep = np.flatnonzero(np.isfinite(smooth))
    keep = keep[plot_indices(len(keep), TREND_POINTS)]
    return on_side[keep], smooth[keep]


def _rect(row: int, x_domain: bool, x0: float, x1: float, y_domain: bool, y0: float, y1: float,
          colour: str, opacity: float) -> dict:
    """A filled background rectangle in subplot ``row`` (one column); a ``*_domain`` axis spans
    0..1 of the subplot instead of data units. Built as a plain dict: plotly's add_hrect /
    add_vrect validate every shape and cost seconds on a long run."""
    axis = "" if row == 1 else str(row)
    return dict(type="rect", layer="below", line_width=0, fillcolor=colour, opacity=opacity,
                xref=f"x{axis}" + (" domain" if x_domain else ""), x0=x0, x1=x1,
                yref=f"y{axis}" + (" domain" if y_domain else ""), y0=y0, y1=y1)


def _base_layout(fig: go.Figure, height: int, legend: bool = True) -> None:
    fig.update_xaxes(zeroline=False)
    fig.update_layout(template="plotly_white", height=height, font=FONT,
                      margin=dict(l=56, r=12, t=28 if legend else 10, b=40), hovermode="closest",
                      showlegend=legend, legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0,
                                                     font=dict(size=11)))


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


def _band_shapes(metric, values: np.ndarray) -> tuple[list[dict], list[dict], tuple[float, float]]:
    """Pale population bands behind ``values``, a label at the right edge of each, and the
    y range shown (:func:`axis_range`)."""
    y_range = axis_range(values, metric.definition.min_axis_span, metric.decimals)
    shapes, labels = [], []
    if metric.band_metric:
        for y0, y1, colour in band_ranges(metric.band_metric, *y_range):
            shapes.append(_rect(1, True, 0, 1, False, y0, y1, BAND_COLOURS_HEX[colour], 0.10))
            if (y1 - y0) > 0.12 * (y_range[1] - y_range[0]):  # label only bands tall enough to read
                labels.append(dict(x=1.0, xref="x domain", xanchor="right", y=(y0 + y1) / 2, yref="y",
                                   text=BAND_MEANING[colour], showarrow=False,
                                   font=dict(size=10, color=BAND_COLOURS_HEX[colour])))
    return shapes, labels, y_range


def timeline_figures(analysis, stages: list[SpeedStage]) -> list[tuple[object, go.Figure]]:
    """One small chart per measured per-step metric over the run, all on the same time axis:
    each side's steps in its own colour and shape with that side's rolling median (so an
    asymmetric runner shows two trends, not one line jumping between them), the population bands
    labelled, treadmill speed stages shaded. Titles are the page's, not the chart's."""
    steps = valid_steps(analysis.steps)
    metrics = [m for m in STEP_METRICS if is_measured(steps, m.name)]
    if not metrics:
        return []
    t_s = steps["t_ic_s"].to_numpy(dtype=float)
    # minutes on the time axis, seconds for runs shorter than 3 minutes
    per_unit_s, unit = (60.0, "min") if t_s[-1] - t_s[0] >= 180.0 else (1.0, "s")
    x_range = [t_s[0] / per_unit_s, t_s[-1] / per_unit_s]
    side = sides(steps)
    out = []
    for metric in metrics:
        values = step_values(steps, metric.name)
        finite = np.isfinite(values)
        fig = go.Figure()
        for s in ("left", "right", ""):
            on_side = np.flatnonzero(finite & (side == s))
            if not len(on_side):
                continue
            sel = on_side[plot_indices(len(on_side))]
            fig.add_trace(go.Scatter(
                x=np.round(t_s[sel] / per_unit_s, 4), y=np.round(values[sel], metric.decimals + 1),
                mode="markers", marker=dict(size=4 if len(steps) > 300 else 6, color=SIDE_COLOURS[s],
                                            symbol=SIDE_SYMBOLS[s], opacity=0.45),
                name=SIDE_NAMES[s], legendgroup=s,
                customdata=[clock(t) for t in t_s[sel]],
                hovertemplate=(f"{metric.label}: %{{y:.{metric.decimals}f}} {metric.unit}"
                               f"<br>{SIDE_NAMES[s]} at %{{customdata}}<extra></extra>"),
            ))
            at, smooth = side_trend(values, on_side)
            fig.add_trace(go.Scatter(
                x=np.round(t_s[at] / per_unit_s, 4), y=np.round(smooth, metric.decimals + 1),
                mode="lines", line=dict(color=SIDE_COLOURS[s], width=2.5, dash="solid" if s != "right" else "dash"),
                name=f"{s or 'all'} trend (median of {ROLLING_STEPS} steps)", legendgroup=s, showlegend=False,
                customdata=[clock(t) for t in t_s[at]],
                hovertemplate=(f"{metric.label}, {s or 'all'} median: %{{y:.{metric.decimals}f}} {metric.unit}"
                               "<br>at %{customdata}<extra></extra>"),
            ))
        shapes, labels, y_range = _band_shapes(metric, values[finite])
        for i, stage in enumerate(stages):
            shapes.append(_rect(1, False, stage.start_s / per_unit_s, stage.end_s / per_unit_s, True, 0, 1,
                                "#7f8c8d", 0.06 if i % 2 == 0 else 0.12))
            labels.append(dict(x=stage.start_s / per_unit_s, xanchor="left", y=0.0, yref="y domain",
                               yanchor="bottom", text=METRICS["treadmill_speed_mps"].with_unit(stage.speed_mps), showarrow=False,
                               font=dict(size=10, color="#444")))
        fig.update_layout(shapes=shapes, annotations=labels)
        fig.update_yaxes(title_text=metric.unit, range=list(y_range))
        fig.update_xaxes(title_text=f"time ({unit})", range=x_range)
        _base_layout(fig, height=TIMELINE_HEIGHT_PX, legend=False)
        out.append((metric, fig))
    return out


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


def left_right_figures(analysis) -> tuple[list[tuple[object, go.Figure]], list[str]]:
    """Left against right for contact time, impact and pelvic drop, one small chart each; also
    names the metrics that could not be compared."""
    steps = valid_steps(analysis.steps)
    side = sides(steps)
    shown, missing = [], []
    for name in LEFT_RIGHT_METRICS:
        metric = STEP_METRIC_BY_NAME[name]
        v = step_values(steps, name)
        left, right = v[(side == "left") & np.isfinite(v)], v[(side == "right") & np.isfinite(v)]
        if len(left) >= 5 and len(right) >= 5:
            fig = go.Figure([_box(left, "left", SIDE_COLOURS["left"], metric),
                             _box(right, "right", SIDE_COLOURS["right"], metric)])
            fig.update_yaxes(title_text=metric.unit)
            _base_layout(fig, height=260, legend=False)
            shown.append((metric, fig))
        else:
            missing.append(metric.label)
    return shown, missing


def stride_cycle_figures(cycle: StrideCycle) -> list[tuple[str, go.Figure]]:
    """Mean pelvic angles over a stride (± 1 SD) with left and right stance shaded, one small
    chart per angle, titled by the page."""
    out = []
    for i, (col, title) in enumerate(ANGLE_LABELS.items()):
        mean, sd = cycle.mean_deg[col], cycle.sd_deg[col]
        label = title.split(",")[0]
        fig = go.Figure([
            go.Scatter(x=np.r_[cycle.pct, cycle.pct[::-1]], y=np.round(np.r_[mean + sd, (mean - sd)[::-1]], 3),
                       fill="toself", fillcolor="rgba(52,73,94,0.15)", line=dict(width=0), hoverinfo="skip",
                       name="± 1 SD across strides"),
            go.Scatter(x=cycle.pct, y=np.round(mean, 3), mode="lines", line=dict(color="#34495e", width=2.5),
                       name=f"mean of {cycle.strides} strides",
                       hovertemplate=f"{label}: %{{y:.1f}}°<br>at %{{x:.0f}} % of the stride<extra></extra>"),
        ])
        stance = (((cycle.left_stance_pct, "left"), (cycle.right_stance_pct, "right")))
        fig.update_layout(shapes=[_rect(1, False, x0, x1, True, 0, 1, SIDE_COLOURS[side], 0.12)
                                  for (x0, x1), side in stance],
                          annotations=[dict(x=(x0 + x1) / 2, y=1.0, yref="y domain", yanchor="top",
                                            text=f"{side} stance", showarrow=False,
                                            font=dict(color=SIDE_COLOURS[side], size=11))
                                       for (x0, x1), side in stance])
        fig.update_yaxes(title_text="°")
        fig.update_xaxes(title_text="% of stride (0 = left initial contact)", range=[0, 100])
        _base_layout(fig, height=240, legend=i == 0)
        out.append((title, fig))
    return out


SESSION_STYLES = {"A": dict(width=1.5, dash="dot"), "B": dict(width=2.5, dash="solid")}
"""Session A drawn thin and dotted, session B bold: the later session reads first."""


def comparison_figures(a, b) -> list[tuple[object, go.Figure]]:
    """Each per-step metric both sessions measure, the two sessions overlaid on one shared axis:
    each side's rolling median over minutes since that session's first running step."""
    steps = {"A": valid_steps(a.steps), "B": valid_steps(b.steps)}
    out = []
    for metric in STEP_METRICS:
        if not all(is_measured(s, metric.name) for s in steps.values()):
            continue
        fig = go.Figure()
        together = []
        for name, s in steps.items():
            values, side = step_values(s, metric.name), sides(s)
            t_min = (s["t_ic_s"].to_numpy(float) - float(s["t_ic_s"].iloc[0])) / 60.0
            together.append(values[np.isfinite(values)])
            for sd in ("left", "right", ""):
                on_side = np.flatnonzero(np.isfinite(values) & (side == sd))
                if len(on_side) < 3:
                    continue
                at, smooth = side_trend(values, on_side)
                fig.add_trace(go.Scatter(
                    x=np.round(t_min[at], 3), y=np.round(smooth, metric.decimals + 1),
                    mode="lines", line=dict(color=SIDE_COLOURS[sd], **SESSION_STYLES[name]),
                    name=f"{name}, {sd or 'all'} steps",
                    hovertemplate=(f"{metric.label}, session {name}, {sd or 'all'}: %{{y:.{metric.decimals}f}} "
                                   f"{metric.unit}<br>%{{x:.1f}} min into the run<extra></extra>")))
        y_range = axis_range(np.concatenate(together), metric.definition.min_axis_span, metric.decimals)
        fig.update_yaxes(title_text=metric.unit, range=list(y_range))
        fig.update_xaxes(title_text="minutes since the first running step")
        _base_layout(fig, height=TIMELINE_HEIGHT_PX, legend=False)
        out.append((metric, fig))
    return out
