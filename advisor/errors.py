"""The two kinds of error a user can cause: bad input, and a bad rule file."""

from __future__ import annotations


class AdvisorError(Exception):
    """An error the CLI reports in one line with exit code 2."""


class InputError(AdvisorError):
    """A setup value or key that is not accepted."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class RuleError(AdvisorError):
    """A rule file that fails its load-time checks."""

    def __init__(self, file: str, message: str, *, rule: str | None = None, line: int | None = None) -> None:
        where = file + (f":{line}" if line else "")
        if rule:
            where += f" [{rule}]"
        super().__init__(f"{where}: {message}")
        self.file, self.rule, self.line, self.message = file, rule, line, message
