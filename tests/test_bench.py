"""`make bench`'s recipes table without training anything: every recipe has a plain script to
be measured against, throughput is computed from epoch ends as documented, and the table
replaces only its own block of BENCHMARKS.md."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from common.config import recipe_names
from tests.benchmarks import against_plain
from tests.benchmarks.against_plain import MARKERS, Result, Run


def test_every_recipe_has_a_plain_script():
    """A recipe added without tests/benchmarks/plain/<recipe>.py would be missing from the
    table; write the plain keras.io-style script beside the others."""
    missing = sorted(set(recipe_names()) - against_plain.plain_scripts())
    assert not missing, f"no plain script in tests/benchmarks/plain/ for: {', '.join(missing)}"


def test_every_capped_recipe_exists():
    assert set(against_plain.CAPPED_EPOCHS) <= set(recipe_names())


def test_throughput_skips_each_fits_first_epoch():
    # Two fits (a fold and a final model): 100 examples, epochs ending at 10, 12, 14; then
    # 200 examples, epochs ending at 20, 24. Steady: 100*2 + 200*1 examples in 4 + 4 seconds.
    fits = [[10.0, 12.0, 14.0], [20.0, 24.0]]
    assert against_plain.steady_samples_per_second(fits, [100, 200]) == pytest.approx(50.0)
    assert against_plain.steady_samples_per_second([[5.0]], [100]) is None
    with pytest.raises(RuntimeError, match="2 fits timed"):
        against_plain.steady_samples_per_second(fits, [100])


def _result() -> Result:
    return Result(
        "binary",
        60,
        plain=[
            Run(10.0, 700.0, 1000.0, 18.0, 0.02),
            Run(12.0, 710.0, 900.0, 20.0, 0.10),
            Run(11.0, 690.0, 1100.0, 22.0, 0.04),
        ],
        cookbook=[
            Run(13.0, 760.0, 800.0, 25.0, 0.30),
            Run(12.0, 750.0, None, 24.0, 0.00),
            Run(14.0, 770.0, 900.0, 26.0, 0.12),
        ],
    )


def test_row_holds_medians_and_cookbook_over_plain_ratios():
    cells = [cell.strip() for cell in against_plain.table_row(_result()).strip("|").split("|")]
    assert len(cells) == len(against_plain.COLUMNS)
    assert cells == [
        "binary",
        "60",
        "11.0",
        "13.0",
        "1.18×",
        "1,000",
        "850",  # the median of the runs that timed two epochs or more
        "0.85×",
        "700",
        "760",
        "1.09×",
        "1.25×",  # CPU seconds: 25 / 20
        "4 / 12",  # the median stolen shares, in percent
    ]


def test_stolen_share_is_steal_over_all_cpu_time():
    # /proc/stat's totals, in ticks: 1,000 more, 50 of them stolen.
    assert against_plain.stolen_share((10_000, 200), (11_000, 250)) == pytest.approx(0.05)
    assert against_plain.stolen_share(None, (11_000, 250)) is None
    assert against_plain.stolen_share((10_000, 200), (10_000, 200)) is None
    ticks = against_plain.cpu_ticks()
    if Path("/proc/stat").is_file():
        assert ticks is not None and 0 <= ticks[1] <= ticks[0]


def test_kfold_epochs_name_the_fits():
    result = _result()
    result.fits = 5
    assert against_plain.table_row(result).startswith("| binary | 60 × 5 fits | 11.0 |")


def test_failed_recipe_keeps_its_row():
    result = Result("gan", 5, error="exited with 1")
    row = against_plain.table_row(result)
    assert row.startswith("| gan | 5 | failed: exited with 1 |")
    assert row.count("|") == len(against_plain.COLUMNS) + 1


def test_block_carries_command_machine_and_table():
    block = against_plain.format_block([_result()], "python -m x", "Machine: test", 3)
    assert block.startswith(MARKERS[0]) and block.endswith(MARKERS[1])
    assert "Command: `python -m x`" in block
    assert "Machine: test" in block
    assert "| " + " | ".join(against_plain.COLUMNS) + " |" in block


TEXT = (
    "# Benchmarks\n\nthe top table\n\n## Memory\n\n<!-- memory:start -->\nm\n<!-- memory:end -->\n"
)


def test_block_goes_before_the_first_section_when_absent():
    block = f"{MARKERS[0]}\nnew\n{MARKERS[1]}"
    text = against_plain.replace_block(TEXT, block)
    assert text.index("the top table") < text.index(block) < text.index("## Memory")
    assert text.replace(block, "").count("<!-- memory:start -->\nm\n<!-- memory:end -->") == 1
    assert against_plain.SECTION in text


def test_block_is_replaced_and_nothing_else():
    first = against_plain.replace_block(TEXT, f"{MARKERS[0]}\nold\n{MARKERS[1]}")
    second = against_plain.replace_block(first, f"{MARKERS[0]}\nnew\n{MARKERS[1]}")
    assert second == first.replace("\nold\n", "\nnew\n")
    assert against_plain.replace_block("", "b").startswith("# Benchmarks")


def _event_file(folder: Path, stamps: dict[int, list[float]]) -> None:
    """A TFRecord file of events as Keras' TensorBoard callback writes them at epoch ends."""
    from tensorboard.compat.proto import event_pb2

    records = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")]
    for step, times in stamps.items():
        for tag, wall_time in zip(("epoch_loss", "epoch_accuracy"), times, strict=False):
            event = event_pb2.Event(wall_time=wall_time, step=step)
            event.summary.value.add(tag=tag)
            records.append(event)
    folder.mkdir(parents=True)
    with (folder / "events.out.tfevents.1.host").open("wb") as file:
        for record in records:
            data = record.SerializeToString()
            file.write(struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4)


