"""The typed config schema: every section, its defaults, and the values each key accepts.

YAML files only override these defaults (see `common.config`). A field's metadata may carry
`choices` (valid names), `min`/`max` (inclusive bounds) or `below` (exclusive upper bound);
the loader enforces them and names the key in its message.

The `model` section belongs to the recipe: its schema is the dataclass `Options` in
`recipes/options/<recipe>.py` (see `common.config.sections.options_class`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "exponential", "inverse_time", "cosine", "one_cycle", "step")
STRATEGIES = (
    "auto",
    "default",
    "one_device",
    "mirrored",
    "multi_worker",
    "tpu",
    "parameter_server",
)
SPLITS = ("holdout", "kfold", "iterated_kfold")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
TUNERS = ("random", "bayesian", "hyperband", "grid")
# Keras loss names accepted by `trainer.loss`, which replaces the task's standard loss.
LOSSES = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "kl_divergence",
    "poisson",
)


def higher_is_better(metric: str) -> bool:
    """Which way a metric improves, by name, as Keras' own callbacks infer it: accuracy, AUC,
    precision and recall rise; losses and errors fall. One rule for checkpoints, best epochs
    and the tuner's objective (and IoU, exact match and BLEU, which Keras does not name)."""
    words = ("acc", "auc", "precision", "recall", "iou", "exact_match", "bleu")
    return any(word in metric for word in words)


def _choices(*names: str | bool) -> dict[str, Any]:
    return {"choices": names}


@dataclass
class DataConfig:
    """Where the examples come from and how they are split and batched."""

    dataset: str = "breast_cancer"
    path: str | None = None  # a local file; for Keras datasets, used instead of downloading
    # CSV: the split as it comes: the test file (and a validation file), used as they are;
    # fractions only split what is left.
    test_path: str | None = None
    validation_path: str | None = None
    # CSV: read in chunks, never whole (`common.data.stream`): true, false, or None (auto: a
    # folder or glob of CSV shards, or files past 1 GiB, stream).
    stream: bool | None = None
    target: str | None = None  # CSV: the column to predict
    features: list[str] | None = None  # CSV: the input columns (default: all but target)
    test_split: float = field(default=0.2, metadata={"min": 0.0, "below": 1.0})
    validation_split: float = field(default=0.2, metadata={"min": 0.0, "below": 1.0})
    split: str = field(default="holdout", metadata=_choices(*SPLITS))
    folds: int = field(default=4, metadata={"min": 2})
    repeats: int = field(default=1, metadata={"min": 1})  # iterated K-fold
    batch_size: int = field(default=32, metadata={"min": 1})  # the global batch
    # The seed of the test and validation splits (None: the run's `seed`). Fix it to compare
    # seeds of training on the same split: `seed=1 data.split_seed=42`.
    split_seed: int | None = None
    shuffle: bool = True
    # None: in-memory sources are cached, streaming ones (image/text folders) never whole;
    # a run's config.yaml records which it was.
    cache: bool | None = None
    num_words: int = field(default=10000, metadata={"min": 3})  # vocabulary of text sources
    image_layout: str = field(default="flat", metadata=_choices("flat", "image"))
    # Image folders: [height, width] every image is resized to (None: the first image's size).
    image_size: list[int] | None = field(default=None, metadata={"min": 1})
    color_mode: str = field(default="rgb", metadata=_choices("grayscale", "rgb", "rgba"))
    # CSV: a column's kind instead of the inferred one: numeric, categorical or ignore.
    columns: dict[str, str] | None = None
    # Sequences (the rnn recipe). A series is cut into windows of `sequence_length` steps, one
    # step every `sampling_rate` rows; the target is `horizon` steps after a window's last step.
    # Token sequences (imdb_sequences, text_folder): the tokens kept per example.
    sequence_length: int | None = field(default=None, metadata={"min": 1})
    sampling_rate: int = field(default=1, metadata={"min": 1})
    horizon: int = field(default=1, metadata={"min": 1})
    # timeseries_csv: the time column (None: the first column), its strftime format (None:
    # pandas infers it), and sin/cos of the time of day and of the year as extra features.
    time_column: str | None = None
    time_format: str | None = None
    time_features: bool = False
    # The season in rows, for the seasonal-naive baseline (None: from the time step — 7 for
    # daily rows, 52 weekly, 12 monthly, 4 quarterly, a day of sub-daily rows; 1: none).
    season: int | None = field(default=None, metadata={"min": 1})


