"""What a value is, followed through the file: a model, a loss, the activation an output ends in.

Answers are facts or None ("could not tell"): a model call resolved to a class defined in the file
is followed into its `forward`, a layer `self.fc` to its assignment in `__init__`, a Keras model to
its last layer, a loss object to where it was built.
"""

from __future__ import annotations

import ast

from advisor.script.names import Names, last

# the function or layer class name -> the activation it applies
_ACTIVATION_CALLS = {"softmax": "softmax", "log_softmax": "log-softmax", "sigmoid": "sigmoid",
                     "Softmax": "softmax", "LogSoftmax": "log-softmax", "Sigmoid": "sigmoid"}
_LINEAR_LAYERS = {"Linear", "LazyLinear", "Dense", "Bilinear"}
_KERAS_ACTIVATIONS = {"softmax": "softmax", "sigmoid": "sigmoid", "linear": "linear", None: "linear",
                      "log_softmax": "log-softmax"}
# methods that return their receiver's values unchanged in kind (shape, device or dtype only)
_PASSTHROUGH = {"view", "reshape", "squeeze", "unsqueeze", "flatten", "float", "double", "half", "bfloat16", "to", "cuda", "cpu",
                "train", "eval", "requires_grad_",
                "contiguous", "permute", "transpose", "view_as", "clone"}
_PASSTHROUGH_FUNCS = {"torch.flatten", "torch.squeeze", "torch.reshape", "torch.unsqueeze"}
_MODEL_BASES = {"Module", "LightningModule", "Model", "PreTrainedModel"}
_MODEL_FACTORIES = ("from_pretrained", "create_model", "get_peft_model", "Sequential", "DistributedDataParallel",
                    "DataParallel", "FullyShardedDataParallel", "FSDP", "DDP", "compile", "prepare_model_for_kbit_training")
MAX_CHAIN = 8  # method calls followed along one expression
MODEL_NAMES = ("model", "net", "network", "classifier", "backbone", "module")

# loss callables: name -> how it treats its input (one vocabulary; keras names carry from_logits)
TORCH_LOSSES = {"CrossEntropyLoss": "ce-logits", "cross_entropy": "ce-logits",
                "BCEWithLogitsLoss": "bce-logits", "binary_cross_entropy_with_logits": "bce-logits",
                "BCELoss": "bce-probs", "binary_cross_entropy": "bce-probs",
                "NLLLoss": "nll", "nll_loss": "nll",
                "MSELoss": "other", "mse_loss": "other", "L1Loss": "other", "l1_loss": "other",
                "SmoothL1Loss": "other", "smooth_l1_loss": "other", "KLDivLoss": "other", "kl_div": "other",
                "HuberLoss": "other", "huber_loss": "other"}
KERAS_LOSSES = {"CategoricalCrossentropy": "ce", "SparseCategoricalCrossentropy": "ce",
                "categorical_crossentropy": "ce", "sparse_categorical_crossentropy": "ce",
                "BinaryCrossentropy": "bce", "binary_crossentropy": "bce", "BinaryFocalCrossentropy": "bce",
                "binary_focal_crossentropy": "bce"}


