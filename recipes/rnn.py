"""
Title: Recurrent networks — forecasting a series, classifying sequences and text
Why: a recurrent layer reads a sequence one step at a time and carries a state, so order
matters to it as it does not to a Dense layer. This recipe uses that for the two jobs of
"Deep Learning with Python" (DLwP) chapters 10 and 11: forecasting a time series, and
classifying whole sequences (rows of pixels, reviews as words).

Forecasting (the default: Seattle's daily weather, bundled with vega_datasets, offline):

1. Know the baseline first: the better, on the training windows, of persistence (the last
   value) and the seasonal-naive forecast (the same point one season ago; the season from
   `data.season` or the time column's step: 7 days, 12 months, 52 weeks, 4 quarters, a day
   of a sub-daily series), scored in the target's own units, like the model. Next-day
   temperature is hard to beat: tomorrow is mostly today. Three days ahead, a model can win.
2. Split in time order, never shuffled across the split: train on the past, validate on
   later data, test on the latest data. Training windows are shuffled among themselves only.
   The model predicts the change from the window's last value, reading each window relative
   to its last step (log ratios for a positive target), so a trend that carries the test
   period above every training level reads as the changes it was trained on
   (`common.modeling.forecasting`). It starts as the baseline and learns what beats it.
3. Windows are made on the fly by `keras.utils.timeseries_dataset_from_array`
   (`data.sequence_length` steps, one every `data.sampling_rate` rows, the target
   `data.horizon` steps after the last), so the series is never copied into an array of
   windows (`common.data.windows`).
4. The model: LSTM, GRU or SimpleRNN layers (`model.cell`, stacked by `model.units`),
   recurrent dropout on the state and dropout before the head against overfitting (DLwP
   10.4), bidirectional layers (`model.bidirectional`, which DLwP shows do not help here:
   the recent past matters most), and a Conv1D + MaxPooling1D front end that shortens long
   sequences before the RNN reads them (`model.conv_front_end`, DLwP 1st ed., 6.4).

Classification: `rnn-digits` reads each 8x8 digit as 8 rows of 8 pixels; `rnn-imdb` reads
reviews as word indices through an Embedding with `mask_zero=True` (padding is skipped) and a
bidirectional LSTM (keras.io "Bidirectional LSTM on IMDB", DLwP 11.3). A `text_folder` trains
the same model with `TextVectorization` inside it, so `cookbook predict RUN reviews.txt` takes
raw lines. `model.encoder: transformer` swaps the recurrence for DLwP 11.4's Transformer
encoder: a positional embedding, multi-head self-attention and a dense projection, each with a
residual connection and layer normalization.

TASK is "multiclass": classification uses the standard softmax head, loss, metrics,
majority-class baseline and `cookbook predict` with class names. Forecasting replaces the
head, loss (MSE), metric (MAE), baseline (persistence or seasonal-naive) and reference (an
autoregression of the changes, `common.reporting.series_reference`) through the hooks below, and
records "task": "regression" in metrics.json.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data import catalogue
from common.data.dataset import Dataset
from common.data.files import FileSet
from common.data.sequences import TextSequences
from common.data.splits import Split
from common.data.windows import WindowSet, mean_absolute_errors, naive_step, persistence
from common.errors import ConfigError
from common.modeling import forecasting, predicting, preprocessing, recurrent, tasks
from common.reporting import plots
from common.training.defaults import (
    default_baseline,
    default_baseline_predictions,
    default_compile_model,
    default_make_dataset,
)
from recipes.options.rnn import Options

TASK = "multiclass"
FORECASTER = "forecaster"  # the name of the model `build_model` makes for a series
PLOT_POINTS = 365  # forecasts drawn in forecast.png, one per step, from the test start


# --------------------------------------------------------------------------------------------
# Data: a series as windows, or sequences to classify
# --------------------------------------------------------------------------------------------


def prepare(dataset: Dataset, data: DataConfig) -> Dataset:
    """Text folders become word sequences of `data.sequence_length`; pixels must come as
    images (their rows are the steps)."""
    x = dataset.x_train
    if isinstance(x, FileSet) and x.kind == "text":
        length = data.sequence_length
        dataset.x_train = TextSequences.of(x, length)
        dataset.x_test = TextSequences.of(dataset.x_test, length)
        if dataset.x_val is not None:
            dataset.x_val = TextSequences.of(dataset.x_val, length)
    elif isinstance(x, np.ndarray) and x.ndim == 2 and x.dtype.kind == "f":
        raise ConfigError(
            "data.image_layout",
            f"the rnn recipe reads sequences; these examples are flat vectors of {x.shape[1]} "
            "features. Set data.image_layout=image (each image row is one step).",
        )
    elif not isinstance(x, (WindowSet, FileSet, np.ndarray)):
        raise ConfigError(
            "data.dataset",
            f"the rnn recipe reads sequences: a series ({', '.join(catalogue.SERIES)}), "
            "images (rows of pixels), imdb_sequences or a text_folder.",
        )
    return dataset


def make_dataset(
    x, y: np.ndarray | None, data: DataConfig, training: bool, seed: int, options: Options
):
    """Windows of a series, made batch by batch and shuffled within training only; anything
    else through the default pipeline."""
    if isinstance(x, WindowSet):
        return x.dataset(
            data.batch_size,
            shuffle=training and data.shuffle,
            seed=seed,
            labelled=y is not None,
        )
    return default_make_dataset(x, y, data, training, seed, options)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def encode(x: keras.KerasTensor, options: Options) -> keras.KerasTensor:
    """[Conv1D + MaxPooling1D front end] -> recurrent layers -> [Dropout]."""
    if options.conv_front_end:
        x = recurrent.conv_front_end(
            x, options.conv_filters, options.kernel_size, options.pool_size, options.activation
        )
    x = recurrent.recurrent_stack(
        x, options.cell, options.units, options.bidirectional, options.recurrent_dropout
    )
    if options.dropout:
        x = layers.Dropout(options.dropout, name="dropout")(x)
    return x


def build_forecaster(windows: WindowSet, options: Options) -> keras.Model:
    """Raw windows in, the target in its own units out, as the change from the window's last
    value (`common.modeling.forecasting`): the recurrent layers read each window relative to
    its last step, scaled by the training windows' spread, so a trend into levels never seen
    in training reads as the changes it has seen. It starts as the baseline forecast."""
    if options.encoder != "rnn":
        raise ConfigError("model.encoder", "a forecast uses the rnn encoder; set it to rnn.")
    feature = windows.target_feature
    ratio = forecasting.reads_ratios(windows)  # a positive target: log ratios
    log_feature = feature if ratio else None
    variance = forecasting.change_variance(
        forecasting.since_last_step(windows.sample(4096), log_feature)
    )
    changes = forecasting.target_changes(windows.y, windows.last_values, ratio)
    spread = float(np.std(changes)) or 1.0
    start = forecasting.naive_kernel(
        windows.shape[1:],
        variance,
        spread,
        naive_step(windows, chosen_persistence(windows)),
        feature,
    )
    inputs = keras.Input(shape=windows.shape[1:], name="window")
    relative = forecasting.SinceLastStep(log_feature, name="since_last_step")(inputs)
    relative = forecasting.change_scaler(variance)(relative)
    outputs = forecasting.change_output(
        encode(relative, options), relative, inputs, feature, spread, start, ratio
    )
    return keras.Model(inputs, outputs, name=FORECASTER)


def sequence_input(
    x_train, options: Options
) -> tuple[keras.KerasTensor, keras.KerasTensor, int | None]:
    """(inputs, sequence, vocabulary size): words as indices (vocabulary size given) or steps
    of numbers (None)."""
    if isinstance(x_train, FileSet) and x_train.kind == "image":  # an image folder
        height, width, channels = x_train.shape[1:]
        inputs, pixels = preprocessing.image_input(x_train)
        return inputs, layers.Reshape((height, width * channels), name="rows")(pixels), None
    if isinstance(x_train, FileSet):  # raw text: TextVectorization inside the model
        length = getattr(x_train, "sequence_length", None)
        inputs, words = preprocessing.text_input(
            x_train, x_train.vocabulary_size, output_mode="int", sequence_length=length
        )
        return inputs, words, x_train.vocabulary_size
    if x_train.ndim == 2 and x_train.dtype.kind in "iu":  # padded word indices
        inputs = keras.Input(shape=x_train.shape[1:], dtype="int32", name="words")
        return inputs, inputs, int(x_train.max()) + 1
    if x_train.ndim == 4:  # images: each row of pixels is one step
        height, width, channels = x_train.shape[1:]
        inputs = keras.Input(shape=x_train.shape[1:], name="image")
        return inputs, layers.Reshape((height, width * channels), name="rows")(inputs), None
    inputs = keras.Input(shape=x_train.shape[1:], name="sequence")  # (steps, features)
    return inputs, inputs, None


def build_classifier(split: Split, options: Options) -> keras.Model:
    inputs, x, vocabulary = sequence_input(split.x_train, options)
    if options.encoder == "transformer":
        if vocabulary is None or x.shape[1] is None:
            raise ConfigError(
                "model.encoder",
                "the transformer reads word sequences of a fixed length (imdb_sequences, or a "
                "text_folder with data.sequence_length); use model.encoder=rnn here.",
            )
        x = recurrent.PositionalEmbedding(
            x.shape[1], vocabulary, options.embedding_dim, name="embedding"
        )(x)
        x = recurrent.transformer_encoder(
            x, options.dense_dim, options.num_heads, options.activation
        )
        # Average over the real words only: the pooling follows the padding mask.
        x = layers.GlobalAveragePooling1D(name="pool")(x)
        if options.dropout:
            x = layers.Dropout(options.dropout, name="dropout")(x)
    else:
        if vocabulary is not None:
            x = layers.Embedding(
                vocabulary, options.embedding_dim, mask_zero=True, name="embedding"
            )(x)
        x = encode(x, options)
    outputs = tasks.head(x, TASK, split.num_classes, targets=split.y_train)
    return keras.Model(inputs, outputs, name=f"{options.encoder}_classifier")


def build_model(split: Split, options: Options) -> keras.Model:
    if isinstance(split.x_train, WindowSet):
        return build_forecaster(split.x_train, options)
    return build_classifier(split, options)


def compile_model(model: keras.Model, optimizer, trainer: TrainerConfig) -> None:
    """A forecaster compiles as a regression; class weights, which it cannot have, are refused
    here, before anything trains."""
    forecaster = model.name == FORECASTER
    if forecaster and trainer.class_weight is not None:
        raise ConfigError("trainer.class_weight", "a forecast has no classes; remove it.")
    default_compile_model(model, optimizer, trainer, task="regression" if forecaster else TASK)


# --------------------------------------------------------------------------------------------
# Judging a forecast: persistence in the target's units, and a picture
# --------------------------------------------------------------------------------------------


def chosen_persistence(training: WindowSet) -> str:
    """The naive forecast (last value or seasonal) with the lowest MAE on the training
    windows: the baseline a forecaster must beat."""
    errors = mean_absolute_errors(persistence(training), training.y)
    return min(errors, key=errors.get)


def baseline_forecast(forecasts: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The chosen naive forecast of `persistence(windows)`; the last value where a seasonal
    one reaches before the series' first row."""
    chosen = forecasts[name]
    return np.where(np.isfinite(chosen), chosen, forecasts["last value"])