@dataclass
class ScheduleConfig:
    """Learning-rate schedule. Steps are optimizer steps; `*_epochs` are converted using the
    number of steps per epoch, so a schedule survives a change of batch size."""

    name: str = field(default="constant", metadata=_choices(*SCHEDULES))
    decay_epochs: float = field(default=1.0, metadata={"min": 0.0})  # exponential, inverse_time
    decay_rate: float = field(default=0.9, metadata={"min": 0.0})
    staircase: bool = False
    warmup_epochs: float = field(default=0.0, metadata={"min": 0.0})  # cosine
    alpha: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})  # cosine floor
    peak_fraction: float = field(default=0.3, metadata={"min": 0.0, "below": 1.0})  # one_cycle
    div_factor: float = field(default=25.0, metadata={"min": 1.0})  # one_cycle start = peak/div
    # step: the rate times factors[i] from epoch boundaries[i] on (ResNet's 80/120/160/180).
    # Applied per epoch by a callback, so reduce_on_plateau can lower it further.
    boundaries: list[int] = field(default_factory=list, metadata={"min": 1})
    factors: list[float] = field(default_factory=list, metadata={"min": 0.0})


@dataclass
class OptimizerConfig:
    name: str = field(default="adam", metadata=_choices(*OPTIMIZERS))
    learning_rate: float = field(default=1e-3, metadata={"min": 0.0})
    # sgd: default 0.9; rmsprop: default 0.0 (Keras' own default).
    momentum: float | None = field(default=None, metadata={"min": 0.0, "below": 1.0})
    nesterov: bool = False
    weight_decay: float | None = field(default=None, metadata={"min": 0.0})
    # adam/adamw: decay of the first-moment estimate (Keras' default 0.9; DCGAN uses 0.5).
    beta_1: float | None = field(default=None, metadata={"min": 0.0, "below": 1.0})
    clipnorm: float | None = field(default=None, metadata={"min": 0.0})
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)


@dataclass
class EarlyStoppingConfig:
    enabled: bool = True
    patience: int = field(default=10, metadata={"min": 0})
    min_delta: float = field(default=0.0, metadata={"min": 0.0})
    restore_best_weights: bool = True


@dataclass
class ReduceOnPlateauConfig:
    enabled: bool = False
    factor: float = field(default=0.5, metadata={"min": 0.0, "below": 1.0})
    patience: int = field(default=5, metadata={"min": 0})
    min_learning_rate: float = field(default=1e-6, metadata={"min": 0.0})


@dataclass
class FineTuneConfig:
    """Transfer learning, phase 2 (for a model with a `backbone`): after `trainer.epochs` with
    the backbone frozen, unfreeze its top `unfreeze` layers (0: all; BatchNorm stays frozen, in
    inference mode), recompile at `learning_rate` and train `epochs` more, in the same run."""

    epochs: int = field(default=0, metadata={"min": 0})
    unfreeze: int = field(default=20, metadata={"min": 0})
    learning_rate: float = field(default=1e-5, metadata={"min": 0.0})


