"""Moved to verify.mutation.analysis. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.mutation.analysis import run_mutation_analysis  # noqa: F401
