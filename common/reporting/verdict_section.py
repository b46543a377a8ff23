"""The report's first section: the run's verdict in words and colour (`common.reporting.verdict`).

Green when the model beats its baseline and its diagnosis is "fine", amber when it beats the
baseline with a diagnosis to act on, red when it did not beat the baseline; then the reason
with its figures, the intervals against the baseline and the reference, and the next steps.
"""

from __future__ import annotations

import html
from typing import Any

from common.reporting.page import section, table
from common.reporting.run_folders import Run
from common.reporting.verdict import headline, interval_text


def colour(verdict: dict[str, Any]) -> str:
    if not verdict.get("beats_baseline"):
        return "bad"
    return "good" if verdict.get("diagnosis") == "fine" else "warn"


def verdict_section(run: Run, prefix: str) -> str:
    """Nothing for a run without a verdict (unfinished, or older than verdicts)."""
    verdict = (run.metrics or {}).get("verdict")
    if not verdict:
        return ""
    rows = []
    for against in ("baseline", "reference"):
        comparison = verdict.get(against)
        if comparison is not None:
            rows.append(
                [
                    against,
                    comparison["score"],
                    interval_text(comparison),
                    comparison["outcome"],
                    comparison["method"],
                ]
            )
    metric = html.escape(str(verdict.get("metric", "")))
    body = (
        f'<div class="verdict-box {colour(verdict)}">'
        f"<p><strong>{html.escape(headline(verdict))}</strong></p>"
        f"<p>{html.escape(verdict.get('reason', ''))}</p></div>"
    )
    if rows:
        body += table(
            ["against", f"its {metric}", "model's advantage [95% interval]", "outcome", "interval"],
            rows,
        )
    steps = verdict.get("next_steps") or []
    if steps:
        items = "".join(f"<li>{html.escape(step)}</li>" for step in steps)
        body += f'<p class="meta">What to try next:</p><ol class="next-steps">{items}</ol>'
    return section("verdict", "Verdict", body, prefix)
