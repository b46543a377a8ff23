"""Fuzzing finished runs (issue 29): any input file, of any kind, to a table, text, image
and series run predicts or is named in one line and writes nothing but `--output`; and
(slow: a process and TensorFlow per example) a table with any header trains with `cookbook
train`, then `predict`, `export`, `report` or `gradcam` use the run, each exiting 0 or 2
without a traceback, writing only into the run folder or its `--output`. The loaders'
properties are in tests/test_fuzz.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import odd_files, user_files
from tests.conftest import COOKBOOK, PROJECT_ROOT, answers_cleanly, tiny
from tests.test_fuzz import FEW, files_under, header_names, write_image, written

# --------------------------------------------------------------------------------------------
# Prediction inputs: any file, of any kind, to runs of every kind
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs_of_every_kind(tmp_path_factory):
    """A table, a text, an image and a series run, one epoch each on tiny data."""
    from common.training.driver import train

    folder = tmp_path_factory.mktemp("kinds")
    table = odd_files.odd_names_table(folder / "table.csv", rows=30)
    corpus = user_files.reviews_folder(folder / "reviews", per_class=12)
    photos = odd_files.image_folder(folder / "photos", per_class=6)
    series = odd_files.series_csv(folder / "series.csv", np.sin(np.arange(60) / 4) + 2)
    quiet = ["trainer.epochs=1", "trainer.reference=false"]
    configs = [
        ("binary", ["data.dataset=csv", f"data.path={table}", "data.target=y"]),
        ("binary", ["data.dataset=text_folder", f"data.path={corpus}"]),
        ("convnet", ["data.dataset=image_folder", f"data.path={photos}"]),
        (
            "rnn",
            [
                "data.dataset=timeseries_csv",
                f"data.path={series}",
                "data.target=value",
                "data.sequence_length=5",
            ],
        ),
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        return [train(tiny(r, folder / "runs", *o, *quiet))[0] for r, o in configs]


def _input(root: Path, kind: str, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    if kind == "folder":
        (root / "folder").mkdir(exist_ok=True)
        write_image(root / "folder" / "a.png", "png", (9, 9), seed)
        (root / "folder" / "b.txt").write_text("a few words")
        return root / "folder"
    if kind == "empty-folder":
        (root / "nothing").mkdir(exist_ok=True)
        return root / "nothing"
    suffix, body = {
        "csv": (".csv", "a/b,col with space,température °C,a b,a_b\n1,x,20,0,0\n"),
        "csv-odd": (".csv", '"x",y,"a/b"\n1,2,3\n'),
        "series": (
            ".csv",
            "date,value,other\n" + "".join(f"2021-01-{d:02d},{d},{d % 7}\n" for d in range(1, 12)),
        ),
        "text": (".txt", "great film\nawful plot\n"),
        "latin1": (".txt", None),
        "npz": (".npz", None),
        "junk": (".bin", None),
        "empty": (".csv", ""),
    }.get(kind, (".png", None))
    path = root / f"input-{kind}{suffix}"
    if body is not None:
        path.write_text(body, encoding="utf-8")
    elif kind == "latin1":
        path.write_bytes("très bien\n".encode("latin-1"))
    elif kind == "npz":
        np.savez(path, x=rng.normal(size=(2, 3)))
    elif kind == "junk":
        path.write_bytes(rng.integers(0, 256, 50, dtype=np.uint8).tobytes())
    else:
        write_image(path, kind, (int(rng.integers(1, 20)), int(rng.integers(1, 20))), seed)
    return path


INPUT_KINDS = [
    "folder",
    "empty-folder",
    "csv",
    "csv-odd",
    "series",
    "text",
    "latin1",
    "npz",
    "junk",
    "empty",
    "png",
    "png-l",
    "jpg",
    "corrupt",
    "cut",
    "gif",
]


@FEW
@given(
    run=st.integers(0, 3),
    kinds=st.lists(st.sampled_from(INPUT_KINDS), min_size=1, max_size=3),
    to_file=st.booleans(),
)
def test_any_input_to_any_run_predicts_or_is_named_and_writes_only_output(
    runs_of_every_kind, run, kinds, to_file
):
    from common.serving.predict import predict

    run_dir = runs_of_every_kind[run]
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        paths = [str(_input(root, kind, seed)) for seed, kind in enumerate(kinds)]
        output = root / "out" / "predictions.csv" if to_file else None
        before, top = files_under(root, run_dir.parent.parent), set(os.listdir(PROJECT_ROOT))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            answers_cleanly(lambda: predict(str(run_dir), paths, str(output) if output else None))
        changed = written(before, files_under(root, run_dir.parent.parent))
        allowed = {str(output)} if output else set()
        assert {p for p in changed if not p.startswith(str(run_dir))} <= allowed, changed
        assert set(os.listdir(PROJECT_ROOT)) == top


@pytest.mark.slow
@settings(FEW, max_examples=8)
@given(
    names=st.lists(header_names, min_size=2, max_size=4, unique=True),
    command=st.sampled_from(["predict", "export-tflite", "export-int8", "report", "gradcam"]),
)
def test_cli_trains_and_uses_any_header_with_exit_0_or_2_and_no_traceback(names, command):
    import csv
    import subprocess

    names = [f"{n.strip()} {i}" for i, n in enumerate(names)]
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        table = root / "table.csv"
        rng = np.random.default_rng(0)
        with open(table, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(
                [
                    [*names, "y"],
                    *[
                        [f"{v:.2f}" for v in rng.normal(size=len(names))] + [i % 2]
                        for i in range(30)
                    ],
                ]
            )

        def run(*args: str) -> subprocess.CompletedProcess:
            result = subprocess.run(
                [*COOKBOOK, *args],
                capture_output=True,
                text=True,
                cwd=root,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            )
            assert result.returncode in (0, 2) and "Traceback" not in result.stderr, result.stderr
            return result

        trained = run(
            "train",
            "binary",
            "data.dataset=csv",
            f"data.path={table}",
            "data.target=y",
            "trainer.epochs=1",
            "trainer.reference=false",
            f"output.dir={root / 'runs'}",
            "trainer.verbose=0",
        )
        assert trained.returncode == 0, trained.stderr
        run_dir = root / "runs" / "binary" / "latest"
        before = files_under(root)
        args = {
            "predict": ["predict", str(run_dir), str(table), "--output", str(root / "p.csv")],
            "export-tflite": ["export", str(run_dir), "--format", "tflite"],
            "export-int8": ["export", str(run_dir), "--format", "tflite", "--quantize", "int8"],
            "report": ["report", str(run_dir)],
            "gradcam": ["gradcam", str(run_dir), str(table)],
        }[command]
        result = run(*args)
        changed = written(before, files_under(root))
        assert all(
            p.startswith(str((root / "runs").resolve()))
            or p.startswith(str(root / "runs"))
            or p == str(root / "p.csv")
            for p in changed
        ), changed
        if command != "gradcam":
            assert result.returncode == 0, result.stderr
        else:
            assert "Grad-CAM" in result.stderr
        if command == "predict":
            assert "UserWarning" not in result.stderr