@dataclass
class TrainerConfig:
    epochs: int = field(default=20, metadata={"min": 1})
    monitor: str = "val_loss"
    loss: str | None = field(default=None, metadata=_choices(*LOSSES))  # None: the task's standard
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    reduce_on_plateau: ReduceOnPlateauConfig = field(default_factory=ReduceOnPlateauConfig)
    fine_tune: FineTuneConfig = field(default_factory=FineTuneConfig)
    # None, "balanced" (inverse class frequency, from the training split), or {class: weight}.
    class_weight: str | dict[int, float] | None = None
    # auto: mixed_bfloat16 on TPUs (their native type), float32 elsewhere.
    precision: str = field(default="auto", metadata=_choices(*PRECISIONS))
    # auto: compiled on JAX (which otherwise runs op by op), off on TensorFlow's CPU (XLA measured
    # slower there for most recipes), Keras' own choice on GPUs and TPUs. true/false: as given.
    jit_compile: bool | str = field(default="auto", metadata=_choices(True, False, "auto"))
    # None: 32 (one host round-trip per 32 steps: faster on CPU for small models, and what TPUs
    # need), 1 under mirrored/multi_worker; set 1 to see every batch in per-batch callbacks.
    steps_per_execution: int | None = field(default=None, metadata={"min": 1})
    # Seconds between BackupAndRestore backups (0: every epoch; the last epoch is always backed
    # up), so a kill loses at most this much training. None: 30, every epoch in a cluster.
    backup_interval: float | None = field(default=None, metadata={"min": 0.0})
    deterministic: bool = False  # tf.config.experimental.enable_op_determinism()
    verbose: int = field(default=2, metadata={"min": 0, "max": 2})
    # A scikit-learn reference beside the baseline (tabular and flattened-image tasks):
    # logistic regression / SVC, or ridge / histogram gradient boosting, the better on validation.
    reference: bool = True
    # The workflow's last step: after the holdout run has picked the epoch count on validation,
    # a fresh model trains on training + validation for that many epochs and is scored once on
    # the test split (metrics.json keeps the validated model's scores under "validated").
    refit: bool = False
    # The mean of several models as the run's (`common.training.ensemble`): with --seeds, the
    # seeds' runs, as a run of its own; with data.split=kfold, the folds' models.
    ensemble: bool = False


@dataclass
class DistributeConfig:
    strategy: str = field(default="auto", metadata=_choices(*STRATEGIES))
    devices: list[str] | None = None  # e.g. ["/gpu:0", "/gpu:1"]; default: all visible
    cpu_devices: int = field(default=1, metadata={"min": 1})  # split the host CPU (testing)
    tpu: str | None = None  # TPU address, or "local"
    scale_learning_rate: bool = False  # multiply the learning rate by the number of replicas


@dataclass
class TensorBoardConfig:
    enabled: bool = True
    histogram_freq: int = field(default=0, metadata={"min": 0})
    write_graph: bool = True


@dataclass
class OutputConfig:
    dir: str = "runs"
    save_models: bool = True
    plot: bool = True
    tensorboard: TensorBoardConfig = field(default_factory=TensorBoardConfig)


@dataclass
class TuneConfig:
    """A KerasTuner sweep (`cookbook tune`). `space` maps dotted config keys to search specs,

        space:
          model.units: {choice: [[16, 16], [64, 64]]}
          optimizer.learning_rate: {float: [1.0e-4, 1.0e-2], sampling: log}
          model.dropout: {float: [0.0, 0.5], step: 0.1}
          data.batch_size: {int: [16, 64], step: 16}
          model.batch_norm: {boolean: true}

    parsed and checked by `common.config.search_space`. Every other section is the base config that
    each trial overrides."""

    tuner: str = field(default="random", metadata=_choices(*TUNERS))
    objective: str = "val_loss"
    # None: "max" for accuracy, AUC, precision and recall, "min" otherwise (as for checkpoints).
    direction: str | None = field(default=None, metadata=_choices("min", "max"))
    max_trials: int = field(default=10, metadata={"min": 1})  # hyperband: set by epochs and factor
    executions_per_trial: int = field(default=1, metadata={"min": 1})  # averaged, new weights each
    epochs: int | None = field(default=None, metadata={"min": 1})  # per trial (hyperband: the most)
    hyperband_factor: int = field(default=3, metadata={"min": 2})
    space: dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    """A whole experiment. `name` groups runs under `runs/<name>/`; it defaults to the config
    file's stem, so `configs/binary-imdb.yaml` runs under `runs/binary-imdb/`."""

    recipe: str
    name: str = ""
    seed: int = 42
    data: DataConfig = field(default_factory=DataConfig)
    model: Any = None  # the recipe's Options instance (recipes/options/<recipe>.py)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    distribute: DistributeConfig = field(default_factory=DistributeConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    tune: TuneConfig = field(default_factory=TuneConfig)

    @property
    def split_seed(self) -> int:
        """The seed that draws the test and validation splits."""
        return self.seed if self.data.split_seed is None else self.data.split_seed
