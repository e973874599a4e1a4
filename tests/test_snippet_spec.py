"""A rule's `snippets:` entry (what the snippet test needs) is checked when the rule loads."""

from pathlib import Path

import pytest

from advisor.rulebook import loader as rulebook

RULE = """\
rules:
  - id: TST101
    title: Weight the loss
    strategy: class-weighting
    severity: high
    cost: low
    when: imbalance_ratio >= 4
    why: Ratio {{class_ratio}}.
    do: Weight it.
    code:
      pytorch: |
        import torch.distributed as dist
        dist.init_process_group("nccl")
{snippets}    sources: [12]
    examples:
      fires: [{class_ratio: "1:20"}]
      silent: [{class_ratio: "1:2"}]
"""


def load(tmp_path: Path, snippets: str):
    path = tmp_path / "team.yaml"
    path.write_text(RULE.replace("{snippets}", snippets))
    book, errors = rulebook.load_rulebook([path], collect=True)
    return book.get("TST101"), [str(e) for e in errors]


def test_a_rule_without_snippets_runs_as_shown(tmp_path):
    rule, errors = load(tmp_path, "")
    assert errors == [] and rule.snippets == {}


def test_a_cpu_variant_loads_with_its_needs_reason_and_replacements(tmp_path):
    rule, errors = load(tmp_path, """\
    snippets:
      pytorch:
        needs: [scikit-learn, peft]
        runs: false
        reason: NCCL needs GPUs
        replace:
          '"nccl"': '"gloo"'
""")
    assert errors == []
    spec = rule.snippets["pytorch"]
    assert spec == rulebook.SnippetSpec(("scikit-learn", "peft"), False, "NCCL needs GPUs", (('"nccl"', '"gloo"'),))


@pytest.mark.parametrize("snippets, message", [
    ("    snippets:\n      keras:\n        needs: [keras]\n", "snippets.keras: the rule has no code for 'keras'"),
    ("    snippets:\n      pytorch:\n        runs: false\n", "give a 'reason' exactly when 'runs: false'"),
    ("    snippets:\n      pytorch:\n        reason: slow\n", "give a 'reason' exactly when 'runs: false'"),
    ("    snippets:\n      pytorch:\n        runs: maybe\n", "snippets.pytorch.runs must be true or false"),
    ("    snippets:\n      pytorch:\n        needs: torch\n", "needs must be a list of pip package names"),
    ("    snippets:\n      pytorch:\n        needs: ['pip install x']\n", "needs must be a list of pip package names"),
    ("    snippets:\n      pytorch:\n        replace: {'\"mpi\"': '\"gloo\"'}\n", "'\"mpi\"' does not occur in code.pytorch"),
    ("    snippets:\n      pytorch:\n        runz: false\n", "unknown key 'runz'; did you mean 'runs'"),
    ("    snippets:\n      pytorch: [torch]\n", "snippets.pytorch must be a map"),
])
def test_a_bad_snippets_entry_is_a_load_error_naming_the_rule(tmp_path, snippets, message):
    rule, errors = load(tmp_path, snippets)
    assert rule is None and len(errors) == 1
    assert message in errors[0] and "TST101" in errors[0] and "team.yaml" in errors[0]


def test_every_built_in_snippet_entry_loads():
    book, errors = rulebook.load_rulebook(collect=True)
    assert errors == []
    marked = [(r.id, fw) for r in book.rules for fw, spec in r.snippets.items() if not spec.runs]
    assert all(book.get(rid).snippets[fw].reason for rid, fw in marked)


