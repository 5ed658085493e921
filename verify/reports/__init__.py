"""Verification reports: the model the levels fill in and serialise to JSON (`model`), and the renderers
that read that JSON (`common` helpers; `markdown`, `html`, `junit`; `render` loads and writes them)."""
