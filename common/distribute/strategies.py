"""The strategy factory: one place turns `distribute.strategy` into a tf.distribute.Strategy.

    auto          TPU if `distribute.tpu` is set, multi-worker if TF_CONFIG is set,
                  mirrored over several GPUs, else the default strategy
    default       tf.distribute.get_strategy()
    one_device    OneDeviceStrategy on the first device listed (or the first GPU, else CPU)
    mirrored      MirroredStrategy over `distribute.devices`, all GPUs, or the logical CPUs
    multi_worker  MultiWorkerMirroredStrategy, cluster from TF_CONFIG
    tpu           TPUStrategy on `distribute.tpu` ("local" for a TPU VM)

Keras 3 does not support ParameterServerStrategy with `fit()`; asking for it is a clear error.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from common.config.schema import DistributeConfig, TrainerConfig
from common.distribute import compat
from common.errors import ConfigError, UserError


def configure_host(config: DistributeConfig) -> None:
    """Split the host CPU into `cpu_devices` logical devices (before TensorFlow starts)."""
    if config.cpu_devices == 1:
        return
    (cpu, *_) = tf.config.list_physical_devices("CPU")
    current = tf.config.get_logical_device_configuration(cpu)
    if current and len(current) == config.cpu_devices:
        return
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(config.cpu_devices)]
        )
    except RuntimeError:
        raise UserError(
            f"distribute.cpu_devices={config.cpu_devices}: TensorFlow already started in this "
            "process with a different number of CPU devices; run in a fresh process."
        ) from None


def resolve_name(config: DistributeConfig) -> str:
    """The concrete strategy `auto` stands for on this machine."""
    if config.strategy != "auto":
        return config.strategy
    if config.tpu:
        return "tpu"
    if os.environ.get("TF_CONFIG"):
        return "multi_worker"
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def _tpu_strategy(address: str | None) -> tf.distribute.Strategy:
    if not address:
        raise ConfigError("distribute.tpu", "set the TPU address, or 'local' on a TPU VM.")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        text = str(error).strip()
        first_line = text.splitlines()[0].split(". ")[0] if text else type(error).__name__
        raise UserError(
            f"distribute.tpu={address!r}: no TPU found ({first_line}). Check the address, or use "
            "distribute.strategy=auto to train on the devices this machine has."
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def make_strategy(config: DistributeConfig) -> tf.distribute.Strategy:
    configure_host(config)
    name = resolve_name(config)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        device = (config.devices or [gpus[0].name if gpus else "/cpu:0"])[0]
        return tf.distribute.OneDeviceStrategy(device)
    if name == "mirrored":
        devices = config.devices
        if devices is None and not tf.config.list_logical_devices("GPU"):
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ConfigError(
                "distribute.strategy",
                "multi_worker needs TF_CONFIG describing the cluster "
                "(or use `cookbook train ... --workers N` to start one on this machine).",
            )
        compat.patch_keras()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        return _tpu_strategy(config.tpu)
    if name == "parameter_server":
        raise ConfigError(
            "distribute.strategy",
            "parameter_server is not supported by Keras 3's fit(); use multi_worker "
            "(synchronous data parallelism across machines) instead.",
        )
    raise ConfigError("distribute.strategy", f"unknown strategy {name!r}")


# Steps per call into the TensorFlow runtime when the config leaves it unset. One call per 32
# steps measured 0.74x the time of one per step for the digits MLP on a 2-core CPU (BENCHMARKS.md),
# and is what TPUs want; per-batch callbacks then see every 32nd batch, epochs are unchanged.
STEPS_PER_EXECUTION = 32

# Seconds between backups when the config leaves it unset: an epoch's backup took 0.1-0.16 s for
# the digits convnet (a third of its epoch); every 30 s costs under 1% (BENCHMARKS.md).
BACKUP_INTERVAL = 30.0


def resolve_trainer_defaults(trainer: TrainerConfig, strategy_name: str) -> None:
    """Fill in `precision`, `jit_compile` (auto), `steps_per_execution` and `backup_interval`
    (null) for the strategy and backend that run; the resolved values are what the run's
    config.yaml records."""
    on_tpu = strategy_name == "tpu"
    if trainer.precision == "auto":
        trainer.precision = "mixed_bfloat16" if on_tpu else "float32"
    replicated = strategy_name in ("mirrored", "multi_worker")
    if trainer.steps_per_execution is None:
        # Several replicas run one step per call: Keras 3.15's multi-step loop does not build
        # under MirroredStrategy or MultiWorkerMirroredStrategy (InvalidArgumentError).
        trainer.steps_per_execution = 1 if replicated else STEPS_PER_EXECUTION
    gpus = bool(tf.config.list_logical_devices("GPU"))
    if trainer.jit_compile == "auto":
        if keras.backend.backend() == "jax":
            # Without jit, JAX runs every op on its own: an rnn-digits epoch took 65 s, not 0.08 s.
            trainer.jit_compile = True
        elif strategy_name != "tpu" and not gpus:
            # On CPU, XLA ran the convnet and the small MLPs slower (BENCHMARKS.md); GPUs and
            # TPUs keep Keras' "auto" (XLA where every layer supports it), as a plain script.
            trainer.jit_compile = False
    if trainer.jit_compile is True and replicated and not gpus:
        # XLA has no CPU collectives: the all-reduce would fail to compile (b/194942685).
        print("trainer.jit_compile: off for replicas on CPUs (XLA cannot all-reduce there).")
        trainer.jit_compile = False
    # Workers must back up the same epochs (each one's clock would pick its own): every epoch.
    cluster = strategy_name == "multi_worker"
    if cluster and trainer.backup_interval:
        print("trainer.backup_interval: every epoch in a cluster (workers back up together).")
    if trainer.backup_interval is None or cluster:
        trainer.backup_interval = 0.0 if cluster else BACKUP_INTERVAL


def worker_role(strategy: tf.distribute.Strategy) -> tuple[str, bool]:
    """("chief", True) for a single process and for the chief of a cluster (the `chief` task,
    or worker 0 when there is none); ("worker-N", False) for the other workers."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return "chief", True
    task_type, task_id = resolver.task_type, resolver.task_id
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    if task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief):
        return "chief", True
    return f"{task_type}-{task_id}", False


def describe(strategy: tf.distribute.Strategy) -> dict[str, object]:
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy places ops wherever TensorFlow chooses
        devices = []
    # Public names: tf.distribute.MultiWorkerMirroredStrategy's class calls itself
    # CollectiveAllReduceStrategy.
    public = {
        "MultiWorkerMirroredStrategy": tf.distribute.MultiWorkerMirroredStrategy,
        "MirroredStrategy": tf.distribute.MirroredStrategy,
        "OneDeviceStrategy": tf.distribute.OneDeviceStrategy,
        "TPUStrategy": tf.distribute.TPUStrategy,
    }
    name = next(
        (n for n, kind in public.items() if isinstance(strategy, kind)), type(strategy).__name__
    )
    return {
        "strategy": name,
        "replicas": strategy.num_replicas_in_sync,
        "replica_devices": devices,
    }
