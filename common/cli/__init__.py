"""`cookbook`: the command line. Answers --help, list, show and config errors instantly;
TensorFlow is imported only by the commands that build models.

    cookbook list
    cookbook show binary trainer.epochs=3
    cookbook check binary
    cookbook train binary trainer.epochs=3 model.units=[64,64]
    cookbook train configs/binary-imdb.yaml
    cookbook train --resume runs/binary/latest
    cookbook tune binary tune.max_trials=5          (KerasTuner sweep over the config's tune.space)
    cookbook tune --resume runs/binary/latest-tune
    cookbook tune binary --workers 2                (a chief and two workers on 127.0.0.1)
    cookbook sample runs/gan-conditional/latest --n 64 --label 3
    cookbook gradcam runs/convnet/latest photo.png   (where the classifier looked)
    cookbook report runs/binary/latest              (one HTML page: curves, scores, pictures)
    cookbook runs binary                            (finished runs and their test scores)
    cookbook export runs/multiclass/latest --format tflite --quantize int8
    cookbook train binary --seeds 0,1,2             (one run per seed, then mean ± std)

The package: `parser` (the arguments), one module per command group (`browse`: list, show,
runs; `train`: check, train; `tune`; `serve`: evaluate, predict, export; `reports`: report,
gradcam, sample), `exits` (what each failure prints, and the exit code) and `startup`
(TensorFlow started without its start-up noise).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys

from common.cli import exits
from common.cli.parser import build_parser
from common.cli.startup import DEBUG, VERBOSE


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: the process's), run the command, and return its exit code."""
    command_line = build_parser()
    argv = list(argv if argv is not None else sys.argv[1:])
    if "--verbose" in argv:
        os.environ[VERBOSE] = "1"  # before any TensorFlow import; inherited by workers
    if "--debug" in argv:
        os.environ[DEBUG] = "1"  # tracebacks for every error
    argv = [a for a in argv if a not in ("--verbose", "--debug")]
    # Overrides may follow options too (`train binary --workers 2 trainer.epochs=3`).
    args, extra = command_line.parse_known_args(argv)
    stray = [token for token in extra if token.startswith("-") or "=" not in token]
    if stray:
        command_line.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*getattr(args, "overrides", []), *extra]
    signal.signal(signal.SIGTERM, exits.terminate)
    return exits.run_command(args)


def run() -> None:
    """The `cookbook` command: `main`, then the exit. Once TensorFlow is loaded, a normal exit
    spends 1.5-2 s tearing it down (freeing its graphs and modules, C++ destructors) after the
    command has finished; every file is written and closed by then, so the process flushes its
    output and leaves without the teardown (as mypy does). A bug's traceback exits normally."""
    code = main()
    if "tensorflow" not in sys.modules:
        sys.exit(code)
    logging.shutdown()
    with contextlib.suppress(OSError):  # a reader that went away (`| head`) loses nothing
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