class Flow:
    def __init__(self, names: Names) -> None:
        self.names = names

    # ------------------------------------------------------------ models
    def model_class(self, node: ast.AST) -> ast.ClassDef | None:
        """The class defined in this file that `node` (a name, `Net()`, `Net().to(dev)`) is an instance of."""
        node = self.names.value(node)
        for _ in range(MAX_CHAIN):  # Net().to(device).train()
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _PASSTHROUGH):
                break
            node = self.names.value(node.func.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            cls = self.names.classes.get(node.func.id)
            if cls is not None and self.is_model_class(cls):
                return cls
        return None

    def is_model_class(self, cls: ast.ClassDef, depth: int = 4) -> bool:
        for base in cls.bases:
            name = last(base)
            if name in _MODEL_BASES:
                return True
            inner = self.names.classes.get(name)
            if inner is not None and depth > 0 and self.is_model_class(inner, depth - 1):
                return True
        return False

    def is_model(self, node: ast.AST) -> bool:
        """A name the file binds to a model, or names model-like (`model`, `net`) as scripts do."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            value = self.names.self_attribute(node)
            return value is not None and (self.model_class(value) is not None or self._factory(value))
        if not isinstance(node, ast.Name):
            return False
        value = self.names.value(node)
        if self.model_class(node) is not None or self._factory(value):
            return True
        lowered = node.id.lower()
        return lowered in MODEL_NAMES or lowered.endswith(("model", "_net"))

    def _factory(self, value: ast.AST) -> bool:
        if not isinstance(value, ast.Call):
            return False
        name = self.names.call_name(value)
        return name.startswith(("torchvision.models.", "timm.")) or last(value.func) in _MODEL_FACTORIES \
            or (isinstance(value.func, ast.Attribute) and value.func.attr in _PASSTHROUGH and self._factory(value.func.value))

    # ------------------------------------------------------------ activations
    def activation(self, node: ast.AST, depth: int = 8) -> str | None:
        """The last activation `node`'s value went through: softmax, log-softmax, sigmoid, linear; None unknown."""
        if depth <= 0:
            return None
        node = self.names.value(node)
        if isinstance(node, ast.Attribute) and node.attr == "logits":  # transformers' ModelOutput.logits
            return "linear"
        if not isinstance(node, ast.Call):
            return None
        func, name = node.func, last(node.func)
        if name in _ACTIVATION_CALLS and (isinstance(func, ast.Attribute) or name[0].islower()):
            return _ACTIVATION_CALLS[name]
        if isinstance(func, ast.Attribute) and name in _PASSTHROUGH:
            return self.activation(func.value, depth - 1)
        if self.names.call_name(node) in _PASSTHROUGH_FUNCS and node.args:
            return self.activation(node.args[0], depth - 1)
        module = self.module(func)
        if module is not None:
            return self.module_activation(module, depth - 1)
        if isinstance(func, ast.Name) and func.id == "self" or \
                isinstance(func, ast.Attribute) and func.attr == "forward" and last(func.value) == "self":
            cls = next(self.names.enclosing(node, (ast.ClassDef,)), None)
            return self.forward_activation(cls, depth - 1) if cls else None
        cls = self.model_class(func)
        if cls is not None:
            return self.forward_activation(cls, depth - 1)
        keras_layer = self.names.value(func)
        if isinstance(keras_layer, ast.Call):  # layers.Dense(10, activation="softmax")(x)
            return self.layer_activation(keras_layer)
        return None

    def module(self, func: ast.AST) -> ast.AST | None:
        """The layer object a call goes to: `self.fc` -> nn.Linear(...), `act = nn.Softmax()` -> that call."""
        value = self.names.self_attribute(func) if isinstance(func, ast.Attribute) else None
        if value is None and isinstance(func, ast.Name):
            bound = self.names.value(func)
            value = bound if bound is not func else None
        if isinstance(value, ast.Call) and (last(value.func) in _ACTIVATION_CALLS or last(value.func) in _LINEAR_LAYERS
                                            or last(value.func) == "Sequential"):
            return value
        return None

    def module_activation(self, module: ast.Call, depth: int) -> str | None:
        name = last(module.func)
        if name in _ACTIVATION_CALLS:
            return _ACTIVATION_CALLS[name]
        if name in _LINEAR_LAYERS:
            return "linear" if name != "Dense" else self.layer_activation(module)
        if name == "Sequential" and module.args and depth > 0:
            layers = module.args[0].elts if isinstance(module.args[0], (ast.List, ast.Tuple)) else module.args
            inner = layers[-1] if layers else None
            return self.module_activation(inner, depth - 1) if isinstance(inner, ast.Call) else None
        return None

    def forward_activation(self, cls: ast.ClassDef, depth: int) -> str | None:
        method = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name in ("forward", "call")), None)
        if method is None:
            return None
        found = {self.activation(r.value, depth) for r in ast.walk(method) if isinstance(r, ast.Return) and r.value}
        return found.pop() if len(found) == 1 else None

    def layer_activation(self, layer: ast.Call) -> str | None:
        """A Keras layer's activation: Dense(activation=...) (none given: linear), Softmax(), Activation('x')."""
        name = last(layer.func)
        if name in _ACTIVATION_CALLS:
            return _ACTIVATION_CALLS[name]
        if name == "Activation" and layer.args:
            return _KERAS_ACTIVATIONS.get(self.names.constant(layer.args[0]))
        if name == "Dense":
            keywords = {k.arg: k.value for k in layer.keywords}
            if "activation" not in keywords:
                return "linear" if len(layer.args) < 2 else _KERAS_ACTIVATIONS.get(self.names.constant(layer.args[1]))
            value = keywords["activation"]
            if isinstance(value, ast.Constant):
                return _KERAS_ACTIVATIONS.get(value.value)
            if isinstance(value, ast.Attribute):  # keras.activations.softmax, tf.nn.sigmoid
                return _KERAS_ACTIVATIONS.get(value.attr)
            resolved = self.names.constant(value)
            return _KERAS_ACTIVATIONS.get(resolved) if isinstance(resolved, str) or resolved is None and \
                isinstance(self.names.value(value), ast.Constant) else None
        return None

    def keras_output_activation(self, model: ast.AST) -> str | None:
        """The activation of a Keras model's last layer: Sequential([...]) / .add(...), or Model(inputs, outputs)."""
        value = self.names.value(model)
        if not isinstance(value, ast.Call):
            return None
        name = last(value.func)
        if name == "Sequential":
            layers = list(value.args[0].elts) if value.args and isinstance(value.args[0], (ast.List, ast.Tuple)) else []
            if isinstance(model, ast.Name):
                layers += [c.args[0] for c in ast.walk(self.names.tree) if isinstance(c, ast.Call)
                           and isinstance(c.func, ast.Attribute) and c.func.attr == "add" and c.args
                           and isinstance(c.func.value, ast.Name) and c.func.value.id == model.id]
            return self.layer_activation(layers[-1]) if layers and isinstance(layers[-1], ast.Call) else None
        if name == "Model":
            keywords = {k.arg: k.value for k in value.keywords}
            outputs = keywords.get("outputs", value.args[1] if len(value.args) > 1 else None)
            return self.activation(outputs) if outputs is not None else None
        return None

    # ------------------------------------------------------------ losses
    def torch_loss(self, call: ast.Call) -> str | None:
        """How a call's loss treats its input, when it is a torch loss (`F.cross_entropy(...)`, `criterion(...)`)."""
        name = last(call.func)
        dotted = self.names.call_name(call)
        if name in TORCH_LOSSES and dotted.startswith(("torch.", "F.", "nn.")) and name[0].islower():
            return TORCH_LOSSES[name]
        built = self.names.value(call.func) if isinstance(call.func, ast.Name) else \
            self.names.self_attribute(call.func)
        if isinstance(built, ast.Call) and last(built.func) in TORCH_LOSSES and last(built.func)[0].isupper() \
                and self.names.call_name(built).startswith(("torch.", "nn.")):
            return TORCH_LOSSES[last(built.func)]
        return None

    def keras_loss(self, node: ast.AST) -> tuple[str, bool | None] | None:
        """A Keras loss (`"binary_crossentropy"`, `BinaryCrossentropy(from_logits=True)`): (kind, from_logits)."""
        node = self.names.value(node)
        if isinstance(node, ast.Constant) and node.value in KERAS_LOSSES:
            return KERAS_LOSSES[node.value], False
        if isinstance(node, ast.Call) and last(node.func) in KERAS_LOSSES:
            keywords = {k.arg: k.value for k in node.keywords}
            logits = self.names.constant(keywords["from_logits"]) if "from_logits" in keywords else False
            return KERAS_LOSSES[last(node.func)], logits if isinstance(logits, bool) else None
        if isinstance(node, ast.Attribute) and node.attr in KERAS_LOSSES:
            return KERAS_LOSSES[node.attr], False
        return None