def test_cookbook_epoch_ends_come_from_tensorboard_events(tmp_path: Path):
    # A K-fold run: folds, then the final model, found in the order they trained.
    _event_file(tmp_path / "logs" / "final" / "train", {0: [30.0], 1: [31.0]})
    _event_file(tmp_path / "logs" / "fold-1" / "train", {0: [10.0, 10.5], 1: [12.0, 11.5]})
    _event_file(tmp_path / "logs" / "fold-1" / "validation", {0: [9.0]})
    assert against_plain.cookbook_fits(tmp_path) == [[10.0, 11.5], [30.0, 31.0]]


CHILD_CHECK = """
import sys
from pathlib import Path
from tests.benchmarks import against_plain
hold = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); sum(range(10**7))"
run = against_plain.run_child([sys.executable, "-c", hold], Path(sys.argv[1]))
print(run.wall, run.peak_mib, run.cpu, run.stolen, "tensorflow" in sys.modules)
try:
    against_plain.run_child([sys.executable, "-c", "exit(3)"], Path(sys.argv[1]))
except RuntimeError as error:
    print(str(error).splitlines()[0])
"""


def test_child_peak_memory_is_measured_from_a_small_parent(tmp_path: Path):
    """ru_maxrss is a high-water mark a child inherits from its parent at fork, so the bench
    must measure from a parent without TensorFlow (this test process has it: the check runs
    in a fresh one). A child holding 64 MiB then reads as about that, not as the parent, and
    its CPU seconds hold its counting loop (about 0.2 s)."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD_CHECK, str(tmp_path / "log.txt")],
        cwd=against_plain.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured, failure = result.stdout.splitlines()
    wall, peak, cpu, stolen, parent_has_tensorflow = measured.split()
    assert float(wall) > 0
    assert 64 <= float(peak) < 200
    assert 0.05 < float(cpu) <= float(wall) * (os.cpu_count() or 1)
    assert stolen == "None" or 0.0 <= float(stolen) <= 1.0
    assert parent_has_tensorflow == "False"
    assert failure.startswith("exited with 3, log ")
