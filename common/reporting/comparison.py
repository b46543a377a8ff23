"""Several runs on one page: a row per run with its key scores, and their losses overlaid.

    comparison_section(found)   the table (each run linked to its sections) and the plot

`write_report` puts this above the runs' own sections when a report covers more than one run
(several RUN arguments, or a group folder), so runs of one config, or of several, can be read
side by side.
"""

from __future__ import annotations

import html

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.reporting.charts import epoch_axis, history_frame, png_figure  # noqa: E402
from common.reporting.page import Markup, image, note, section, table  # noqa: E402
from common.reporting.run_folders import Run  # noqa: E402


def comparison_section(found: list[Run]) -> str:
    """One row per run, then every run's validation loss on one plot."""
    rows = [
        [
            Markup(f'<a href="#run-{index}-">{index}. {html.escape(run.path.name)}</a>'),
            run.name,
            run.key_metric,
            run.score("test"),
            run.score("baseline"),
            run.score("reference"),
            (run.metrics or {}).get("epochs"),
            run.status,
        ]
        for index, run in enumerate(found, start=1)
    ]
    header = ["run", "config", "metric", "model", "baseline", "reference", "epochs", "status"]
    body = table(header, rows) + _loss_overlay(found)
    return section("comparison", "Comparison", body, "")


def _loss_overlay(found: list[Run]) -> str:
    figure, axis = plt.subplots(figsize=(10.0, 4.0))
    drawn = 0
    for index, run in enumerate(found, start=1):
        frame = history_frame(run.path / "history.csv")
        if frame is None:
            continue
        column = "val_loss" if frame.get("val_loss") is not None else "loss"
        if frame[column].isna().all():
            column = "loss"
        if column not in frame:
            continue
        suffix = "" if column == "val_loss" else " (training loss)"
        axis.plot(frame["epoch"] + 1, frame[column], label=f"{index}. {run.path.name}{suffix}")
        drawn += 1
    if not drawn:
        plt.close(figure)
        return note("no history.csv to compare")
    epoch_axis(axis)
    axis.set_ylabel("validation loss")
    axis.legend(fontsize=8)
    return image(png_figure(figure), "validation loss of each run")
