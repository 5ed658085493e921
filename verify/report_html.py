"""Moved to verify.reports.html. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.reports.html import render_html  # noqa: F401
