"""`make zoo`: every recipe's DEFAULT config on real datasets it has never been tuned on.

Each dataset comes from an installed wheel (vega_datasets, statsmodels, sktime, scikit-image,
scikit-learn; no network) and is written as the files a user would bring: a CSV table with a
header, a series CSV with its time column first, or a folder of class sub-folders of PNGs
(`datasets.py`). Each is trained with `cookbook train <recipe>` and only the overrides that
describe the data (data.dataset, data.path, data.target); `run.py` reads each run's
metrics.json and writes ZOO.md and runs/zoo/results.json.

    python -m tests.zoo                              every entry, default epochs -> ZOO.md
    python -m tests.zoo --only airline,textures      some entries (-> runs/zoo/ZOO.md)
    python -m tests.zoo --epochs 2                   a smoke run of the runner (-> runs/zoo/ZOO.md)
"""
