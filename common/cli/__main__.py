"""`python -m common.cli`: the `cookbook` command, as the launchers start their workers."""

from common.cli import run

run()
