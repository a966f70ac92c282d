"""Prompt templates are data files in prompts/, loaded by name. A placeholder left unfilled (or a value the template
never uses) is an error, so a template edit cannot silently drop the passages or the question."""
from __future__ import annotations

import string
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
USER_MARKER = "=== user ==="


class PromptError(ValueError):
    pass


def render_messages(name: str, **values: str) -> list[dict]:
    """[system, user] chat messages from prompts/NAME.txt, whose two parts are split by a '=== user ===' line."""
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        template = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"no prompt template '{name}' ({path})") from None
    if USER_MARKER not in template:
        raise PromptError(f"{path}: missing the '{USER_MARKER}' line between system and user parts")
    system, user = (part.strip() for part in template.split(USER_MARKER, 1))
    _check_placeholders(path, system + "\n" + user, values)
    return [{"role": "system", "content": system.format(**values)}, {"role": "user", "content": user.format(**values)}]


def _check_placeholders(path: Path, template: str, values: dict) -> None:
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    if missing := used - values.keys():
        raise PromptError(f"{path}: no value for placeholder(s) {', '.join(sorted(missing))}")
    if unused := values.keys() - used:
        raise PromptError(f"{path}: the template never uses {', '.join(sorted(unused))}")
