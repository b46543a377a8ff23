"""The report's HTML: its stylesheet, the markup every section is made of, and the page.

    section("metrics", "Test metrics", table(["metric", "model"], rows), prefix)
    image(png_file(path), "test split")              # a PNG, inline
    page("Runs compared", body)                      # the whole self-contained document

The report is one self-contained file (inline CSS, images as base64 PNG data URIs, no
scripts), so it can be mailed, attached to a ticket or opened offline. Every section builds
on the helpers here, so cells, numbers and headings look the same across the page. Nothing
here draws (`common.reporting.charts` does), so `cookbook runs`, which formats its numbers
with `fmt`, imports no plotting library.
"""

from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path
from typing import Any

# Marks the pages `cookbook report` writes: it replaces those, and no other file.
GENERATOR = '<meta name="generator" content="cookbook report">'
NUMBER = re.compile(r"^[-+]?[\d,.]+( ± [-+]?[\d,.]+)?( KiB)?$")
CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       background: #fff; margin: 0 auto; max-width: 1080px; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 40px 0 8px;
  border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 24px 0 6px; color: #353c44; }
.meta { color: #59636e; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
th { background: #f0f3f6; } td.n { text-align: right; }
.pair { display: flex; flex-wrap: wrap; gap: 0 32px; align-items: flex-start; }
tr:nth-child(even) td { background: #f8f9fb; }
img { max-width: 100%; height: auto; display: block; margin: 6px 0 2px;
      border: 1px solid #eaeef2; }
figure { margin: 12px 0 20px; } figcaption { color: #59636e; font-size: 13px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 10px 14px; overflow-x: auto;
      font-size: 13px; line-height: 1.4; }
.status { display: inline-block; padding: 1px 10px; border-radius: 10px; font-size: 13px;
          font-weight: 600; color: #fff; vertical-align: middle; }
.finished { background: #1a7f37; } .failed { background: #cf222e; }
.unfinished { background: #9a6700; }
.note { color: #59636e; font-style: italic; }
.run { margin-top: 48px; }
.gallery { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
a { color: #0969da; }
.verdict-box { border-left: 6px solid; padding: 6px 14px; margin: 8px 0 12px;
               border-radius: 4px; }
.verdict-box p { margin: 4px 0; }
.verdict-box.good { border-color: #1a7f37; background: #dafbe1; }
.verdict-box.warn { border-color: #9a6700; background: #fff8c5; }
.verdict-box.bad { border-color: #cf222e; background: #ffebe9; }
"""


def fmt(value: Any) -> str:
    """Numbers to 4 decimals (thousands grouped), anything else as text; None is '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4f}"
    return str(value)


class Markup(str):
    """A table cell that is HTML already (a link), not text to escape."""


def table(header: list[str], rows: list[list[Any]]) -> str:
    """An HTML table; each row's first cell is its label."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(_cell(c, i == 0) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any, label: bool = False) -> str:
    """Numbers (and "mean ± std", sizes) right-aligned so their digits line up; a row's
    label (its first cell) stays left-aligned even when it is a class number."""
    if isinstance(value, Markup):
        return f"<td>{value}</td>"
    text = fmt(value)
    numeric = not label and (isinstance(value, (int, float)) or NUMBER.match(text))
    return f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"


def section(kind: str, title: str, body: str, prefix: str) -> str:
    """A section whose class names its kind (tests and readers find `section.roc`); a run's
    sections sit one heading level lower when several runs share the page (`prefix`)."""
    level = 3 if prefix else 2
    return (
        f'<section class="{kind}" id="{prefix}{kind}"><h{level}>{html.escape(title)}</h{level}>'
        f"{body}</section>"
    )


def note(text: str) -> str:
    """A remark in place of what is missing ("no history.csv")."""
    return f'<p class="note">{html.escape(text)}</p>'


def image(data_uri: str, caption: str) -> str:
    """A picture with its caption (also its alt text)."""
    alt = html.escape(caption, quote=True)
    return (
        f'<figure><img src="{data_uri}" alt="{alt}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def png_file(path: Path) -> str:
    """A PNG file as a data URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def page(title: str, body: str) -> str:
    """The whole document: `body` under `title`, with the stylesheet inline."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{GENERATOR}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
