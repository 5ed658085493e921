"""A scripted stand-in for a coding-agent CLI: `python recipe_scripted_agent.py PROMPT_FILE STATE_DIR`.

Run by `envport translate --agent cli` in the workspace. The first run writes a
translation that does not import (a misspelt base class), every later run the correct one; each prompt it
receives is copied to STATE_DIR so the test can read what envport sent.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recipe_fixtures import BROKEN, CORRECT  # noqa: E402

prompt_file, state = Path(sys.argv[1]), Path(sys.argv[2])
state.mkdir(parents=True, exist_ok=True)
runs = len(list(state.glob("prompt-*.md"))) + 1
(state / f"prompt-{runs}.md").write_text(prompt_file.read_text())
(state / f"cwd-{runs}.txt").write_text(str(Path.cwd()))
Path("jax_env.py").write_text(BROKEN if runs == 1 else CORRECT)
print(f"scripted agent run {runs}: wrote jax_env.py")
