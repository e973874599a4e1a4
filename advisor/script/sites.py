"""Code sites: the places in a training script a code rule looks at, each with the facts seen there.

A site is one place (a DataLoader call, an evaluation loop, a loss call) with a line, the code as
written and a few facts about it, found by following names through the file (`flow`). The rules
in rules/code/ are conditions over these facts; `SITE_FACTS` is the vocabulary they may name, and
a fact the code does not settle is None, which a rule reads as unknown.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from advisor.script.flow import Flow
from advisor.script.names import Names, dotted_text, last

# site kind -> fact -> (kind, choices, description): the facts a code rule may name at each site
SITE_FACTS: dict[str, dict[str, tuple[str, tuple[str, ...], str]]] = {
    "eval_pass": {
        "grad_disabled": ("bool", (), "the model call runs under torch.no_grad()/inference_mode()"),
        "eval_mode": ("bool", (), "model.eval() is called before the evaluation loop"),
        "has_mode_layers": ("bool", (), "the model has dropout or batch-norm layers (a class in the file, or a "
                                        "pretrained torchvision/timm/Hugging Face model)"),
    },
    "train_step": {
        "zeroes_grad": ("bool", (), "the training loop clears gradients (zero_grad or grad = None)"),
    },
    "zero_grad": {
        "between_backward_and_step": ("bool", (), "the gradients are cleared after backward() and before step()"),
    },
    "loss_accumulation": {
        "grad_disabled": ("bool", (), "the accumulation runs under torch.no_grad()"),
        "across_steps": ("bool", (), "the accumulator lives across loop iterations"),
        "backpropagated": ("bool", (), "the accumulator itself is backpropagated"),
    },
    "loss_input": {
        "loss_kind": ("str", ("ce-logits", "bce-logits", "ce-probs", "bce-probs", "nll", "other"),
                      "what the loss expects: logits, probabilities or log-probabilities"),
        "input_activation": ("str", ("softmax", "log-softmax", "sigmoid", "linear"),
                             "the last activation the loss input went through"),
    },
    "log_call": {
        "input_activation": ("str", ("softmax", "log-softmax", "sigmoid", "linear"), "what the log is taken of"),
        "guarded": ("bool", (), "an epsilon is added or the input clamped before the log"),
    },
    "half_model": {
        "trains": ("bool", (), "the script backpropagates"),
        "loss_scaled": ("bool", (), "a GradScaler (or another loss scaler) is used"),
    },
    "grad_scaler": {
        "autocast_dtype": ("str", ("fp16", "bf16"), "the dtype autocast or the model runs in"),
    },
    "optimizer_built": {
        "later_change": ("str", ("adapters", "fsdp", "new-layer", "none"),
                         "what replaces the model's parameters after the optimizer took them"),
    },
    "data_loader": {
        "split": ("str", ("train", "eval"), "the split the loader serves"),
        "shuffle": ("bool", (), "shuffle=True"),
        "has_sampler": ("bool", (), "a sampler or batch_sampler is given"),
        "workers": ("number", (), "num_workers"),
        "heavy_transforms": ("bool", (), "the dataset decodes images or augments per sample"),
        "shuffled_once": ("bool", (), "the dataset was randomly split or shuffled once before"),
    },
    "api_use": {
        "api": ("str", ("torch-dataparallel", "torchvision-pretrained-flag", "keras-multi-gpu-model",
                        "keras-mixed-precision-experimental", "sklearn-fit-scoring"), "the API called"),
    },
    "preprocess_fit": {
        "fit_before_split": ("bool", (), "the fitted data is split into train and test afterwards"),
    },
    "metric_call": {
        "metric_needs": ("str", ("labels", "scores"), "what the metric expects"),
        "metric_input": ("str", ("labels", "scores"), "what it is given"),
    },
    "comparison": {
        "seeded": ("bool", (), "a random seed is set"),
    },
}


@dataclass
class Site:
    kind: str
    line: int
    code: str  # the source line(s) as written, for `why`
    facts: dict[str, Any] = field(default_factory=dict)


_EVAL_NAME = re.compile(r"eval|test|valid|predict|infer", re.I)
_TRAIN_NAME = re.compile(r"train", re.I)
_EVAL_DATA = re.compile(r"val|test|eval|dev", re.I)
_NO_GRAD = ("no_grad", "inference_mode", "set_grad_enabled")
_SEEDS = ("manual_seed", "seed", "set_seed", "seed_everything", "set_random_seed", "manual_seed_all")
_PREPROCESSING = ("sklearn.preprocessing.", "sklearn.feature_extraction.", "sklearn.decomposition.",
                  "sklearn.impute.", "sklearn.feature_selection.")
_SPLITTERS = ("train_test_split", "cross_val_score", "cross_validate", "cross_val_predict")
_LABEL_METRICS = ("accuracy_score", "f1_score", "precision_score", "recall_score", "balanced_accuracy_score",
                  "matthews_corrcoef", "confusion_matrix", "classification_report", "cohen_kappa_score")
_SCORE_METRICS = ("roc_auc_score", "average_precision_score", "log_loss", "brier_score_loss", "roc_curve",
                  "precision_recall_curve")
_HEAVY_DATASETS = ("ImageFolder", "DatasetFolder", "ImageNet", "CocoDetection", "VOCDetection")
_MODE_LAYER = re.compile(r"Dropout|BatchNorm|SyncBatchNorm|InstanceNorm|^dropout$")
MAX_PASSTHROUGH = 8
CALLER_DEPTH = 4  # how many callers up a function's context (no_grad, model.eval()) is followed
CODE_CHARS = 160  # the code a finding quotes
_AUGMENT = re.compile(r"Random|ColorJitter|AutoAugment|RandAugment|TrivialAugment|GaussianBlur")


class Finder:
    def __init__(self, tree: ast.Module) -> None:
        self.names = Names(tree)
        self.flow = Flow(self.names)
        self.tree = tree
        self.calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        self.backward_lines = [c.lineno for c in self.calls if _is_backward(c)]

    def code(self, node: ast.AST) -> str:
        """The code as seen, without comments: the simple statement holding `node`, or a loop's header."""
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}:"
        statement = next(self.names.enclosing(node, (ast.stmt,)), node) if not isinstance(node, ast.stmt) else node
        if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            node = statement
        text = " ".join(ast.unparse(node).split())
        return text if len(text) <= CODE_CHARS else text[:CODE_CHARS - 1] + "…"

    def site(self, kind: str, node: ast.AST, **facts: Any) -> Site:
        return Site(kind, node.lineno, self.code(node), facts)

    def sites(self) -> list[Site]:
        found: list[Site] = []
        for finder in (self.eval_passes, self.train_steps, self.loss_accumulations, self.loss_inputs,
                       self.log_calls, self.half_models, self.grad_scalers, self.optimizers, self.data_loaders,
                       self.api_uses, self.preprocess_fits, self.metric_calls, self.comparisons):
            found.extend(finder())
        return sorted(found, key=lambda s: (s.line, s.kind))

    # ------------------------------------------------------------ helpers
    def under_no_grad(self, node: ast.AST, depth: int = CALLER_DEPTH) -> bool | None:
        """The node runs with autograd off: inside a no_grad block or function, or every caller's call is
        (followed up to `depth` callers: recursion between functions ends there as unknown)."""
        for with_node in self.names.enclosing(node, (ast.With,)):
            if any(_grad_off(item.context_expr) for item in with_node.items):
                return True
        function = self.names.scope_of(node)
        if function is None:
            return False
        if any(_grad_off(d) for d in getattr(function, "decorator_list", [])):
            return True
        callers = self.names.calls_to.get(getattr(function, "name", ""), [])
        if not callers or depth <= 0:
            return None  # called from elsewhere: its callers decide
        states = {self.under_no_grad(c, depth - 1) for c in callers if c is not node}
        return True if states == {True} else False if states <= {False} else None

    def eval_called_before(self, node: ast.AST, model: str, depth: int = CALLER_DEPTH) -> bool | None:
        """`model.eval()` runs before `node`: earlier in its function, or before each call of that function."""
        function = self.names.scope_of(node)
        for call in self.calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr == "eval" and \
                    dotted_text(call.func.value) == model and self.names.scope_of(call) is function \
                    and call.lineno <= node.lineno:
                return True
        if function is None:
            return False
        if depth <= 0:
            return None
        callers = self.names.calls_to.get(getattr(function, "name", ""), [])
        if not callers:
            return None
        # the model as the caller names it: passed positionally where the parameter sits, or the same name
        params = [a.arg for a in function.args.args]
        states = set()
        for caller in callers:
            name = model
            if model in params and params.index(model) < len(caller.args):
                name = dotted_text(caller.args[params.index(model)]) or model
            states.add(self.eval_called_before(caller, name, depth - 1))
        return True if states == {True} else False if states <= {False} else None

    def loops(self) -> Iterator[ast.For]:
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                yield node

    def model_calls(self, body: ast.AST) -> list[ast.Call]:
        return [c for c in ast.walk(body) if isinstance(c, ast.Call) and self.flow.is_model(c.func)]

    # ------------------------------------------------------------ evaluation
    def eval_passes(self) -> Iterator[Site]:
        for loop in self.loops():
            if any(_is_backward(c) for c in ast.walk(loop)) or not isinstance(loop, (ast.For, ast.AsyncFor)):
                continue
            function = self.names.scope_of(loop)
            if not _EVAL_NAME.search(getattr(function, "name", "")) and not _EVAL_DATA.search(ast.unparse(loop.iter)):
                continue
            if any(isinstance(o, ast.ClassDef) and self.flow.is_model_class(o) for o in self.names.enclosing(loop, (ast.ClassDef,))):
                continue  # inside a LightningModule hook: the trainer handles grad and eval mode
            calls = self.model_calls(loop)
            if not calls:
                continue
            call = calls[0]
            model = dotted_text(call.func)
            yield self.site("eval_pass", call, grad_disabled=self.under_no_grad(call),
                            eval_mode=self.eval_called_before(loop, model), has_mode_layers=self.mode_layers(call.func))

    def mode_layers(self, model: ast.AST) -> bool | None:
        """Whether train/eval mode changes what the model computes: dropout or normalisation layers in its
        class (followed into the classes it builds), or a pretrained model, which has them."""
        cls = self.flow.model_class(model)
        if cls is None:
            value = self.names.value(model)
            for _ in range(MAX_PASSTHROUGH):
                if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and
                        value.func.attr in ("to", "cuda", "half", "float")):
                    break
                value = self.names.value(value.func.value)
            if isinstance(value, ast.Call) and (last(value.func) in ("from_pretrained", "create_model") or
                                                self.names.call_name(value).startswith("torchvision.models.")):
                return True
            return None
        return self.class_has_mode_layers(cls, 4)

    def class_has_mode_layers(self, cls: ast.ClassDef, depth: int) -> bool | None:
        for call in ast.walk(cls):
            if isinstance(call, ast.Call):
                name = last(call.func)
                if _MODE_LAYER.search(name):
                    return True
                inner = self.names.classes.get(name)
                if inner is not None and inner is not cls and depth > 0 and self.class_has_mode_layers(inner, depth - 1):
                    return True
        return False

    # ------------------------------------------------------------ training step
    def train_steps(self) -> Iterator[Site]:
        for loop in self.loops():
            backward = [c for c in ast.walk(loop) if isinstance(c, ast.Call) and _is_backward(c)]
            steps = [c for c in ast.walk(loop) if isinstance(c, ast.Call) and _is_optimizer_step(c)]
            if not backward or not steps or any(
                    isinstance(inner, (ast.For, ast.While)) and inner is not loop and
                    any(c in backward for c in ast.walk(inner)) for inner in ast.walk(loop)):
                continue  # the innermost loop with the step is the one judged
            bodies = [loop, *self.called_functions(loop)]
            zeroes = any(_zeroes(n) for body in bodies for n in ast.walk(body))
            if not zeroes and self.passes_optimizer_away(loop, steps):
                zeroes = None
            if not zeroes and _steps_are_framework(loop):
                zeroes = None
            yield self.site("train_step", backward[0], zeroes_grad=zeroes)
            first_backward, last_step = min(c.lineno for c in backward), max(c.lineno for c in steps)
            for node in ast.walk(loop):
                if isinstance(node, ast.Call) and _zeroes(node):
                    yield self.site("zero_grad", node,
                                    between_backward_and_step=first_backward < node.lineno < last_step and not
                                    any(first_backward < s.lineno < node.lineno for s in steps))

    def called_functions(self, loop: ast.AST) -> list[ast.AST]:
        return [self.names.functions[c.func.id] for c in ast.walk(loop) if isinstance(c, ast.Call)
                and isinstance(c.func, ast.Name) and c.func.id in self.names.functions]

    def passes_optimizer_away(self, loop: ast.AST, steps: list[ast.Call]) -> bool:
        optimizers = {dotted_text(s.func.value) for s in steps}
        return any(isinstance(c, ast.Call) and not _is_optimizer_step(c) and
                   any(dotted_text(a) in optimizers for a in c.args)
                   and not (isinstance(c.func, ast.Name) and c.func.id in self.names.functions)
                   for c in ast.walk(loop))

    # ------------------------------------------------------------ loss accumulation
    def loss_accumulations(self) -> Iterator[Site]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
                target, value = node.target.id, node.value
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                    last(node.value.func) == "append" and node.value.args and isinstance(node.value.func, ast.Attribute):
                target, value = dotted_text(node.value.func.value), node.value.args[0]
            else:
                continue
            if not self.is_loss_tensor(value):  # .item(), .detach(), float(...) are numbers, not graphs
                continue
            loop = next(self.names.enclosing(node, (ast.For, ast.While)), None)
            if loop is None:
                continue
            bound = self.names.binding(target, loop) if target else None
            across = bound is not None and bound.line < loop.lineno
            backprop = any(_is_backward(c) and self.mentions(_backward_target(c), target) for c in self.calls)
            yield self.site("loss_accumulation", node, grad_disabled=self.under_no_grad(node),
                            across_steps=across, backpropagated=backprop)

    def mentions(self, node: ast.AST, name: str, depth: int = 4) -> bool:
        """`node`'s value is computed from `name` (`total = content + style; total.backward()` uses `style`)."""
        if depth <= 0 or not name:
            return False
        for inner in ast.walk(node):
            text = dotted_text(inner)
            if text == name:
                return True
            if isinstance(inner, ast.Name):
                value = self.names.value(inner, hops=1)
                if value is not inner and self.mentions(value, name, depth - 1):
                    return True
        return False

    def is_loss_tensor(self, value: ast.AST, depth: int = 4) -> bool:
        """The value is a loss tensor still attached to the graph (not .item(), .detach(), float(...))."""
        if depth <= 0:
            return False
        if isinstance(value, ast.Call) and (last(value.func) in ("item", "detach", "float", "tolist", "numpy", "cpu")
                                            or isinstance(value.func, ast.Name) and value.func.id in ("float", "int")):
            return False
        resolved = self.names.value(value)
        if isinstance(value, ast.Name) and resolved is value:
            return False
        if isinstance(resolved, ast.Attribute) and resolved.attr == "loss":
            return True
        if isinstance(resolved, ast.BinOp):  # loss / accumulation_steps, loss * weight
            return self.is_loss_tensor(resolved.left, depth - 1) or self.is_loss_tensor(resolved.right, depth - 1)
        return isinstance(resolved, ast.Call) and self.flow.torch_loss(resolved) is not None

    # ------------------------------------------------------------ loss inputs
    def loss_inputs(self) -> Iterator[Site]:
        for call in self.calls:
            kind = self.flow.torch_loss(call)
            if kind is not None and call.args:
                yield self.site("loss_input", call, loss_kind=kind, input_activation=self.flow.activation(call.args[0]))
                continue
            if isinstance(call.func, ast.Attribute) and call.func.attr == "compile":
                keywords = {k.arg: k.value for k in call.keywords}
                loss = self.flow.keras_loss(keywords["loss"]) if "loss" in keywords else None
                if loss is None:
                    continue
                family, logits = loss
                kind = None if logits is None else f"{family}-{'logits' if logits else 'probs'}"
                yield self.site("loss_input", call, loss_kind=kind,
                                input_activation=self.flow.keras_output_activation(call.func.value))

    # ------------------------------------------------------------ log of a probability
    def log_calls(self) -> Iterator[Site]:
        for call in self.calls:
            name = self.names.call_name(call)
            if name in ("torch.log", "numpy.log", "np.log", "tensorflow.math.log", "tf.math.log", "keras.ops.log") \
                    and call.args:
                argument = call.args[0]
            elif isinstance(call.func, ast.Attribute) and call.func.attr == "log" and not call.args \
                    and not name.startswith(("math.", "numpy.", "torch.")):
                argument = call.func.value
            else:
                continue
            yield self.site("log_call", call, input_activation=self.flow.activation(argument),
                            guarded=_guarded(self.names.value(argument)) or _guarded(argument))

    # ------------------------------------------------------------ precision
    def half_models(self) -> Iterator[Site]:
        scaled = any(last(c.func) in ("GradScaler", "scale_loss", "initialize") or
                     self.names.call_name(c).startswith(("deepspeed.", "apex.")) for c in self.calls)
        for call in self.calls:
            if not isinstance(call.func, ast.Attribute):
                continue
            assigned = next((p.targets[0] for p in self.names.enclosing(call, (ast.Assign,))), None)
            if not (self.flow.is_model(call.func.value) or self.flow.model_class(call.func.value) is not None
                    or assigned is not None and self.flow.is_model(assigned)):
                continue
            if call.func.attr == "half" or call.func.attr == "to" and any(
                    last(a) == "float16" or last(a) == "half" for a in [*call.args, *(k.value for k in call.keywords)]):
                yield self.site("half_model", call, trains=bool(self.backward_lines), loss_scaled=scaled)

    def grad_scalers(self) -> Iterator[Site]:
        dtypes = set()
        for call in self.calls:
            if last(call.func) == "autocast":
                keywords = {k.arg: k.value for k in call.keywords}
                dtype = keywords.get("dtype")
                dtypes.add(_dtype(dtype) if dtype is not None else "fp16")
            elif last(call.func) in ("bfloat16",) and isinstance(call.func, ast.Attribute) and \
                    self.flow.is_model(call.func.value):
                dtypes.add("bf16")
        dtype = dtypes.pop() if len(dtypes) == 1 else None
        for call in self.calls:
            if last(call.func) == "GradScaler":
                yield self.site("grad_scaler", call, autocast_dtype=dtype)

    # ------------------------------------------------------------ order of model changes and optimizer
    def optimizers(self) -> Iterator[Site]:
        for call in self.calls:
            name = self.names.call_name(call)
            if not (name.startswith(("torch.optim.", "transformers.", "bitsandbytes.")) or name.startswith("optim.")):
                continue
            params = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "params"), None)
            if params is None or not last(call.func)[:1].isupper():
                continue
            model = _parameters_of(params)
            if model is None:
                continue
            scope = self.names.scope_of(call)
            change = "none"
            for later in ast.walk(scope or self.tree):
                if getattr(later, "lineno", 0) <= call.lineno or self.names.scope_of(later) is not scope:
                    continue
                found = self.replaces(later, model)
                if found:
                    change = found
                    break
            yield self.site("optimizer_built", call, later_change=change)

    def replaces(self, node: ast.AST, model: str) -> str | None:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            return None
        target = dotted_text(node.targets[0])
        func = last(node.value.func)
        if target == model and func in ("get_peft_model", "prepare_model_for_kbit_training") or \
                target == model and func in ("FSDP", "FullyShardedDataParallel"):
            return "adapters" if "peft" in func or "kbit" in func else "fsdp"
        if target.startswith(model + ".") and self.names.call_name(node.value).startswith(("torch.nn.", "nn.")):
            return "new-layer"
        return None

    # ------------------------------------------------------------ data loading
    def data_loaders(self) -> Iterator[Site]:
        for call in self.calls:
            if last(call.func) != "DataLoader":
                continue
            keywords, complete = self.names.keywords(call)
            dataset = call.args[0] if call.args else keywords.get("dataset")
            assigned = next((dotted_text(p.targets[0]) for p in self.names.enclosing(call, (ast.Assign,))), "")
            split = self.split_of(dataset, assigned)
            shuffle = _bool(self.names, keywords["shuffle"]) if "shuffle" in keywords else (False if complete else None)
            has_sampler = self.has_sampler([keywords[k] for k in ("sampler", "batch_sampler") if k in keywords],
                                           complete)
            workers = self.names.constant(keywords["num_workers"]) if "num_workers" in keywords else (0 if complete else None)
            yield self.site("data_loader", call, split=split, shuffle=shuffle, has_sampler=has_sampler,
                            workers=workers if isinstance(workers, int) and not isinstance(workers, bool) else None,
                            heavy_transforms=self.heavy(dataset), shuffled_once=self.shuffled_once(dataset))

    def has_sampler(self, given: list[ast.AST], complete: bool) -> bool | None:
        """A sampler object is passed (it decides the order); None given is none; a name that may be
        either (`sampler=train_sampler`, None unless distributed) is unknown, as are unread **kwargs."""
        states = set()
        for expr in given:
            value = self.names.value(expr)
            states.add(False if isinstance(value, ast.Constant) and value.value is None else
                       True if isinstance(value, ast.Call) else None)
        if True in states:
            return True
        if None in states or not complete:
            return None
        return False

    def split_of(self, dataset: ast.AST | None, assigned: str) -> str | None:
        texts = [assigned, dotted_text(dataset) if dataset is not None else ""]
        value = self.names.value(dataset) if dataset is not None else None
        if isinstance(value, ast.Call):
            keywords = {k.arg: k.value for k in value.keywords}
            if "train" in keywords and isinstance(self.names.constant(keywords["train"]), bool):
                return "train" if self.names.constant(keywords["train"]) else "eval"
            split = self.names.constant(keywords.get("split"))
            if isinstance(split, str):
                texts.append(split)
        for text in texts:
            if _EVAL_DATA.search(text or ""):
                return "eval"
            if _TRAIN_NAME.search(text or ""):
                return "train"
        return None

    def shuffled_once(self, dataset: ast.AST | None) -> bool | None:
        if dataset is None:
            return None
        value = self.names.self_attribute(dataset) or self.names.value(dataset)
        if isinstance(value, ast.Subscript):  # dataset["train"], splits[0]
            value = self.names.value(value.value)
        if not isinstance(value, ast.Call):
            return None
        return last(value.func) in ("random_split", "train_test_split", "shuffle") or \
            any(k.arg == "shuffle" and isinstance(k.value, ast.Constant) and k.value.value for k in value.keywords)

    def heavy(self, dataset: ast.AST | None) -> bool | None:
        value = self.names.value(dataset) if dataset is not None else None
        if not isinstance(value, ast.Call):
            return None
        if last(value.func) not in _HEAVY_DATASETS:
            return False
        keywords = {k.arg: k.value for k in value.keywords}
        transform = keywords.get("transform", value.args[1] if len(value.args) > 1 else None)
        text = ast.unparse(self.names.value(transform)) if transform is not None else ""
        return bool(_AUGMENT.search(text)) or last(value.func) != "DatasetFolder"

    # ------------------------------------------------------------ APIs
    def api_uses(self) -> Iterator[Site]:
        for call in self.calls:
            name = self.names.call_name(call)
            keywords = {k.arg for k in call.keywords}
            api = None
            if last(call.func) == "DataParallel" and name.startswith(("torch.nn.", "nn.")):
                api = "torch-dataparallel"
            elif name.startswith("torchvision.models.") and "pretrained" in keywords and \
                    self.names.constant(next(k.value for k in call.keywords if k.arg == "pretrained")) is not False:
                api = "torchvision-pretrained-flag"
            elif last(call.func) == "multi_gpu_model":
                api = "keras-multi-gpu-model"
            elif "mixed_precision.experimental." in name + ".":
                api = "keras-mixed-precision-experimental"
            elif last(call.func) == "fit" and "scoring" in keywords:
                api = "sklearn-fit-scoring"
            if api:
                yield self.site("api_use", call, api=api)

    # ------------------------------------------------------------ leakage
    def preprocess_fits(self) -> Iterator[Site]:
        for call in self.calls:
            if not isinstance(call.func, ast.Attribute) or call.func.attr not in ("fit", "fit_transform") or not call.args:
                continue
            built = self.names.value(call.func.value)
            if not (isinstance(built, ast.Call) and self.names.call_name(built).startswith(_PREPROCESSING)):
                continue
            data = dotted_text(call.args[0])
            if not data:
                continue
            outputs = {data}
            assign = next(self.names.enclosing(call, (ast.Assign,)), None)
            if assign is not None:
                outputs.add(dotted_text(assign.targets[0]))
            # the fitted data (or what the preprocessor made of it) is split afterwards: its test part leaked
            split_later = any(last(c.func) in _SPLITTERS and c.lineno > call.lineno and
                              any(self.mentions(a, name) for a in c.args for name in outputs) for c in self.calls)
            yield self.site("preprocess_fit", call, fit_before_split=split_later)

    # ------------------------------------------------------------ metrics
    def metric_calls(self) -> Iterator[Site]:
        for call in self.calls:
            name = last(call.func)
            if name not in _LABEL_METRICS + _SCORE_METRICS or len(call.args) < 2:
                continue
            needs = "labels" if name in _LABEL_METRICS else "scores"
            given = self.names.value(call.args[1])
            if isinstance(given, ast.Subscript):  # predict_proba(X)[:, 1]
                given = self.names.value(given.value)
            method = last(given.func) if isinstance(given, ast.Call) else ""
            output = {"predict": "labels", "predict_proba": "scores", "decision_function": "scores",
                      "predict_log_proba": "scores"}.get(method)
            yield self.site("metric_call", call, metric_needs=needs, metric_input=output)

    # ------------------------------------------------------------ seeds
    def comparisons(self) -> Iterator[Site]:
        # TrainingArguments seeds by default (seed=42); a `seed`/`random_state` argument seeds what it is given to
        seeded = any(last(c.func) in _SEEDS + ("TrainingArguments", "Seq2SeqTrainingArguments") for c in self.calls) \
            or any(k.arg in ("random_state", "seed") for c in self.calls for k in c.keywords)
        for loop in self.loops():
            if not isinstance(loop, ast.For):
                continue
            items = self.names.value(loop.iter)
            if isinstance(items, ast.Call) and last(items.func) in ("items", "zip", "enumerate") :
                inner = items.func.value if last(items.func) == "items" else (items.args[0] if items.args else None)
                items = self.names.value(inner) if inner is not None else None
            if not isinstance(items, (ast.List, ast.Tuple, ast.Dict)):
                continue
            elements = items.values if isinstance(items, ast.Dict) else items.elts
            # variants compared: settings (literals) or models (constructor calls), not a sequence of tasks
            if not (all(isinstance(e, ast.Constant) for e in elements) or all(isinstance(e, ast.Call) for e in elements)):
                continue
            count = len(elements)
            trains = any(isinstance(c, ast.Call) and (last(c.func) in ("fit", "train") or _is_backward(c))
                         for c in ast.walk(loop))
            if count >= 2 and trains:
                yield self.site("comparison", loop, seeded=seeded)


