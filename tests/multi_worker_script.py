"""One worker of a two-worker cluster training a tiny model with plain Keras `fit()` under
MultiWorkerMirroredStrategy. Usage: python multi_worker_script.py INDEX PORT0,PORT1 PATCH(0|1)

Prints `OK <final loss>` or `FAILED <error>`: the compat test runs it unpatched (Keras 3.15
fails) and patched (both workers train in sync)."""

import json
import os
import sys

index, ports, patch = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3] == "1"
cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
os.environ["TF_CONFIG"] = json.dumps(
    {"cluster": cluster, "task": {"type": "worker", "index": index}}
)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if patch:
    from common.distribute import compat

    compat.patch_keras()
strategy = tf.distribute.MultiWorkerMirroredStrategy()
rng = np.random.default_rng(0)
x = rng.normal(size=(128, 4)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
with strategy.scope():
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
try:
    history = model.fit(dataset, epochs=2, validation_data=dataset, verbose=0)
    print("OK", f"{history.history['loss'][-1]:.6f}", f"{history.history['val_accuracy'][-1]:.6f}")
except Exception as error:  # noqa: BLE001 - the test reads what went wrong
    print("FAILED", type(error).__name__, str(error).splitlines()[0][:200])
