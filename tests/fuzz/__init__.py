"""Fuzzing the input contract: random and hostile input for every way in (CLI, files, library, Monitor).

`harness` holds the case generators, the runners and the one judge of what counts as a failure;
the test modules run a bounded, seeded sample of each target, and `scripts/fuzz.py` runs many
more cases and prints the figures.
"""
