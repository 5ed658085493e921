"""Moved to verify.reports.markdown. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.reports.markdown import render_markdown  # noqa: F401
