"""The built-in knowledge base, installed as `advisor.rules` (pyproject.toml): data only, see README.md."""
