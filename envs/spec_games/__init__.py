"""Games written from a specification by `envport create`: each port's package holds its reference (`reference.py`),
its conformance tests (`test_conformance.py`, run with `python -m pytest -p recipe.conformance ...`), the questions its
spec left open (`OPEN_QUESTIONS.md`) and its translations."""
