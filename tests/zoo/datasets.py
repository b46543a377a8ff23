"""The zoo's datasets, written as the files a user would bring into a scratch folder.

Each writer takes a folder, writes its files there and returns an `Entry`: what to train
(`recipe`, and the overrides that describe the data and nothing else), how many rows or images
it wrote and which test metric the zoo reports. Everything comes from installed wheels, so the
zoo runs offline:

    tables   CSV with a header, the columns as the source has them (gaps as empty cells)
    series   CSV with the time column first (ISO dates), then the value column
    images   one sub-folder of grayscale PNGs per class

Writers never clean the data for the cookbook: a table with gaps in its target is written
with those gaps. What a loader refuses is a finding of the zoo, not something to hide here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 0  # texture patch positions and digit subsets
PATCH = 32  # texture patches and upscaled digits: 32 x 32 pixels
PATCHES_PER_TEXTURE = 100
TEXTURES = ("brick", "grass", "gravel")  # scikit-image's 512 x 512 grayscale samples
DIGIT_SIZES = (100, 200, 500)
STOCK = "AAPL"


@dataclass(frozen=True)
class Entry:
    """One dataset of the zoo, written and ready to train."""

    name: str
    recipe: str
    overrides: tuple[str, ...]  # only what describes the data: data.dataset, path, target
    rows: int  # table rows, series rows or images written
    metric: str  # the test metric reported: accuracy (classifiers) or mae
    kind: str  # table | series | images
    source: str  # where the data came from, in words
    files: tuple[str, ...] = field(default=())  # what was written, relative to the folder

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _table(folder: Path, filename: str, frame) -> Path:
    """`frame` as CSV with a header; NaN cells are written empty, as a spreadsheet would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    frame.to_csv(path, index=False)
    return path


def _table_entry(name, recipe, path, frame, target, source, metric) -> Entry:
    return Entry(
        name=name,
        recipe=recipe,
        overrides=("data.dataset=csv", f"data.path={path}", f"data.target={target}"),
        rows=len(frame),
        metric=metric,
        kind="table",
        source=source,
        files=(path.name,),
    )


def _cars():
    from vega_datasets import local_data  # lazy: each writer imports only its own source

    return local_data.cars()


def cars_origin(folder: Path) -> Entry:
    frame = _cars()
    path = _table(folder, "cars.csv", frame)
    source = "vega_datasets cars: Name and gaps kept, 3 origins"
    return _table_entry("cars-origin", "multiclass", path, frame, "Origin", source, "accuracy")


def cars_mpg(folder: Path) -> Entry:
    frame = _cars()
    path = _table(folder, "cars.csv", frame)
    empty = int(frame["Miles_per_Gallon"].isna().sum())
    source = f"vega_datasets cars: {empty} rows have no Miles_per_Gallon (empty cells)"
    return _table_entry("cars-mpg", "regression", path, frame, "Miles_per_Gallon", source, "mae")


def fair(folder: Path) -> Entry:
    from statsmodels.datasets import fair as fair_data  # lazy: see _cars

    frame = fair_data.load_pandas().data
    frame = frame.assign(had_affair=np.where(frame["affairs"] > 0, "yes", "no"))
    frame = frame.drop(columns="affairs")
    path = _table(folder, "fair.csv", frame)
    source = "statsmodels fair (1974 survey): had_affair = yes/no from affairs > 0"
    return _table_entry("fair", "binary", path, frame, "had_affair", source, "accuracy")


def anes96(folder: Path) -> Entry:
    from statsmodels.datasets import anes96 as anes  # lazy: see _cars

    frame = anes.load_pandas().data
    path = _table(folder, "anes96.csv", frame)
    source = "statsmodels anes96 (1996 election survey): vote 0/1 as written by the source"
    return _table_entry("anes96", "binary", path, frame, "vote", source, "accuracy")


def randhie(folder: Path) -> Entry:
    from statsmodels.datasets import randhie as rand  # lazy: see _cars

    frame = rand.load_pandas().data
    path = _table(folder, "randhie.csv", frame)
    source = "statsmodels randhie (RAND health insurance experiment): doctor visits"
    return _table_entry("randhie", "regression", path, frame, "mdvis", source, "mae")


