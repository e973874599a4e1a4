"""Harness that executes every rule's code snippet against the real libraries (tests/test_snippets.py)."""
