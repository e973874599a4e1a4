"""JSON Schemas of the setup file and of the rule file format, generated from their tables.

The setup schema comes from the field table in fields.py (plus the `rules`
key), the rule schema from the rule loader's key table, so neither can drift
from what the loaders accept. Editors use them to complete and check
`advisor.yaml` and rule files; `schemas/*.schema.json` are committed copies
that a test keeps current (`advisor schema setup > schemas/setup.schema.json`).

The schemas describe the canonical spellings; the loaders also accept case
and `_`/`-` variants of names, which a schema cannot express compactly.
"""

from __future__ import annotations

import json
from typing import Any

from advisor.setup import fields, units
from advisor.vocabulary import SEVERITIES

DRAFT = "http://json-schema.org/draft-07/schema#"
KINDS = ("setup", "rules")


def _field_schema(field: fields.Field) -> dict[str, Any]:
    aliases = sorted(fields._ALIASES.get(field.name, {}))
    names = list(field.choices) + [a for a in aliases if a not in field.choices]
    schema: dict[str, Any]
    if field.examples:
        schema = {"type": "string", "examples": list(field.examples)}
    elif field.name == "class_counts":
        schema = {"anyOf": [{"type": "string"}, {"type": "array", "minItems": 2,
                                                  "items": {"type": ["integer", "string"]}}]}
    elif field.kind == "set":
        schema = {"anyOf": [{"type": "array", "uniqueItems": True, "items": {"enum": names}}, {"type": "string"}]}
    elif field.kind == "bool":
        schema = {"anyOf": [{"type": "boolean"}, {"enum": sorted(units._TRUE | units._FALSE)}]}
    elif field.choices:
        schema = {"enum": names}
    elif field.kind in ("int", "number"):
        # the range from the field table; a string (`7B`, `80GiB`) is checked by the loader alone
        schema = {"type": ["integer" if field.kind == "int" else "number", "string"]}
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    elif field.kind == "ratio":
        schema = {"type": ["string", "number"], "examples": ["1:20", "20:1", "5%", 0.05]}
    else:
        schema = {"type": "string"}
    description = f"{field.help} (flag {field.cli_flag}{', ' + field.unit if field.unit else ''})"
    return {"description": description, **schema}


def setup_schema() -> dict[str, Any]:
    properties = {f.key: _field_schema(f) for f in fields.FIELDS}
    for f in fields.FIELDS:  # the normalised name is accepted too, so a normalised setup reads back
        if f.input_key:
            properties[f.name] = {**properties[f.key], "description": f"same as {f.key}"}
    properties["rules"] = {"description": "extra folders or files of rules, relative to this file",
                           "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    properties["$schema"] = {"type": "string", "description": "this schema, for editors"}
    return {
        "$schema": DRAFT,
        "title": "advisor setup file",
        "description": "A training setup for `advisor` (advisor.yaml, advisor.toml, or [tool.advisor] in "
                       "pyproject.toml). Every key is optional; command-line flags override the file.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def rules_schema() -> dict[str, Any]:
    from advisor.rulebook import loader as rulebook

    from advisor.rulebook import diagnosis

    found, _ = rulebook.load_diagnosis(rulebook.builtin_dir() / diagnosis.CAUSE_FILE)
    strategies, _ = rulebook.load_strategies(rulebook.builtin_dir() / rulebook.STRATEGY_FILE, found.causes)
    setup = setup_schema()
    example_setup = {k: v for k, v in setup.items() if k not in ("$schema", "title", "description")}
    example_setup["properties"] = {k: v for k, v in setup["properties"].items() if k not in ("rules", "$schema")}
    types = {str: "string", int: "integer", list: "array", dict: "object"}
    rule: dict[str, Any] = {}
    for key, (accepted, _required, what) in rulebook._RULE_KEYS.items():
        kind = [types[t] for t in accepted]
        rule[key] = {"description": what, "type": kind[0] if len(kind) == 1 else kind}
    rule["id"]["pattern"] = rulebook._ID.pattern
    rule["strategy"]["enum"] = sorted(strategies)
    rule["severity"]["enum"] = list(SEVERITIES)
    for key in ("title", "why", "do"):
        rule[key]["maxLength"] = rulebook.TEXT_CHARS
    rule["when"]["maxLength"] = rulebook.CONDITION.chars
    rule["sources"]["items"] = {"type": "integer", "minimum": min(rulebook.SECTIONS),
                                "maximum": max(rulebook.SECTIONS)}
    rule["references"]["items"] = {"type": "string"}
    rule["code"].update(propertyNames={"enum": list(rulebook.FRAMEWORKS)},
                        additionalProperties={"type": "string", "minLength": 1, "maxLength": rulebook.TEXT_CHARS})
    rule["snippets"].update(propertyNames={"enum": list(rulebook.FRAMEWORKS)}, additionalProperties={
        "type": "object", "additionalProperties": False, "properties": {
            "needs": {"type": "array", "items": {"type": "string", "pattern": rulebook._PACKAGE.pattern}},
            "runs": {"type": "boolean"}, "reason": {"type": "string"},
            "replace": {"type": "object", "additionalProperties": {"type": "string"}}}})
    condition = {"type": "string", "maxLength": rulebook.CONDITION.chars}
    text = {"type": "string", "maxLength": rulebook.TEXT_CHARS}
    rule["treats"].update(propertyNames={"enum": sorted(found.causes)},
                          additionalProperties={"enum": list(diagnosis.DIRECTNESS)})
    rule["cost"]["enum"] = list(diagnosis.COSTS)
    rule["evidence"]["items"] = {
        "type": "object", "required": ["when", "weight"], "additionalProperties": False,
        "properties": {"when": condition, "says": text,
                       "weight": {"type": "integer", "minimum": min(diagnosis.WEIGHTS), "maximum": max(diagnosis.WEIGHTS),
                                  "not": {"const": 0}}}}
    rule["contra"]["items"] = {"type": "object", "required": ["when", "says", "effect"], "additionalProperties": False,
                               "properties": {"when": condition, "says": text, "effect": {"enum": list(diagnosis.EFFECTS)}}}
    rule["examples"].update(required=["fires", "silent"], additionalProperties=False, properties={
        kind: {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/setup"}}
        for kind in ("fires", "silent")})
    return {
        "$schema": DRAFT,
        "title": "advisor rule file",
        "description": "A file of advisor rules (see rules/README.md); check one with `advisor rules validate`.",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {"rules": {"type": "array", "items": {"$ref": "#/definitions/rule"}}},
        "definitions": {
            "rule": {"type": "object", "properties": rule, "additionalProperties": False,
                     "required": [k for k, (_, required, _) in rulebook._RULE_KEYS.items() if required]},
            "setup": example_setup,
        },
    }


def render(kind: str) -> str:
    """The schema as committed: two-space JSON with a final newline."""
    schema = setup_schema() if kind == "setup" else rules_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
