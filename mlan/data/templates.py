"""Turning a normalized record into an instruction-formatted conversation (paper, App. C.2).

The prompt is drawn per instance from a seeded ``random.Random`` handed in by the caller;
the answer type comes from the record (its dataset's definition), never from the text.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from mlan.data.records import LETTERS, Record
from mlan.errors import ConfigError

IMAGE_TOKEN = "<image>"
PROMPT_KINDS = ("mc", "short", "yesno", "direct")


@dataclass(frozen=True)
class Instructions:
    layout: dict[str, str]
    target: str
    prompts: dict[str, list[str]]

    @classmethod
    def load(cls, path: str | Path) -> Instructions:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(
                f"instructions file '{path}' (config key 'instructions') cannot be read: {error}"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping with layout, target, {', '.join(PROMPT_KINDS)}")
        missing = [key for key in ("layout", "target", *PROMPT_KINDS) if key not in (data or {})]
        if missing:
            raise ConfigError(f"{path}: missing key(s) {', '.join(missing)}")
        for kind in PROMPT_KINDS:
            prompts = data[kind]
            if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p for p in prompts):
                raise ConfigError(f"{path}: '{kind}' must be a non-empty list of prompts")
        if not isinstance(data["layout"], dict):
            raise ConfigError(f"{path}: 'layout' must map mc, short and yesno to a template")
        for kind in ("mc", "short", "yesno"):
            if kind not in data["layout"]:
                raise ConfigError(f"{path}: layout.{kind} is missing")
            _check_placeholders(path, f"layout.{kind}", data["layout"][kind], LAYOUT_FIELDS[kind], LAYOUT_OPTIONAL)
        _check_placeholders(path, "target", data["target"], {"answer"}, {"direct"})
        return cls(dict(data["layout"]), data["target"], {kind: list(data[kind]) for kind in PROMPT_KINDS})


# Placeholders a template must use (a layout without {question} would silently drop the
# question from every instance) and those it may use.
LAYOUT_FIELDS = {"mc": {"question", "instruction", "options"}, "short": {"question", "instruction"}}
LAYOUT_FIELDS["yesno"] = LAYOUT_FIELDS["short"]
LAYOUT_OPTIONAL = {"context", "options"}


def _check_placeholders(path, key: str, template, required: set[str], optional: set[str]) -> None:
    if not isinstance(template, str) or not template.strip():
        raise ConfigError(f"{path}: '{key}' must be a non-empty string")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ConfigError(f"{path}: '{key}' is not a valid template ({error})") from None
    if missing := sorted(required - used):
        raise ConfigError(f"{path}: '{key}' lacks the placeholder(s) {', '.join('{' + m + '}' for m in missing)}")
    if unknown := sorted(used - required - optional):
        raise ConfigError(
            f"{path}: '{key}' has unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
            f"allowed: {', '.join('{' + a + '}' for a in sorted(required | optional))}"
        )


def options_block(choices: list[str]) -> str:
    return "\n".join(f"{LETTERS[i]}. {choice}" for i, choice in enumerate(choices))


def human_turn(record: Record, instruction: str, layout: dict[str, str]) -> str:
    """The user's message: image placeholder first (LLaVA), then the laid-out question."""
    text = layout[record.answer_type].format(
        context=f"{record.context}\n" if record.context else "",
        question=record.question,
        options=options_block(record.choices) if record.choices else "",
        instruction=instruction,
    )
    return f"{IMAGE_TOKEN}\n{text}" if record.image else text


def conversation(record: Record, instructions: Instructions, rng: random.Random) -> list[dict[str, str]]:
    """A training instance as LLaVA's human/gpt turns; draws two prompts from ``rng``."""
    instruction = rng.choice(instructions.prompts[record.answer_type])
    direct = rng.choice(instructions.prompts["direct"])
    return [
        {"from": "human", "value": human_turn(record, instruction, instructions.layout)},
        {"from": "gpt", "value": instructions.target.format(direct=direct, answer=record.answer)},
    ]
