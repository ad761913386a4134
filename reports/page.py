"""The HTML page: one file that works offline.

plotly.js is embedded once in the page; each figure is a JSON spec drawn by one small
script. Nothing is loaded from the network at view time. Text is escaped with
:func:`reports.formatting.escape`, and JSON inside ``<script>`` has its ``<``, ``>`` and
``&`` written as unicode escapes, so no name can close the script or open a tag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import plotly.io as pio

from reports.blocks import Block, Cards, Code, Figure, Section, Table, Text
from reports.formatting import escape

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#f6f7f9;line-height:1.45}
header{background:#1f3b57;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.85}
nav{background:#fff;border-bottom:1px solid #ddd;padding:8px 32px;position:sticky;top:0;
z-index:5}nav a{margin-right:14px;color:#1f5f8b;text-decoration:none;font-size:14px}
main{max-width:1200px;margin:0 auto;padding:16px 32px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;margin:18px 0;
padding:8px 24px 20px}h2{border-bottom:2px solid #1f5f8b;padding-bottom:4px}
.figure{width:100%;min-height:300px;margin:12px 0}
table{border-collapse:collapse;margin:12px 0;font-size:13px}
th,td{border:1px solid #dde;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6}td{font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d5dce4;border-radius:6px;padding:8px 12px;min-width:150px;
background:#fafbfc}.card .label{font-size:12px;color:#555}
.card .value{font-size:20px;font-weight:600}.card .detail{font-size:11px;color:#666}
.note{color:#555;font-size:13px}.verdict{font-weight:600}
pre{background:#f3f4f6;padding:10px;overflow:auto;font-size:12px;border-radius:4px}
.figure-error{color:#a00;font-weight:600}
"""

# Draws every figure; a figure that fails shows a message in its box and logs the error.
DRAW = """
(function(){
  var specs = JSON.parse(document.getElementById('figure-data').textContent);
  var config = {displaylogo:false, responsive:true};
  var drawn = 0;
  specs.forEach(function(spec){
    var box = document.getElementById(spec.id);
    try { Plotly.newPlot(box, spec.data, spec.layout, config); drawn += 1; }
    catch (error) {
      box.textContent = 'This figure could not be drawn.';
      box.className += ' figure-error';
      console.error('figure ' + spec.id + ': ' + error);
    }
  });
  document.body.setAttribute('data-figures-drawn', String(drawn));
})();
"""


def render(title: str, subtitle: str, sections: Sequence[Section], plotly_js: str) -> str:
    """The whole page. ``plotly_js`` is the library's source, embedded once."""
    figures: list[dict[str, Any]] = []
    body = [_section(section, figures) for section in sections]
    nav = "".join(f'<a href="#{escape(s.key)}">{s.number}. {escape(s.title)}</a>'
                  for s in sections)
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n",
        f"<body data-figures=\"{len(figures)}\">\n<header><h1>{escape(title)}</h1>",
        f"<p>{escape(subtitle)}</p></header>\n<nav>{nav}</nav>\n<main>\n",
        "\n".join(body), "\n</main>\n",
        f"<script>{_script_safe(plotly_js)}</script>\n",
        "<script type=\"application/json\" id=\"figure-data\">",
        script_json(figures), "</script>\n",
        f"<script>{DRAW}</script>\n</body>\n</html>\n",
    ])


def _section(section: Section, figures: list[dict[str, Any]]) -> str:
    parts = [f'<section id="{escape(section.key)}">',
             f"<h2>{section.number}. {escape(section.title)}</h2>"]
    parts += [_block(block, figures) for block in section.blocks]
    parts.append("</section>")
    return "\n".join(parts)


def _block(block: Block, figures: list[dict[str, Any]]) -> str:
    if isinstance(block, Text):
        if block.tone == "code":
            return f"<pre>{escape(block.text)}</pre>"
        tone = f' class="{escape(block.tone)}"' if block.tone else ""
        return f"<p{tone}>{escape(block.text)}</p>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Code):
        return (f"<details><summary>{escape(block.title)}</summary>"
                f"<pre>{escape(block.text)}</pre></details>")
    if isinstance(block, Cards):
        return '<div class="cards">' + "".join(
            f'<div class="card"><div class="label">{escape(card.label)}</div>'
            f'<div class="value">{escape(card.value)}</div>'
            f'<div class="detail">{escape(card.detail)}</div></div>'
            for card in block.cards) + "</div>"
    return _figure(block, figures)


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in table.cells)
    html = (f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")
    if table.collapsed:
        return f"<details><summary>{escape(table.title)}</summary>{html}</details>"
    return html


def _figure(block: Figure, figures: list[dict[str, Any]]) -> str:
    identifier = f"figure-{len(figures) + 1}"
    spec = json.loads(pio.to_json(block.figure, validate=False, remove_uids=True))
    figures.append({"id": identifier, "data": spec.get("data", []),
                    "layout": spec.get("layout", {})})
    return f'<div class="figure" id="{identifier}" data-slug="{escape(block.slug)}"></div>'


def script_json(value: Any) -> str:
    """JSON that is safe inside a script element: no '<', '>' or '&' characters."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _script_safe(source: str) -> str:
    """Library source inside a script element must not contain a closing script tag."""
    return source.replace("</script", "<\\/script")
