"""advisor: ranked, explained training advice with working code, from declarative rules.

    from advisor import diagnose, Setup
    report = diagnose(Setup(gpu_mem_gb=8, class_ratio="1:20"))

Names are imported on first use so that `advisor --format json` never pays
for pydantic.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import AdvisorError, InputError, RuleError

__all__ = ["diagnose", "Setup", "Report", "Advice", "Monitor", "AdvisorError", "InputError", "RuleError"]
__version__ = "0.1.0"

_LAZY = {"diagnose": "api", "Setup": "models", "Report": "models", "Advice": "models", "Monitor": "live.monitor"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
