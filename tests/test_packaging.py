"""The wheel ships every subpackage and the rule files (CI also installs the wheel and runs it)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_finds_every_subpackage_and_the_rules_through_the_link():
    """pyproject's packages.find, as setuptools reads it: every advisor package, advisor.rules among them (the link
    advisor/rules -> ../rules), and nothing else (the rule topic folders are data, not packages)."""
    from setuptools import find_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    found = set(find_packages(str(ROOT), include=find["include"]))
    expected = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "advisor").rglob("__init__.py")
                if "rules" not in p.relative_to(ROOT / "advisor").parts[:-1]}
    assert (ROOT / "advisor" / "rules").resolve() == (ROOT / "rules").resolve()
    assert found == expected | {"advisor.rules"}


def test_the_wheel_ships_every_rule_file_and_topic_readme_but_not_the_snippet_checks():
    """package-data as setuptools reads it (glob, recursive) covers rules/ in every subfolder."""
    import glob

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    source = ROOT / "advisor" / "rules"
    shipped = {Path(p) for pattern in setuptools["package-data"]["advisor.rules"]
               for p in glob.glob(pattern, root_dir=source, recursive=True)}
    data = {p.relative_to(source) for p in source.rglob("*") if p.suffix in (".yaml", ".md")}
    assert data == shipped and Path("memory/MEM001.yaml") in shipped and Path("memory/README.md") in shipped
    assert not [p for p in shipped if p.suffix == ".py"]  # <ID>.check.py: test code, not shipped


DISTRIBUTION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
# Where people read install lines and extras hints: the docs, the messages under advisor/, the scripts.
TEXTS = ["README.md", "ARCHITECTURE.md", "rules/README.md", "advisor/**/*.py", "scripts/*.py", "tests/**/*.py", ".ci/run"]


def _install_targets(text: str):
    """The requirement names after each `pip install` (paths like `.` or `'.[test]'` name no project)."""
    for line in re.findall(r"pip install ([^\n`]*)", text):
        for word in line.split("&&")[0].split("#")[0].split():
            word = word.strip("'\"(),;")
            if word and not word.startswith(("-", ".", "/", "$", "~")):
                yield re.match(r"[\w.-]*", word).group(0)


def test_the_distribution_name_is_not_the_unrelated_advisor_on_pypi():
    assert DISTRIBUTION == "training-advisor"
    assert (ROOT / "advisor" / "__init__.py").is_file()  # the import package keeps its name


def test_every_install_line_and_extras_hint_names_this_distribution():
    """A bare `advisor`, with or without extras, is an unrelated project on PyPI."""
    wrong = []
    for pattern in TEXTS:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text(encoding="utf-8")
            wrong += [f"{path.relative_to(ROOT)}: pip install {name}" for name in _install_targets(text)
                      if name.lower() == "advisor"]
            wrong += [f"{path.relative_to(ROOT)}: {hint}" for hint in re.findall(r"(?<![\w-])advisor\[\w+\]", text)]
    assert not wrong, f"use {DISTRIBUTION!r}: " + "; ".join(wrong)
