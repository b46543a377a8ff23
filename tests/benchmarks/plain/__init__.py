"""Plain keras.io-style scripts, one per recipe, that `make bench` measures `cookbook train`
against: the same data and model, trained by `model.fit` with no cookbook callbacks, then
`model.evaluate` and `model.save`. Run one with

    python -m tests.benchmarks.plain.binary --epochs 60 --output /tmp/plain

`tests/test_bench.py` fails when a recipe in recipes/ has no script here.
"""
