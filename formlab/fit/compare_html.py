"""The ``compare-garmin`` page: one self-contained HTML file (inline CSS and SVG, no script, no
network), a few kilobytes: the clock alignment, the Bland-Altman table, one Bland-Altman plot per
metric and the known differences between what the two devices measure."""

from __future__ import annotations

import html

import numpy as np

from formlab.fit.compare import KNOWN_DIFFERENCES, METRICS, Comparison

_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}"
        "th:first-child,td:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:1rem}"
        "figure{margin:0}figcaption{font-size:.85rem}")
W, H, PAD = 300, 180, 34


def _fmt(value: float, decimals: int) -> str:
    return "–" if not np.isfinite(value) else f"{value:.{decimals}f}"


def _plot(comparison: Comparison, col: str) -> str:
    """Bland-Altman plot: mean of the pair against difference (Garmin − formlab), with the bias
    and the limits of agreement."""
    label, unit, decimals = METRICS[col]
    m = comparison.minutes
    a, b = m[f"{col}_formlab"].to_numpy(float), m[f"{col}_garmin"].to_numpy(float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 2:
        return ""
    x, y = 0.5 * (a[ok] + b[ok]), b[ok] - a[ok]
    row = comparison.agreement.set_index("metric").loc[col]
    lines = [row["bias"], row["loa_low"], row["loa_high"]]
    y_lo, y_hi = min(y.min(), *lines), max(y.max(), *lines)
    span_y = (y_hi - y_lo) or 1.0
    span_x = (x.max() - x.min()) or 1.0

    def px(v):
        return PAD + (v - x.min()) / span_x * (W - 2 * PAD)

    def py(v):
        return H - PAD - (v - y_lo) / span_y * (H - 2 * PAD)

    dots = "".join(f'<circle cx="{px(u):.1f}" cy="{py(v):.1f}" r="2.5" fill="#1f77b4"/>' for u, v in zip(x, y))
    rules = "".join(f'<line x1="{PAD}" x2="{W - PAD}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="{c}" '
                    f'stroke-dasharray="{d}"/><text x="{W - PAD + 2}" y="{py(v) + 4:.1f}" font-size="9">'
                    f'{_fmt(v, decimals)}</text>'
                    for v, c, d in zip(lines, ("#d62728", "#888", "#888"), ("", "4 3", "4 3")))
    axes = (f'<text x="{W / 2}" y="{H - 6}" font-size="10" text-anchor="middle">mean of the two ({unit})</text>'
            f'<text x="10" y="{H / 2}" font-size="10" text-anchor="middle" transform="rotate(-90 10 {H / 2})">'
            f'Garmin − formlab</text>')
    return (f'<figure><svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="Bland-Altman plot, {html.escape(label)}">{rules}{dots}{axes}</svg>'
            f'<figcaption>{html.escape(label)} ({unit}): one dot per minute</figcaption></figure>')


def comparison_html(comparison: Comparison, rec_name: str, fit_name: str, notes: list[str]) -> str:
    """The page as a string."""
    al = comparison.alignment
    signal = "cadence" if al.signal == "cadence_spm" else "speed"
    rows = []
    for r in comparison.agreement.itertuples():
        label, unit, d = METRICS[r.metric]
        rows.append(f"<tr><td>{html.escape(label)} ({unit})</td><td>{r.minutes}</td><td>{_fmt(r.formlab_mean, d)}</td>"
                    f"<td>{_fmt(r.garmin_mean, d)}</td><td>{_fmt(r.bias, d)}</td>"
                    f"<td>{_fmt(r.loa_low, d)} to {_fmt(r.loa_high, d)}</td></tr>")
    plots = "".join(_plot(comparison, col) for col in METRICS)
    items = "".join(f"<li>{html.escape(t)}</li>" for t in KNOWN_DIFFERENCES)
    note_items = "".join(f"<li>{html.escape(t)}</li>" for t in [*notes, *comparison.notes])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>formlab vs Garmin: {html.escape(rec_name)}</title>
<style>{_CSS}</style></head><body>
<h1>formlab vs Garmin running dynamics</h1>
<p>formlab: <code>{html.escape(rec_name)}</code> · Garmin: <code>{html.escape(fit_name)}</code></p>
<h2>Clock alignment</h2>
<p>Garmin's clock is {al.shift_s:+d} s from formlab's, found by cross-correlating the two {signal} series
(r = {al.r:.3f} over {al.overlap_s} s of overlap; resolution 1 s).</p>
<h2>Agreement per minute (Bland–Altman)</h2>
<p>Each minute of overlap gives one pair of minute medians; difference = Garmin − formlab; limits of
agreement = bias ± 1.96 SD of the differences.</p>
<table><thead><tr><th>metric</th><th>minutes</th><th>formlab mean</th><th>Garmin mean</th><th>bias</th>
<th>95 % limits of agreement</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<div class="plots">{plots}</div>
<h2>What the two measure differently</h2><ul>{items}</ul>
{f'<h2>Notes</h2><ul>{note_items}</ul>' if note_items else ''}
</body></html>
"""
