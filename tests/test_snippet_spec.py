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
    priority: 30
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