def baseline(split: Split, x, y: np.ndarray, trainer: TrainerConfig) -> dict[str, float]:
    if not isinstance(x, WindowSet):
        return default_baseline(split, x, y, trainer, task=TASK)
    forecast = baseline_forecast(persistence(x), chosen_persistence(split.x_train))
    return tasks.score("regression", y, forecast[:, None], trainer.loss)


def baseline_predictions(split: Split, x, y: np.ndarray, trainer: TrainerConfig) -> np.ndarray:
    """The baseline's forecast of each window (the verdict compares it window by window)."""
    if not isinstance(x, WindowSet):
        return default_baseline_predictions(split, x, y, trainer, task=TASK)
    return baseline_forecast(persistence(x), chosen_persistence(split.x_train))[:, None]


def report(model: keras.Model, dataset: Dataset, run: RunInfo, test) -> dict:
    """forecast.png (the first `PLOT_POINTS` test steps: truth, model, persistence) and the
    MAE of every persistence forecast beside the model's. The model's forecasts are the test
    pass its scores came from (`test`), predicted here only where Keras' `evaluate` scored."""
    windows = dataset.x_test
    if not isinstance(windows, WindowSet):
        return {}
    data = run.data
    outputs = (
        test.outputs
        if test is not None
        else predicting.predict(
            model, make_dataset(windows, None, data, False, run.seed, run.options)
        )
    )
    predicted = np.asarray(outputs)[:, 0]
    chosen = chosen_persistence(dataset.x_train)
    forecasts = persistence(windows)
    forecast = baseline_forecast(forecasts, chosen)
    model_mae = float(np.mean(np.abs(predicted - windows.y)))
    naive = mean_absolute_errors(forecasts, windows.y)
    naive[chosen] = float(np.mean(np.abs(forecast - windows.y)))
    improvement = 1.0 - model_mae / naive[chosen]

    every = slice(None, data.sampling_rate * PLOT_POINTS, data.sampling_rate)
    target = data.target or "target"
    plots.forecast_plot(
        windows[every],
        predicted[every],
        forecast[every],
        (
            f"{target} (truth)",
            f"model (test MAE {model_mae:.2f})",
            f"persistence: {chosen} (test MAE {naive[chosen]:.2f})",
        ),
        run.dir / "forecast.png",
        f"{run.name}: {target}, {data.horizon} step(s) after each window "
        f"({data.sampling_rate} row(s) a step), start of the test part",
    )
    verdict = f"{improvement:.1%} better" if improvement >= 0 else f"{-improvement:.1%} worse"
    print(
        f"test MAE {model_mae:.3f} {target}; persistence ({chosen}) {naive[chosen]:.3f}: {verdict}"
    )
    return {
        "task": "regression",
        "forecast": {
            "target": target,
            "horizon": data.horizon,
            "sampling_rate": data.sampling_rate,
            "sequence_length": data.sequence_length,
            "test_mae": model_mae,
            "persistence": chosen,
            "persistence_test_mae": naive,
            "improvement": improvement,
            "test_from": str(windows.target_times[0]),
            "test_to": str(windows.target_times[-1]),
            "plot": "forecast.png",
        },
    }
