"""Setup facts read from training code: framework, model, optimizer, lr, batch size, precision, LoRA, ...

Each fact is a value with the line it was read from, and only a value the file settles is
recorded: `lr=args.lr` counts when the argparse default (or the one call of the function) gives
it, and is left out otherwise. `setup()` keeps the facts that are setup fields, as
`normalize_setup` reads them; the rest (workers, epochs, clipping, scheduler, parallelism)
stay code facts, shown beside the setup.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from advisor.script.names import Names, dotted_text, last

# optimizer class or HF `optim=` name -> the setup's optimizer vocabulary (advisor.setup.fields.OPTIMIZERS)
_OPTIMIZERS = {"sgd": "sgd", "adam": "adam", "adamw": "adamw", "adamw8bit": "adamw-8bit", "pagedadamw8bit": "adamw-8bit",
               "adamw_8bit": "adamw-8bit", "adamw_bnb_8bit": "adamw-8bit", "paged_adamw_8bit": "adamw-8bit",
               "adafactor": "adafactor", "adamw_torch": "adamw", "adamw_hf": "adamw", "adamw_torch_fused": "adamw",
               "adam8bit": "adamw-8bit"}
_OPTIMIZER_MODULES = ("torch.optim.", "optim.", "transformers.", "bitsandbytes.", "bnb.", "keras.optimizers.",
                      "tensorflow.keras.optimizers.", "tf.keras.optimizers.", "timm.optim.")
# precision spellings of TrainingArguments, Lightning, Accelerate and Keras policies -> setup precision
_PRECISIONS = {"16-mixed": "fp16", "16": "fp16", "16-true": "fp16", "bf16-mixed": "bf16", "bf16": "bf16",
               "bf16-true": "bf16-pure", "32": "fp32", "32-true": "fp32", "fp16": "fp16", "no": "fp32",
               "mixed_float16": "fp16", "mixed_bfloat16": "bf16", "float16": "fp16", "bfloat16": "bf16-pure",
               "float32": "fp32", "64": "fp32", "64-true": "fp32"}
_TORCHVISION = "torchvision.models."
_ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj", "query", "key", "value", "q", "k", "v", "o"}


@dataclass(frozen=True)
class Fact:
    value: Any
    line: int
    default: bool = False  # the library's default at that call (TrainingArguments' optim), not written out


class Reader:
    def __init__(self, tree: ast.Module, names: Names) -> None:
        self.tree, self.names = tree, names
        self.facts: dict[str, Fact] = {}
        self.calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]

    def put(self, name: str, value: Any, node: ast.AST, *, default: bool = False) -> None:
        # a fact counts only from code that runs with the file's defaults: `if quantize:` with
        # --quantize off by default does not make the run 4-bit
        if value is not None and name not in self.facts and self.names.reachable(node):
            self.facts[name] = Fact(value, node.lineno, default)

    def const(self, call: ast.Call, keyword: str, position: int | None = None) -> Any:
        for k in call.keywords:
            if k.arg == keyword:
                return self.names.constant(k.value)
        if position is not None and position < len(call.args):
            return self.names.constant(call.args[position])
        return None

    def keyword(self, call: ast.Call, keyword: str) -> ast.AST | None:
        return next((k.value for k in call.keywords if k.arg == keyword), None)

    def read(self) -> dict[str, Fact]:
        self.framework()
        for call in self.calls:
            name, short = self.names.call_name(call), last(call.func)
            self.model(call, name, short)
            self.optimizer(call, name, short)
            self.hf_arguments(call, short)
            self.lightning(call, name, short)
            self.keras(call, name, short)
            self.precision(call, name, short)
            self.lora(call, short)
            self.loader(call, short)
            self.training(call, name, short)
        return self.facts

    # ------------------------------------------------------------ framework
    def framework(self) -> None:
        """From the imports, the most specific first: Lightning and HF code is PyTorch code too."""
        imports = [n for n in ast.walk(self.tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        if not imports:
            return
        modules = {m.split(".")[0] for m in self.names.imports.values()}
        shorts = set(self.names.imports)
        if modules & {"lightning", "pytorch_lightning"}:
            framework = "lightning"
        elif "transformers" in modules and ({"Trainer", "TrainingArguments", "Seq2SeqTrainer"} & shorts
                                            or "accelerate" in modules or "peft" in modules):
            framework = "huggingface"
        elif "keras" in modules or any(v.startswith("tensorflow.keras") for v in self.names.imports.values()):
            framework = "keras"
        elif "tensorflow" in modules:
            framework = "tensorflow"
        elif "torch" in modules or "transformers" in modules:
            framework = "pytorch"
        elif "sklearn" in modules:
            framework = "sklearn"
        else:
            return
        self.put("framework", framework, min(imports, key=lambda n: n.lineno))

    # ------------------------------------------------------------ model
    def model(self, call: ast.Call, name: str, short: str) -> None:
        if short == "from_pretrained" and "Tokenizer" not in dotted_text(call.func) and \
                "Config" not in dotted_text(call.func) and "Processor" not in dotted_text(call.func):
            model_id = self.const(call, "pretrained_model_name_or_path", 0)
            if isinstance(model_id, str):
                self.put("model_id", model_id, call)
            self.put("pretrained", True, call)
            if self.const(call, "load_in_4bit") is True:
                self.put("quantization", "4bit", call)
            elif self.const(call, "load_in_8bit") is True:
                self.put("quantization", "int8", call)
            config = self.keyword(call, "quantization_config")
            built = self.names.value(config) if config is not None else None
            if isinstance(built, ast.Call) and last(built.func) == "BitsAndBytesConfig":
                if self.const(built, "load_in_4bit") is True:
                    self.put("quantization", "4bit", built)
                elif self.const(built, "load_in_8bit") is True:
                    self.put("quantization", "int8", built)
        elif name.startswith(_TORCHVISION) and (short[:1].islower() or isinstance(call.func, ast.Subscript)) \
                and short not in ("get_model", "get_weight"):
            # models.resnet50(...), or models.__dict__[args.arch](...) with the flag's default
            arch = self.names.constant(call.func.slice) if isinstance(call.func, ast.Subscript) else short
            if isinstance(arch, str):
                self.put("model_id", arch, call)
            weights, pretrained = self.keyword(call, "weights"), self.const(call, "pretrained")
            if pretrained is True or weights is not None and not (isinstance(weights, ast.Constant)
                                                                  and weights.value is None):
                self.put("pretrained", True, call)
        elif name in ("timm.create_model",):
            model_id = self.const(call, "model_name", 0)
            if isinstance(model_id, str):
                self.put("model_id", model_id, call)
            if self.const(call, "pretrained") is True:
                self.put("pretrained", True, call)

    # ------------------------------------------------------------ optimizer
    def optimizer(self, call: ast.Call, name: str, short: str) -> None:
        if not name.startswith(_OPTIMIZER_MODULES) or not short[:1].isupper():
            return
        kind = _OPTIMIZERS.get(short.lower())
        if short.lower() == "sgd":
            momentum = self.const(call, "momentum", 2)
            kind = "sgd" if isinstance(momentum, (int, float)) and momentum > 0 or \
                (self.keyword(call, "momentum") is not None and momentum is None) else "sgd-plain"
        if kind is None and (short.endswith("Scheduler") or "lr_scheduler" in name or short[0] == "_"):
            return
        if kind is None and not name.startswith(("torch.optim.", "optim.", "keras.optimizers.",
                                                  "tensorflow.keras.optimizers.", "tf.keras.optimizers.")):
            return
        if "lr_scheduler" in name or "schedules" in name:
            return
        self.put("optimizer", kind or "other", call)
        self.put("optimizer_class", short, call)
        lr = self.const(call, "lr", 1 if name.startswith(("torch.optim.", "optim.")) else None)
        if lr is None:
            lr = self.const(call, "learning_rate")
        if isinstance(lr, (int, float)) and not isinstance(lr, bool):
            self.put("lr", float(lr), call)
        decay = self.const(call, "weight_decay")
        if isinstance(decay, (int, float)) and not isinstance(decay, bool):
            self.put("weight_decay", float(decay), call)

    # ------------------------------------------------------------ Hugging Face TrainingArguments / Trainer
    def hf_arguments(self, call: ast.Call, short: str) -> None:
        if short not in ("TrainingArguments", "Seq2SeqTrainingArguments", "SFTConfig"):
            return
        numbers = {"learning_rate": "lr", "per_device_train_batch_size": "batch_size", "weight_decay": "weight_decay",
                   "num_train_epochs": "epochs", "max_grad_norm": "grad_clip", "warmup_steps": "warmup_steps",
                   "warmup_ratio": "warmup_ratio", "dataloader_num_workers": "workers",
                   "gradient_accumulation_steps": "grad_accumulation"}
        for key, fact in numbers.items():
            value = self.const(call, key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.put(fact, value, call)
        # TrainingArguments' defaults: optim "adamw_torch", lr_scheduler_type "linear"
        # (https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments)
        optim = self.const(call, "optim")
        if isinstance(optim, str):
            self.put("optimizer", _OPTIMIZERS.get(optim, "other"), call)
        elif self.keyword(call, "optim") is None:
            self.put("optimizer", "adamw", call, default=True)
        if self.const(call, "bf16") is True:
            self.put("precision", "bf16", call)
        elif self.const(call, "fp16") is True:
            self.put("precision", "fp16", call)
        if self.const(call, "gradient_checkpointing") is True:
            self.put("gradient_checkpointing", True, call)
        scheduler = self.const(call, "lr_scheduler_type")
        if isinstance(scheduler, str):
            self.put("scheduler", scheduler, call)
        elif self.keyword(call, "lr_scheduler_type") is None:
            self.put("scheduler", "linear", call, default=True)
        for key, parallel in (("deepspeed", "deepspeed"), ("fsdp", "fsdp")):
            if self.keyword(call, key) is not None and self.const(call, key) not in ("", None, False):
                self.put("parallelism", parallel, call)

    # ------------------------------------------------------------ Lightning Trainer
    def lightning(self, call: ast.Call, name: str, short: str) -> None:
        if short != "Trainer" or not name.startswith(("lightning", "pytorch_lightning", "pl.", "L.", "Trainer")):
            return
        if name == "Trainer" and "lightning" not in {m.split(".")[0] for m in self.names.imports.values()} and \
                "pytorch_lightning" not in {m.split(".")[0] for m in self.names.imports.values()}:
            return
        precision = self.const(call, "precision")
        if precision is not None and str(precision) in _PRECISIONS:
            self.put("precision", _PRECISIONS[str(precision)], call)
        for key, fact in (("max_epochs", "epochs"), ("gradient_clip_val", "grad_clip"),
                          ("accumulate_grad_batches", "grad_accumulation")):
            value = self.const(call, key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.put(fact, value, call)
        strategy = self.const(call, "strategy")
        if isinstance(strategy, str):
            self.put("parallelism", "deepspeed" if "deepspeed" in strategy else strategy.split("_")[0], call)

    # ------------------------------------------------------------ Keras
    def keras(self, call: ast.Call, name: str, short: str) -> None:
        if short == "set_global_policy" or short == "Policy" and "mixed_precision" in name:
            policy = self.const(call, "policy", 0) if short == "set_global_policy" else self.const(call, "name", 0)
            if isinstance(policy, str) and policy in _PRECISIONS:
                self.put("precision", _PRECISIONS[policy], call)
        if not isinstance(call.func, ast.Attribute):
            return
        if short == "compile" and self.keyword(call, "optimizer") is not None:
            optimizer = self.names.value(self.keyword(call, "optimizer"))
            if isinstance(optimizer, ast.Constant) and isinstance(optimizer.value, str):
                self.put("optimizer", _OPTIMIZERS.get(optimizer.value.lower(), "other"), call)
        if short == "fit" and self.keyword(call, "epochs") is not None:
            for key, fact in (("batch_size", "batch_size"), ("epochs", "epochs")):
                value = self.const(call, key)
                if isinstance(value, int) and not isinstance(value, bool):
                    self.put(fact, value, call)

    # ------------------------------------------------------------ precision
    def precision(self, call: ast.Call, name: str, short: str) -> None:
        if short == "autocast":
            dtype = self.keyword(call, "dtype")
            self.put("precision", "bf16" if dtype is not None and last(dtype) == "bfloat16" else "fp16", call)
        elif short == "GradScaler":
            self.put("precision", "fp16", call)
        elif short == "Accelerator" or short == "Fabric":
            precision = self.const(call, "mixed_precision" if short == "Accelerator" else "precision")
            if precision is not None and str(precision) in _PRECISIONS:
                self.put("precision", _PRECISIONS[str(precision)], call)
        elif isinstance(call.func, ast.Attribute) and short in ("half", "bfloat16") and \
                last(call.func.value).lower().endswith(("model", "net")):
            self.put("precision", "fp16" if short == "half" else "bf16-pure", call)
        elif short in ("gradient_checkpointing_enable",) or name.startswith("torch.utils.checkpoint."):
            self.put("gradient_checkpointing", True, call)

    # ------------------------------------------------------------ LoRA
    def lora(self, call: ast.Call, short: str) -> None:
        if short != "LoraConfig":
            return
        rank = self.const(call, "r")
        self.put("fine_tuning", "lora", call)
        if isinstance(rank, int) and not isinstance(rank, bool):
            self.put("lora_rank", rank, call)
        targets = self.const(call, "target_modules")
        if targets == "all-linear":
            self.put("lora_targets", "all-linear", call)
        elif isinstance(targets, (list, tuple)) and targets and all(isinstance(t, str) for t in targets):
            short_names = {t.split(".")[-1] for t in targets}
            if short_names <= {"q_proj", "v_proj", "query", "value", "q", "v"} and len(short_names) == 2:
                self.put("lora_targets", "qv", call)
            elif short_names <= _ATTENTION:
                self.put("lora_targets", "attention", call)
            else:
                self.put("lora_targets", "all-linear", call)

    # ------------------------------------------------------------ data loading
    def loader(self, call: ast.Call, short: str) -> None:
        if short != "DataLoader":
            return
        keywords, _ = self.names.keywords(call)
        target = next((dotted_text(p.targets[0]) for p in self.names.enclosing(call, (ast.Assign,))), "")
        function = self.names.scope_of(call)
        role = target + " " + getattr(function, "name", "") + " " + (ast.unparse(call.args[0]) if call.args else "")
        if "train" not in role.lower():
            return
        for key, fact in (("batch_size", "batch_size"), ("num_workers", "workers"), ("shuffle", "shuffle")):
            if key in keywords:
                value = self.names.constant(keywords[key])
                if value is not None and not (fact != "shuffle" and isinstance(value, bool)):
                    self.put(fact, value, call)

    # ------------------------------------------------------------ training loop and wrappers
    def training(self, call: ast.Call, name: str, short: str) -> None:
        if short in ("clip_grad_norm_", "clip_grad_value_"):
            value = self.const(call, "max_norm", 1) if short == "clip_grad_norm_" else self.const(call, "clip_value", 1)
            self.put("grad_clip", value if isinstance(value, (int, float)) and not isinstance(value, bool) else True, call)
        elif short in ("DistributedDataParallel", "DDP"):
            self.put("parallelism", "ddp", call)
        elif short in ("FullyShardedDataParallel", "FSDP", "fully_shard"):
            self.put("parallelism", "fsdp", call)
        elif short == "DataParallel":
            self.put("parallelism", "dataparallel", call)
        elif name.startswith("deepspeed.") and short == "initialize":
            self.put("parallelism", "deepspeed", call)
        elif short == "get_peft_model":
            self.put("fine_tuning", "lora", call)
        elif "lr_scheduler" in name or short.startswith("get_") and short.endswith("_schedule_with_warmup") or \
                short == "get_scheduler":
            self.put("scheduler", short, call)
            warmup = self.const(call, "num_warmup_steps")
            if isinstance(warmup, int) and not isinstance(warmup, bool):
                self.put("warmup_steps", warmup, call)


def read(tree: ast.Module, names: Names) -> dict[str, Fact]:
    reader = Reader(tree, names)
    facts = reader.read()
    _argparse_defaults(reader)
    quantized = facts.get("quantization")
    if quantized is not None and "precision" not in facts:
        facts["precision"] = Fact(quantized.value, quantized.line)
    if facts.get("fine_tuning", Fact(None, 0)).value == "lora" and quantized is not None and quantized.value == "4bit":
        facts["fine_tuning"] = Fact("qlora", facts["fine_tuning"].line)
    if "fine_tuning" not in facts and facts.get("pretrained") and facts.get("framework", Fact(None, 0)).value == \
            "huggingface" and any(last(c.func) in ("train", "backward") for c in reader.calls):
        facts["fine_tuning"] = Fact("full", facts["pretrained"].line)
    return facts


def _argparse_defaults(reader: Reader) -> None:
    """Scripts that take their settings from flags: the flag defaults, when the code did not settle them."""
    defaults = reader.names.arg_defaults
    pairs = {"lr": "lr", "learning_rate": "lr", "batch_size": "batch_size", "epochs": "epochs",
             "num_train_epochs": "epochs", "weight_decay": "weight_decay", "workers": "workers",
             "num_workers": "workers", "per_device_train_batch_size": "batch_size"}
    for flag, fact in pairs.items():
        value = defaults.get(flag)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and fact not in reader.facts:
            line = next((c.lineno for c in reader.calls if last(c.func) == "add_argument" and any(
                isinstance(a, ast.Constant) and str(a.value).lstrip("-").replace("-", "_") == flag for a in c.args)), 1)
            reader.facts[fact] = Fact(value, line)
