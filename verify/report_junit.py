"""Moved to verify.reports.junit. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.reports.junit import render_junit  # noqa: F401
