"""Each recipe's `model` section as a typed dataclass, `Options`, in a module of the recipe's
name. These modules import no TensorFlow, so configs are validated before it starts; the
recipe itself receives the validated instance as `options` (`config.model`)."""
