"""Typed pydantic models for library users: `Setup` in, `Report` out.

`Setup` is generated from the field table in `fields.py` and validated by the
same parser the CLI uses, so both accept and reject exactly the same input.
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from advisor.rulebook.diagnosis import PROBLEM_KINDS
from advisor.setup import fields
from advisor.vocabulary import SEVERITIES
from advisor.errors import InputError


def _annotation(field: fields.Field) -> Any:
    if field.kind == "set":
        return list[Literal[field.choices]]  # type: ignore[valid-type]
    if field.choices:
        return Optional[Literal[field.choices]]  # type: ignore[valid-type]
    return Optional[{"number": float, "int": int, "bool": bool, "ratio": str, "str": str}[field.kind]]


class _SetupBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_none=True, by_alias=True)  # model_config is an alias
        if not isinstance(data, Mapping):
            raise ValueError(f"a setup is a mapping of setup keys, not {type(data).__name__}")
        try:
            return fields.as_data(fields.normalize_setup(dict(data)))
        except InputError as exc:
            raise ValueError(str(exc)) from None

    def given(self) -> dict[str, Any]:
        """The fields that were set, normalised and shown as plain data ("1:20"), under their setup keys."""
        return {k: v for k, v in self.model_dump(exclude_none=True, by_alias=True).items() if v != []}


def _attribute(name: str) -> str:
    # a setup key that pydantic reserves (model_config) lives under another attribute, aliased to the key
    return name + "_" if hasattr(BaseModel, name) else name


Setup = create_model(  # type: ignore[call-overload]
    "Setup",
    __base__=_SetupBase,
    __doc__="A training setup; every field optional. Accepts the forms people type: '8GB', '7B', '1:20', '5%'.",
    **{_attribute(f.name): (_annotation(f), Field([] if f.kind == "set" else None, alias=f.name, description=f.help))
       for f in fields.FIELDS},
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Out):
    rule: str
    text: str
    facts: dict[str, Any]


class Evidence(_Out):
    text: str
    weight: int
    facts: dict[str, Any]


class CauseRef(_Out):
    id: str
    title: str
    score: int


class Advice(_Out):
    rank: int
    strategy: str
    rule: str
    rules: list[str]
    title: str
    score: int
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    cause: CauseRef  # the cause this fix treats that the evidence points at most
    addresses: list[str]  # the present problems that cause explains; empty: general advice
    evidence_for: list[Evidence]
    evidence_against: list[Evidence]
    code_note: Optional[str] = None  # says so when the code shown is not for the framework asked
    why: list[Reason]
    do: str
    code: dict[str, str]
    source: list[int]
    references: list[str]


class Dropped(_Out):
    strategy: str
    rule: str
    reason: str


class Missing(_Out):
    field: str
    flag: str
    rules: list[str]
    hint: str


class Detected(_Out):
    """A symptom found in a training log: where it began and the numbers that show it."""

    symptom: Literal[fields.SYMPTOMS]  # type: ignore[valid-type]
    step: float
    evidence: str


class LogValue(_Out):
    """A setup value read from the training log, and where in the log it comes from."""

    field: str
    value: Any
    source: str


class LogSummary(_Out):
    """The training log read: its format, its rows, what the reader noted, the setup values it gave."""

    path: str
    format: str
    rows: int
    notes: list[str]
    values: list[LogValue]


class Problem(_Out):
    id: str
    kind: Literal[PROBLEM_KINDS]  # type: ignore[valid-type]
    text: str


class Cause(_Out):
    id: str
    title: str
    score: int
    explains: list[str]
    evidence: list[Evidence]


class Report(_Out):
    setup: dict[str, Any]
    facts: dict[str, Any]
    problems: list[Problem]  # what the advice addresses: declared symptoms and concerns, revealed problems
    causes: list[Cause]  # the differential: causes of those problems, most likely first
    advice: list[Advice]
    dropped: list[Dropped]
    missing: list[Missing]
    detected: Optional[list[Detected]] = None
    log: Optional[LogSummary] = None  # with a training log: what it was and what it gave the setup
    findings: Optional[list[dict[str, Any]]] = None  # advisor check's findings in the training code (--script)
    explain: Optional[list[dict[str, Any]]] = None


def validation_error(title: str, error: InputError, value: Any) -> ValidationError:
    """The pydantic ValidationError the library raises for bad input that no model checks (Monitor's arguments)."""
    message = str(error).removeprefix(f"{error.field}: ")
    return ValidationError.from_exception_data(
        title, [{"type": "value_error", "loc": (error.field,), "input": value, "ctx": {"error": message}}])