def _ucr(loader: Callable, name: str, folder: Path) -> Entry:
    """A UCR series-classification set: TRAIN and TEST in one table, a column per time step."""
    import pandas as pd  # lazy: see _cars

    parts = [loader(split=split, return_type="numpy2d") for split in ("train", "test")]
    x = np.concatenate([features for features, _ in parts])
    y = np.concatenate([labels for _, labels in parts])
    width = max(3, len(str(x.shape[1] - 1)))
    frame = pd.DataFrame(x, columns=[f"t{step:0{width}d}" for step in range(x.shape[1])])
    frame["label"] = y
    path = _table(folder, f"{name}.csv", frame)
    classes = len(np.unique(y))
    source = f"sktime {loader.__name__}: TRAIN + TEST, {x.shape[1]} steps, {classes} classes"
    return _table_entry(name, "multiclass", path, frame, "label", source, "accuracy")


def arrowhead(folder: Path) -> Entry:
    from sktime.datasets import load_arrow_head  # lazy: see _cars

    return _ucr(load_arrow_head, "arrowhead", folder)


def osuleaf(folder: Path) -> Entry:
    from sktime.datasets import load_osuleaf  # lazy: see _cars

    return _ucr(load_osuleaf, "osuleaf", folder)


# --------------------------------------------------------------------------------------------
# Series: time column first, ISO dates, then the value column
# --------------------------------------------------------------------------------------------


def _series(
    name: str, folder: Path, time_name: str, dates, value_name: str, values, source: str
) -> Entry:
    import pandas as pd  # lazy: see _cars

    dates = pd.to_datetime(pd.Series(list(dates))).dt.strftime("%Y-%m-%d")
    frame = pd.DataFrame({time_name: dates.to_numpy(), value_name: np.asarray(values)})
    path = _table(folder, f"{name}.csv", frame)
    return Entry(
        name=name,
        recipe="rnn",
        overrides=("data.dataset=timeseries_csv", f"data.path={path}", f"data.target={value_name}"),
        rows=len(frame),
        metric="mae",
        kind="series",
        source=source,
        files=(path.name,),
    )


def _sktime_series(name: str, folder: Path, loader: Callable, time_name, value_name, what):
    series = loader()
    dates = series.index.to_timestamp(how="start")  # a PeriodIndex: months or years
    return _series(name, folder, time_name, dates, value_name, series.to_numpy(), what)


def airline(folder: Path) -> Entry:
    from sktime.datasets import load_airline  # lazy: see _cars

    what = "sktime load_airline: monthly airline passengers 1949-1960 (Box & Jenkins)"
    return _sktime_series("airline", folder, load_airline, "month", "passengers", what)


def shampoo(folder: Path) -> Entry:
    from sktime.datasets import load_shampoo_sales  # lazy: see _cars

    what = "sktime load_shampoo_sales: monthly shampoo sales over three years"
    return _sktime_series("shampoo", folder, load_shampoo_sales, "month", "sales", what)


def lynx(folder: Path) -> Entry:
    from sktime.datasets import load_lynx  # lazy: see _cars

    what = "sktime load_lynx: annual Canadian lynx trappings 1821-1934, years as YYYY-01-01"
    return _sktime_series("lynx", folder, load_lynx, "year", "trappings", what)


def nile(folder: Path) -> Entry:
    from statsmodels.datasets import nile as nile_data  # lazy: see _cars

    frame = nile_data.load_pandas().data
    dates = [f"{int(year)}-01-01" for year in frame["year"]]
    what = "statsmodels nile: annual Nile volume at Aswan 1871-1970"
    return _series("nile", folder, "year", dates, "volume", frame["volume"], what)


def realgdp(folder: Path) -> Entry:
    from statsmodels.datasets import macrodata  # lazy: see _cars

    frame = macrodata.load_pandas().data
    dates = [
        f"{int(year)}-{3 * (int(quarter) - 1) + 1:02d}-01"
        for year, quarter in zip(frame["year"], frame["quarter"], strict=True)
    ]
    what = "statsmodels macrodata: quarterly US real GDP 1959-2009, the quarter's first day"
    return _series("realgdp", folder, "quarter", dates, "realgdp", frame["realgdp"], what)


def stocks(folder: Path) -> Entry:
    from vega_datasets import local_data  # lazy: see _cars

    frame = local_data.stocks()
    frame = frame[frame["symbol"] == STOCK].sort_values("date")
    what = f"vega_datasets stocks: {STOCK}'s monthly price 2000-2010"
    return _series("stocks", folder, "date", frame["date"], "price", frame["price"], what)


