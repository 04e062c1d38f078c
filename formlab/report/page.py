"""The HTML page: a fixed template filled with escaped text and the figures' own HTML.

Every piece of text that comes from a recording or the analysis passes through ``esc`` (the
standard library's ``html.escape``); the only unescaped inserts are the figure snippets written
by plotly, whose JSON escapes ``<`` and ``>``.
"""

from __future__ import annotations

from html import escape

from formlab.rules.catalogue import SEVERITIES

STYLE = """
:root { --ink:#1d2733; --muted:#5d6b7a; --line:#dde3ea; --bg:#f5f7fa; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--ink); background:var(--bg); }
header.top { background:#1d2733; color:#fff; padding:22px 32px 16px; }
header.top h1 { margin:0 0 4px; font-size:24px; }
header.top .sub { color:#c7d0da; }
nav { position:sticky; top:0; z-index:10; background:#fff; border-bottom:1px solid var(--line);
      padding:8px 32px; display:flex; gap:18px; flex-wrap:wrap; font-size:14px; }
nav a { color:#2c5d8f; text-decoration:none; }
main { max-width:1180px; margin:0 auto; padding:8px 24px 40px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px;
          padding:18px 22px; margin:18px 0; }
section h2 { margin:0 0 10px; font-size:19px; }
section h3 { margin:16px 0 6px; font-size:16px; }
.session-title { margin:28px 0 0; font-size:21px; }
.lead { color:var(--muted); margin:0 0 12px; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(205px,1fr)); gap:12px; }
.tile { border:1px solid var(--line); border-radius:8px; padding:10px 12px 10px 14px;
        border-left:6px solid #c5ced8; }
.tile .name { font-size:13px; color:var(--muted); }
.tile .value { font-size:24px; font-weight:600; margin:2px 0; }
.tile .value.long { font-size:20px; }
.tile .unit { font-size:14px; font-weight:400; color:var(--muted); margin-left:3px; }
.tile .detail { font-size:13px; }
.tile .band { font-size:12px; margin-top:4px; }
.tile.na .value { font-size:14px; font-weight:400; color:var(--muted); }
.tile.marked { box-shadow:0 0 0 1px #c9ced6; }
.tile-sev { display:inline-block; font-size:11px; font-weight:700; text-transform:uppercase; color:#fff;
            border-radius:8px; padding:0 6px; margin-right:6px; }
.gauge { position:relative; display:flex; height:6px; margin:6px 0 2px; }
.gauge span { display:block; height:100%; opacity:.75; }
.gauge i { position:absolute; top:-2px; width:2px; height:10px; background:#1d2733; }
.diff-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(min(300px, 100%), 1fr)); gap:8px 18px; }
.diff-col h3 { margin:4px 0; }
.sev-word { font-weight:700; text-transform:uppercase; font-size:12px; }
.verdict { font-weight:600; }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:5px; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.facts th { width:170px; }
.na-panel { border:1px dashed #b8c2cc; border-radius:8px; padding:14px 16px; color:var(--muted);
            background:#fafbfc; margin:8px 0; }
.finding { border:1px solid var(--line); border-left:6px solid #95a5a6; border-radius:8px;
           padding:10px 14px; margin:10px 0; }
.finding .sev { display:inline-block; font-size:12px; font-weight:700; text-transform:uppercase;
                letter-spacing:.04em; padding:1px 8px; border-radius:10px; color:#fff;
                background:#95a5a6; margin-right:8px; }
.finding .msg { font-weight:600; }
.finding .try { margin:6px 0 2px; }
.finding details { font-size:14px; margin:2px 0 4px; }
details.more-findings > summary { cursor:pointer; color:#2c5d8f; margin:8px 0; }
.finding p { margin:6px 0 2px; }
.finding .measured { color:var(--muted); font-size:14px; margin:4px 0; }
.finding ul { margin:6px 0 6px 18px; padding:0; }
.sources { font-size:13px; color:var(--muted); }
ul.cites { margin:2px 0 0 18px; padding:0; }
.note p { margin:0 0 6px; }
.note { background:#fff8e6; border:1px solid #f0dca8; border-radius:8px; padding:10px 14px;
        font-size:14px; margin-top:12px; }
.warn { color:#8a5300; }
ul.plain { margin:4px 0 4px 18px; padding:0; }
.fig { width:100%; margin:0; min-width:0; }
.fig figcaption { font-size:13px; font-weight:600; margin:6px 0 0 4px; }
.fig-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(min(440px, 100%), 1fr));
            gap:6px 18px; }
p.legend { font-size:13px; color:var(--muted); margin:0 0 4px; }
.key { margin:0 4px 0 12px; font-size:15px; }
.key.left { color:#1f3b73; margin-left:0; } .key.right { color:#9c3d00; } .key.unknown { color:#666; }
.muted { color:var(--muted); font-size:13px; }
td, th { overflow-wrap:anywhere; }
td.num, th.num { overflow-wrap:normal; }
@media (max-width: 600px) {
  header.top { padding:12px 14px 10px; } header.top h1 { font-size:19px; }
  nav { padding:6px 14px; gap:10px; font-size:13px; }
  main { padding:2px 8px 24px; }
  section { padding:12px; margin:10px 0; }
  .grid { grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:8px; }
  .tile .value { font-size:20px; }
  th, td { padding:4px 5px; font-size:13px; }
  .facts th { width:auto; }
}
@page { margin:12mm; }
@media print {
  nav { display:none; }
  body { background:#fff; font-size:12px; }
  header.top { background:#fff; color:#000; padding:0 0 6px; border-bottom:2px solid #1d2733; }
  header.top .sub { color:#333; }
  main { max-width:none; padding:0; }
  section { border:none; padding:4px 0; margin:6px 0; }
  h2, h3, figcaption { break-after:avoid; }
  .fig, .finding, .tile, tr, .na-panel, .note { break-inside:avoid; }
  .fig-grid { grid-template-columns:1fr 1fr 1fr; gap:2px 10px; }
  .grid { grid-template-columns:repeat(4, 1fr); gap:6px; }
  .tile { padding:6px 8px; } .tile .value { font-size:18px; }
  .finding { padding:6px 10px; margin:6px 0; }
  .fig > div, .fig .plotly-graph-div, .fig .plot-container, .fig .svg-container { width:100% !important; height:auto !important; }
  .fig .svg-container > svg.main-svg { width:100% !important; height:auto !important; }
  .fig .svg-container > svg.main-svg:first-child { position:relative !important; display:block; }
  .finding .sev, .tile-sev, .gauge { print-color-adjust:exact; -webkit-print-color-adjust:exact; }
}
"""