def test_every_snippet_first_line_lists_the_users_names_it_reads():
    """`# uses your: model, optimizer` names exactly the contract names the snippet reads without defining them."""
    from tests.snippets import names

    book, _ = rulebook.load_rulebook()
    wrong = []
    for rule in book.rules:
        for framework, code in rule.code.items():
            listed, reads = names.declared(code), names.free_names(code, framework)
            if listed != reads:
                wrong.append(f"{rule.id}-{framework}: first line {code.splitlines()[0]!r}, "
                             f"want {names.header_for(code, framework)!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("code, framework, header", [
    ("model = get_peft_model(model, config)\n", "huggingface", "# uses your: model"),
    ("model = build()\nmodel.fit(x_train, y_train)\n", "keras", "# uses your: x_train, y_train"),
    ("def step(batch):\n    return model(batch)\nfor b in train_loader:\n    step(b)\n", "pytorch",
     "# uses your: model, train_loader"),
    ("def step(model):\n    return model\nimport torch\ndevice = torch.device('cpu')\n", "pytorch",
     "# uses your: nothing (self-contained)"),
    ("trainer.fit(lit_model, train_dataloaders=train_loader)\n", "lightning", "# uses your: lit_model, train_loader"),
    ("lr = {{lr_typical:.3g}}\nfor g in optimizer.param_groups:\n    g['lr'] = lr\n", "pytorch",
     "# uses your: optimizer"),
])
def test_the_header_lists_names_read_before_they_are_bound(code, framework, header):
    from tests.snippets import names

    assert names.header_for(code, framework) == header
    assert names.declared(header + "\n" + code) == names.free_names(code, framework)


def test_every_torchvision_name_a_snippet_uses_exists_in_its_public_api():
    """The torchvision snippets cannot run here (no CPU build beside torch 2.13): their names are resolved."""
    import ast

    from tests.snippets import names, torchvision_api

    book, _ = rulebook.load_rulebook()
    checked, wrong = 0, []
    for rule in book.rules:
        for framework, code in rule.code.items():
            if "torchvision" not in code:
                continue
            checked += 1
            problems = torchvision_api.unresolved(ast.parse(names.parseable(code)))
            wrong += [f"{rule.id}-{framework}: {p}" for p in problems]
    assert checked >= 5, "no torchvision snippet found: the table and this test are dead"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("code, problem", [
    ("from torchvision.transforms import v2\nt = v2.ToTensor()\n", "torchvision.transforms.v2.ToTensor"),
    ("from torchvision.transforms import v2\nt = v2.RandomResizedCrops(224)\n", "torchvision.transforms.v2.RandomResizedCrops"),
    ("from torchvision.models import ResNet50_Weights\nw = ResNet50_Weights.IMAGENET\n", "ResNet50_Weights.IMAGENET"),
    ("from torchvision.models import resnet51\n", "torchvision.models.resnet51"),
    ("from torchvision import datasets\nd = datasets.CIFAR11\n", "torchvision.datasets.CIFAR11"),
])
def test_a_misspelt_or_removed_torchvision_name_is_found(code, problem):
    import ast

    from tests.snippets import torchvision_api

    assert problem in torchvision_api.unresolved(ast.parse(code))


def test_an_item_says_when_another_frameworks_code_is_shown():
    """Code for the framework asked comes first; when a rule has none, `code_note` says whose code is shown."""
    from advisor import pipeline
    from advisor.rank.engine import FRAMEWORK_FALLBACK, FRAMEWORK_NAMES

    book = pipeline.rulebook_for(())
    # a rule without code for a framework that another rule has code for (which rule changes as code is added)
    framework, without = next((fw, r) for fw in ("lightning", "keras", "huggingface") for r in book.rules
                              if r.code and fw not in r.code and "framework" not in r.examples["fires"][0])
    with_own = next(r for r in book.rules if framework in r.code)
    for rule, own in ((without, False), (with_own, True)):
        report = pipeline.advise({**rule.examples["fires"][0], "framework": framework}).report
        item = next(i for i in report["advice"] if rule.id in i["rules"])
        first = next(iter(item["code"]))
        if own:
            assert first == framework and "code_note" not in item
        elif framework not in item["code"]:  # no rule merged into the item brought code for the framework
            fallback = FRAMEWORK_FALLBACK.get(framework)
            expected = fallback if fallback in rule.code else next(iter(rule.code))
            assert first == expected
            assert item["code_note"] == (f"no {FRAMEWORK_NAMES[framework]} code for this rule; "
                                         f"{FRAMEWORK_NAMES[expected]} code shown")