def us_employment(folder: Path) -> Entry:
    from vega_datasets import local_data  # lazy: see _cars

    frame = local_data.us_employment()
    what = "vega_datasets us_employment: monthly US nonfarm payrolls (thousands) 2006-2015"
    return _series(
        "us-employment", folder, "month", frame["month"], "nonfarm", frame["nonfarm"], what
    )


# --------------------------------------------------------------------------------------------
# Image folders: class sub-folders of grayscale PNGs
# --------------------------------------------------------------------------------------------


def _image_folder(name: str, folder: Path, images: dict[str, list[np.ndarray]], source) -> Entry:
    from PIL import Image  # lazy: see _cars

    root = folder / name
    files = []
    for label, pictures in images.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for index, picture in enumerate(pictures):
            relative = f"{name}/{label}/{index:03d}.png"
            Image.fromarray(picture).save(folder / relative)
            files.append(relative)
    return Entry(
        name=name,
        recipe="convnet",
        overrides=("data.dataset=image_folder", f"data.path={root}"),
        rows=len(files),
        metric="accuracy",
        kind="images",
        source=source,
        files=tuple(files),
    )


def textures(folder: Path) -> Entry:
    from skimage import data  # lazy: see _cars

    rng = np.random.default_rng(SEED)
    images = {}
    for texture in TEXTURES:
        picture = getattr(data, texture)()
        corners = rng.integers(
            0, np.array(picture.shape) - PATCH + 1, size=(PATCHES_PER_TEXTURE, 2)
        )
        images[texture] = [
            np.ascontiguousarray(picture[top : top + PATCH, left : left + PATCH])
            for top, left in corners
        ]
    source = (
        f"scikit-image brick, grass, gravel (512 x 512): {PATCHES_PER_TEXTURE} seeded "
        f"{PATCH} x {PATCH} patches each"
    )
    return _image_folder("textures", folder, images, source)


def digit_subset(count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """`count` of scikit-learn's digits, `count / 10` per class, seeded: (8x8 images, labels).
    One permutation per class, so digits-100 lies inside digits-200 inside digits-500."""
    from sklearn.datasets import load_digits  # lazy: see _cars

    digits = load_digits()
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(10):
        members = np.flatnonzero(digits.target == label)
        chosen.extend(rng.permutation(members)[: count // 10])
    chosen = np.sort(np.asarray(chosen))
    return digits.images[chosen], digits.target[chosen]


def _digits(count: int) -> Callable[[Path], Entry]:
    def write(folder: Path) -> Entry:
        pixels, labels = digit_subset(count)
        scale = PATCH // pixels.shape[1]
        images: dict[str, list[np.ndarray]] = {str(label): [] for label in range(10)}
        for picture, label in zip(pixels, labels, strict=True):
            gray = np.round(picture * 255.0 / 16.0).astype("uint8")  # 0-16 -> 0-255
            big = np.repeat(np.repeat(gray, scale, axis=0), scale, axis=1)  # nearest
            images[str(label)].append(big)
        source = (
            f"scikit-learn load_digits: {count // 10} per class, seeded, 8 x 8 upscaled "
            f"to {PATCH} x {PATCH} (nearest)"
        )
        return _image_folder(f"digits-{count}", folder, images, source)

    write.__name__ = f"digits_{count}"
    return write


# --------------------------------------------------------------------------------------------
# The zoo, in the order of ZOO.md
# --------------------------------------------------------------------------------------------

WRITERS: dict[str, Callable[[Path], Entry]] = {
    "cars-origin": cars_origin,
    "cars-mpg": cars_mpg,
    "fair": fair,
    "anes96": anes96,
    "randhie": randhie,
    "arrowhead": arrowhead,
    "osuleaf": osuleaf,
    "airline": airline,
    "shampoo": shampoo,
    "lynx": lynx,
    "nile": nile,
    "realgdp": realgdp,
    "stocks": stocks,
    "us-employment": us_employment,
    "textures": textures,
    **{f"digits-{count}": _digits(count) for count in DIGIT_SIZES},
}


def write(name: str, folder: Path) -> Entry:
    """Write entry `name`'s files into `folder` and return it."""
    return WRITERS[name](Path(folder).resolve())
