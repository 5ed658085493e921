"""Moved to verify.reports.render. Kept only for recipe/cli.py's imports; delete once it imports from there."""

from verify.reports.render import load_report, render_all  # noqa: F401