SEVERITY_COLOURS = {"flag": "#a50026", "watch": "#b35c00", "info": "#7a8c9e"}
SEVERITY_ICONS = {"flag": "▲▲", "watch": "▲", "info": "●"}


def severity_rank(severity) -> int:
    """0 for the most severe (the catalogue's last severity), larger for milder, unknown last."""
    sev = str(severity or "").lower()
    return len(SEVERITIES) - 1 - SEVERITIES.index(sev) if sev in SEVERITIES else len(SEVERITIES)
"""flag > watch > info: dark red, dark amber, slate. Apart for colour-blind readers and in grey
(luminance about 54, 108 and 137 of 255), and every badge also carries the word."""


RESIZE_FOR_PRINT_JS = (
    "(function(){function svgs(){return document.querySelectorAll('.fig svg.main-svg');}"
    "window.addEventListener('beforeprint',function(){svgs().forEach(function(s){"
    "s.setAttribute('viewBox','0 0 '+s.getAttribute('width')+' '+s.getAttribute('height'));});});"
    "window.addEventListener('afterprint',function(){svgs().forEach(function(s){"
    "s.removeAttribute('viewBox');});});})();")
"""Charts are drawn at the screen's width. Before printing, each chart's drawing gets a viewBox,
so the print style can scale it to its column on paper without a redraw (a print dialog does not
wait for one); after printing the viewBox goes again."""


def esc(text) -> str:
    """Escape any value for HTML text or attribute context."""
    return escape(str(text), quote=True)


def page(title: str, subtitle: str, nav: list[tuple[str, str]], body: str,
         plotly_js: str) -> str:
    """The whole document. ``plotly_js`` is the library source, inlined once in the head."""
    links = "".join(f'<a href="#{esc(anchor)}">{esc(label)}</a>' for anchor, label in nav)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n"
        f"<script type=\"text/javascript\">{plotly_js}</script>\n</head>\n<body>\n"
        f"<header class=\"top\"><h1>{esc(title)}</h1><div class=\"sub\">{esc(subtitle)}</div>"
        f"</header>\n<nav>{links}</nav>\n<main>\n{body}\n</main>\n<script>{RESIZE_FOR_PRINT_JS}</script>\n"
        "</body>\n</html>\n"
    )


def section(anchor: str, heading: str, content: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    return (f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>{lead_html}{content}'
            "</section>")


def not_measurable(what: str, why: str) -> str:
    """The placeholder that replaces a panel the recording cannot support."""
    return (f'<div class="na-panel"><strong>{esc(what)}: not measurable from this recording.'
            f"</strong> {esc(why)}</div>")


def table(header: list[str], rows: list[list[str]], numeric_from: int = 1,
          css_class: str = "") -> str:
    """A table of already-escaped cell strings; columns from ``numeric_from`` align right."""
    def cells(tag, values):
        return "".join(
            f'<{tag}{" class=num" if i >= numeric_from else ""}>{v}</{tag}>'
            for i, v in enumerate(values))
    head = f"<tr>{cells('th', header)}</tr>"
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<table{cls}><thead>{head}</thead><tbody>{body}</tbody></table>"
