"""`advisor schema`: the committed JSON Schemas are current and accept what the loaders accept."""

import json
from pathlib import Path

import pytest

from advisor.setup import fields
from advisor.render import schema
from advisor.errors import InputError

SCHEMAS = Path(__file__).parent.parent / "schemas"


@pytest.mark.parametrize("kind", schema.KINDS)
def test_committed_schema_is_current(kind):
    committed = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema.render(kind), \
        f"schemas/{kind}.schema.json is stale: run `advisor schema {kind} > schemas/{kind}.schema.json`"


def test_cli_prints_the_schema(run_cli):
    code, out, _ = run_cli("schema")
    assert code == 0 and json.loads(out)["properties"].keys() == {*fields.BY_KEY, "rules", "$schema"}
    code, out, _ = run_cli("schema", "rules")
    assert code == 0 and "rule" in json.loads(out)["definitions"]


def test_setup_schema_accepts_what_the_parser_accepts_and_rejects_typos():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(schema.setup_schema())
    good = {"gpu": "a100-80gb", "gpu_mem_gb": "80GB", "model_params": "7B", "class_ratio": "1:20",
            "symptoms": ["nan-loss", "oom"], "pretrained": "yes", "precision": "bf16", "rules": "team-rules/"}
    fields.normalize_setup({k: v for k, v in good.items() if k != "rules"})
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({"gpu_mem": 8}))  # the typo normalize_setup rejects too
    assert list(validator.iter_errors({"precision": "fp61"}))


def test_rule_files_validate_against_the_rule_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from advisor.rulebook import loader as rulebook, yamlfile

    validator = jsonschema.Draft7Validator(schema.rules_schema())
    code_rules = rulebook.builtin_dir() / rulebook.CODE_FOLDER  # `advisor check`'s format, not this schema's
    files = [p for p in rulebook.rule_files(rulebook.builtin_dir()) if code_rules not in p.parents]
    assert files
    for path in files:
        errors = list(validator.iter_errors(yamlfile.load(path.read_text(encoding="utf-8"))))
        assert not errors, f"{path.name}: {errors[0].message}"


def test_schema_ranges_are_the_field_table_s():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(schema.setup_schema())
    for field in (f for f in fields.FIELDS if f.kind in ("int", "number")):
        assert list(validator.iter_errors({field.key: field.maximum})) == []
        assert list(validator.iter_errors({field.key: field.maximum * 10}))  # the loader refuses it too
        with pytest.raises(InputError):
            fields.normalize_setup({field.key: field.maximum * 10})
    # the documented key and the normalised name that says its unit
    assert list(validator.iter_errors({"gpu_mem_gb": 24})) == list(validator.iter_errors({"gpu_mem_gib": 24})) == []
