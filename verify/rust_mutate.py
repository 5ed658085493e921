"""Moved to verify.mutation.rust. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.mutation.rust import CRATE, run_rust_mutation_analysis  # noqa: F401