def _is_backward(call: ast.AST) -> bool:
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "backward" and (
        not call.args or last(call.func.value) in ("accelerator", "fabric", "self", "engine", "model"))


def _backward_target(call: ast.Call) -> ast.AST:
    return call.args[0] if call.args else call.func.value


def _is_optimizer_step(call: ast.Call) -> bool:
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "step"):
        return False
    owner = dotted_text(call.func.value).lower()
    return "optim" in owner or owner in ("opt", "self.opt") or owner.endswith("scaler")


def _steps_are_framework(loop: ast.AST) -> bool:
    """A `scaler.step(optimizer)` or a framework engine steps; it may not clear gradients where we can see."""
    return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "step" and
               last(c.func.value) in ("engine", "model_engine") for c in ast.walk(loop))


def _zeroes(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "zero_grad":
        return True
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets)


def _grad_off(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return isinstance(node, ast.Attribute) and node.attr in _NO_GRAD[:2]
    name = last(node.func)
    if name == "set_grad_enabled":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value is False
    return name in _NO_GRAD[:2]


def _guarded(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return True
    return isinstance(node, ast.Call) and last(node.func) in ("clamp", "clip", "clamp_min", "clip_by_value", "maximum")


def _dtype(node: ast.AST) -> str | None:
    name = last(node) if not isinstance(node, ast.Constant) else str(node.value)
    return {"bfloat16": "bf16", "float16": "fp16", "half": "fp16"}.get(name)


def _bool(names: Names, node: ast.AST) -> bool | None:
    value = names.constant(node)
    return value if isinstance(value, bool) else None


def _parameters_of(node: ast.AST) -> str | None:
    """`model.parameters()` / `model.named_parameters()` / a comprehension over them: the model's name."""
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
                call.func.attr in ("parameters", "named_parameters"):
            return dotted_text(call.func.value) or None
    return None
