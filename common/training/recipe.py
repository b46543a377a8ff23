"""The recipe contract, stated once: `RecipeModule`, what a module in recipes/ provides.

A recipe is one file that reads like a keras.io example, plus its typed model options in
`recipes/options/<name>.py` (a dataclass named `Options`, imported without TensorFlow so that
configs are checked instantly). The driver (`common.training.driver`) calls its hooks in this
order for every run, fold and tuning trial:

    load_data -> prepare -> [split] -> build_model -> compile_model -> make_dataset -> fit
    (with callbacks) -> evaluate -> baseline -> baseline_predictions -> report

Each hook takes the config sections it reads, not the whole config; the run-level hooks
(`callbacks`, `report`, `sample`) see a run as a `RunInfo`. `RecipeModule` documents every hook
(its arguments, what it returns, whether it is optional and its default), and everything else
here is read from it: the hooks and their arguments (`HOOKS`, `ARGUMENTS`), which are optional
and their defaults (`OPTIONAL_HOOKS`, written in `common.training.defaults`), what is required
(`REQUIRED`), and the hooks a loaded `Recipe` has. A hook written for another signature, or a
function named almost like a hook (`make_datset`), fails when the recipe loads, not after
training.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from common.config.run_info import RunInfo
from common.config.schema import Config, DataConfig, TrainerConfig
from common.data.dataset import Dataset
from common.data.splits import Split
from common.errors import UserError
from common.training.defaults import (
    STRATIFIED_TASKS,
    default_baseline,
    default_baseline_predictions,
    default_callbacks,
    default_compile_model,
    default_load_data,
    default_make_dataset,
    default_prepare,
    default_report,
)

if TYPE_CHECKING:
    import keras

    from common.modeling.predicting import SplitOutputs


def optional(default: Callable | None) -> Callable[[Callable], Callable]:
    """Marks a hook of `RecipeModule` optional, with the `default` used where a recipe does not
    define it (None: no default; the feature is then the recipe's own)."""

    def mark(hook: Callable) -> Callable:
        hook.default = default
        return hook

    return mark


# --------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------


class RecipeModule(Protocol):
    """What a module in recipes/ provides: `TASK`, `build_model`, and any optional hook.

    Attributes:
        TASK: "binary" | "multiclass" | "multilabel" | "regression" picks the head, loss,
            metrics and baseline from the standard table (`common.modeling.tasks`). Any other
            name (a GAN's "gan") means the recipe supplies `compile_model` and `baseline`.
            Required.
    """

    TASK: str

    def build_model(self, split: Split, options: Any) -> keras.Model:
        """The model for the data in `split`. Required.

        Called inside the strategy's scope and under the configured dtype policy: create
        layers here, not at import time.

        Args:
            split: the examples (`x_train`, `y_train`, ...) and `num_classes`.
            options: `config.model`, the recipe's validated `Options`.

        Returns:
            The uncompiled `keras.Model`.
        """

    @optional(default_load_data)
    def load_data(self, data: DataConfig, seed: int) -> Dataset:
        """The examples, as train and test parts. Optional.

        Default: the configured `data.dataset` (`common.data.catalogue`), with a stratified
        test split for classification tasks.

        Args:
            data: `config.data`.
            seed: the seed of the splits (`config.split_seed`).

        Returns:
            The `Dataset`.
        """

    @optional(default_prepare)
    def prepare(self, dataset: Dataset, data: DataConfig) -> Dataset:
        """Reshape what was loaded, e.g. targets = inputs for an autoencoder. Optional.

        Default: the dataset unchanged.

        Args:
            dataset: what `load_data` returned.
            data: `config.data`.

        Returns:
            The `Dataset` the run trains on.
        """

    @optional(default_make_dataset)
    def make_dataset(
        self,
        x: Any,
        y: np.ndarray | None,
        data: DataConfig,
        training: bool,
        seed: int,
        options: Any,
    ) -> Any:
        """Examples to batches. Optional.

        Default: cached, shuffled when `training`, batched by the global batch size,
        prefetched, with an explicit auto-shard policy (`common.data.pipeline`).

        Args:
            x: the inputs (arrays, a table, a FileSet or a WindowSet).
            y: the targets, or None for inputs only.
            data: `config.data` (batch size, shuffling, caching).
            training: whether these batches train (shuffled, augmented) or are scored.
            seed: the shuffling seed (`config.seed`).
            options: `config.model` (an image recipe's `augment` may map over the batches).

        Returns:
            A `tf.data.Dataset` of (inputs, targets) batches, or of inputs when `y` is None.
        """

    @optional(default_compile_model)
    def compile_model(self, model: keras.Model, optimizer: Any, trainer: TrainerConfig) -> None:
        """Compile `model` with `optimizer`, in the strategy's scope. Optional.

        Default: the task's standard loss (or `trainer.loss`) and metrics, with
        `trainer.jit_compile` and `trainer.steps_per_execution`.

        Args:
            model: what `build_model` returned.
            optimizer: the configured `keras.optimizers.Optimizer`.
            trainer: `config.trainer`.
        """

    @optional(default_baseline)
    def baseline(
        self, split: Split, x: Any, y: np.ndarray, trainer: TrainerConfig
    ) -> dict[str, float]:
        """The common-sense score to beat on (x, y), named like the model's metrics. Optional.

        Default: the task's constant prediction from the training targets (majority class,
        mean target).

        Args:
            split: the split trained on (its training targets).
            x: the inputs scored (the test or validation part).
            y: their targets.
            trainer: `config.trainer` (its `loss`).

        Returns:
            {metric name: value}.
        """

    @optional(default_baseline_predictions)
    def baseline_predictions(
        self, split: Split, x: Any, y: np.ndarray, trainer: TrainerConfig
    ) -> np.ndarray | None:
        """What the baseline predicts for each example of (x, y), shaped like the model's
        outputs, so the verdict can compare the two example by example. Optional.

        Default: the task's constant prediction (`common.modeling.tasks`); None for a task
        without one (a GAN), whose verdict then compares scores only.

        Args:
            split: the split trained on (its training targets).
            x: the inputs scored (the test or validation part).
            y: their targets.
            trainer: `config.trainer`.

        Returns:
            An array with one row per example, or None.
        """

    @optional(default_callbacks)
    def callbacks(self, run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
        """Extra callbacks beside the standard ones. Optional.

        The standard ones: backup, TensorBoard, history, checkpoints, early stopping.
        Default: none.

        Args:
            run: the run; `run.dir` is the folder this fit writes in (a fold's, in K-fold).
            split: the split being trained on.

        Returns:
            A list of `keras.callbacks.Callback`.
        """

    @optional(default_report)
    def report(
        self, model: keras.Model, dataset: Dataset, run: RunInfo, test: SplitOutputs | None
    ) -> dict:
        """Extra entries for metrics.json, and extra files in the run folder. Optional.

        Default: none.

        Args:
            model: the trained model (its best epoch).
            dataset: the run's `Dataset`.
            run: the run; files go in `run.dir`.
            test: the `SplitOutputs` pass the test scores came from (the model's outputs on
                `dataset.x_test`, in order), or None where Keras' `evaluate` scored it.

        Returns:
            Entries merged into metrics.json.
        """

    @optional(None)
    def predict_files(
        self, run_dir: Path, model: keras.Model, inputs: list[str], output: str | None
    ) -> str:
        """`cookbook predict RUN INPUT...` for a recipe whose predictions are not rows of
        labels or values (a segmentation's mask images, a translation). Optional.

        No default: `predict` reads the inputs as the model's kind and writes CSV rows.

        Args:
            run_dir: the finished run.
            model: its best.keras, loaded in safe mode.
            inputs: the paths given.
            output: `--output`, or None.

        Returns:
            What was written, as text (CSV rows or the files' list).
        """

    @optional(None)
    def sample(self, run: RunInfo, count: int, label: int | None, seed: int | None) -> Path:
        """`cookbook sample RUN`: draw new examples from a finished run. Optional.

        No default: the command answers that the recipe does not sample.

        Args:
            run: the finished run.
            count: how many examples.
            label: the class to draw (a conditional model), or None for every class.
            seed: the noise's seed, or None for fresh noise.

        Returns:
            The picture written in `run.dir`.
        """


def _contract_hooks() -> dict[str, Callable]:
    return {
        name: member
        for name, member in vars(RecipeModule).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


# Read from the contract: every hook and the arguments it is called with, in order; the optional
# hooks and their defaults (None: no default); the names a recipe must define.
ARGUMENTS: dict[str, tuple[str, ...]] = {
    name: tuple(inspect.signature(hook).parameters)[1:]  # without `self`
    for name, hook in _contract_hooks().items()
}
HOOKS = tuple(ARGUMENTS)
OPTIONAL_HOOKS: dict[str, Callable | None] = {
    name: hook.default for name, hook in _contract_hooks().items() if hasattr(hook, "default")
}
REQUIRED = (
    *RecipeModule.__annotations__,
    *(name for name in HOOKS if name not in OPTIONAL_HOOKS),
)


# --------------------------------------------------------------------------------------------
# A loaded recipe
# --------------------------------------------------------------------------------------------


class Recipe(RecipeModule):
    """A loaded recipe: every hook of `RecipeModule`, the module's own or the default with the
    recipe's task (`sample` is None where the recipe has none), plus the config-level helpers
    the driver, tuner and exports share."""

    def __init__(self, name: str, module: ModuleType):
        self.name = name
        self.module = module
        self.TASK = module.TASK
        for hook in HOOKS:
            function = getattr(module, hook, None)
            if function is None and hook in OPTIONAL_HOOKS:
                default = OPTIONAL_HOOKS[hook]
                function = default and _with_task(default, module.TASK)
            setattr(self, hook, function)

    @property
    def task(self) -> str:
        return self.TASK

    @property
    def stratify(self) -> bool:
        """Whether splits keep class proportions."""
        return self.task in STRATIFIED_TASKS

    def dataset(self, config: Config) -> Dataset:
        """The data a run of `config` trains on: `load_data`, then `prepare`."""
        return self.prepare(self.load_data(config.data, config.split_seed), config.data)

    def batches(self, x: Any, y: np.ndarray | None, config: Config, training: bool) -> Any:
        """`make_dataset` with the sections of `config`."""
        return self.make_dataset(x, y, config.data, training, config.seed, config.model)


def _with_task(default: Callable, task: str) -> Callable:
    if "task" in inspect.signature(default).parameters:
        return functools.partial(default, task=task)
    return default


def _path(module: ModuleType) -> str:
    return f"recipes/{module.__name__.rpartition('.')[2]}.py"


def check_names(module: ModuleType) -> None:
    """Required names present, and no function named almost like a hook."""
    path = _path(module)
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise UserError(
            f"{path} must define {' and '.join(missing)} (see common/training/recipe.py)."
        )
    for name, value in vars(module).items():
        if name in HOOKS or name.startswith("_") or not inspect.isfunction(value):
            continue
        if value.__module__ != module.__name__:
            continue  # imported helpers
        close = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.8)
        if close:
            raise UserError(
                f"{path} defines {name}(), which is not a hook; did you mean {close[0]}()? "
                f"Hooks: {', '.join(HOOKS)}."
            )


def check_arguments(module: ModuleType) -> None:
    """Every hook the recipe defines takes the arguments it is called with, so that a hook
    written for another contract is refused when the recipe loads, not after training."""
    path = _path(module)
    for hook, arguments in ARGUMENTS.items():
        function = getattr(module, hook, None)
        if not callable(function):
            continue
        try:
            inspect.signature(function).bind(*arguments)
        except TypeError:
            raise UserError(
                f"{path}: {hook}() is called as {hook}({', '.join(arguments)}); its signature "
                f"is {hook}{inspect.signature(function)}. See common/training/recipe.py."
            ) from None
        except ValueError:  # a builtin without a signature: called as it is
            continue


def load_recipe(name: str) -> Recipe:
    """`recipes/<name>.py` checked against the contract, with the defaults filled in."""
    module = importlib.import_module(f"recipes.{name}")
    check_names(module)
    check_arguments(module)
    return Recipe(name, module)
