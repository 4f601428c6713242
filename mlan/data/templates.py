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

from mlan.data.official_format import answer_mentions_yes_or_no, official_human, official_kind, official_row
from mlan.data.records import IMAGE_TOKEN, LETTERS, Record
from mlan.errors import ConfigError

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


def human_turn(record: Record, instruction: str, layout: dict[str, str], kind: str | None = None) -> str:
    """The user's message: image placeholder first (LLaVA), then the question laid out as
    ``kind`` (the record's answer type unless given)."""
    text = layout[kind or record.answer_type].format(
        context=f"{record.context}\n" if record.context else "",
        question=record.question,
        options=options_block(record.choices) if record.choices else "",
        instruction=instruction,
    )
    return f"{IMAGE_TOKEN}\n{text}" if record.image else text


# The training layouts each protocol sets (``formatting`` in the config; docs/fidelity.md).
FORMATTING_PRESETS = {
    "official": {"layout": "official", "yesno_prompt_from": "answer"},
    "clean": {"layout": "templates", "yesno_prompt_from": "dataset"},
}
FORMATTING_CHOICES = {"layout": ("official", "templates"), "yesno_prompt_from": ("answer", "dataset")}


@dataclass(frozen=True)
class Formatting:
    """How a training row becomes a user turn: ``layout`` ``official`` (the authors' data
    code: mlan.data.official_format) or ``templates`` (the layout of the instructions
    file); ``yesno_prompt_from`` ``answer`` (the official choice: a yes/no prompt when the
    answer's last word holds "yes" or "no") or ``dataset`` (the dataset's answer type)."""

    protocol: str = "clean"
    layout: str = "templates"
    yesno_prompt_from: str = "dataset"

    def __post_init__(self):
        if self.protocol not in FORMATTING_PRESETS:
            raise ConfigError(f"protocol: '{self.protocol}' is not one of {', '.join(FORMATTING_PRESETS)}")
        for name, allowed in FORMATTING_CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"formatting.{name}: {getattr(self, name)!r} is not one of {allowed}")

    @classmethod
    def from_config(cls, section: dict | None, protocol: str) -> Formatting:
        if protocol not in FORMATTING_PRESETS:
            raise ConfigError(f"protocol: '{protocol}' is not one of {', '.join(FORMATTING_PRESETS)}")
        settings = {key: value for key, value in (section or {}).items() if value is not None}
        unknown = sorted(set(settings) - set(FORMATTING_CHOICES))
        if unknown:
            raise ConfigError(f"formatting: unknown key(s) {', '.join(unknown)}")
        return cls(protocol=protocol, **{**FORMATTING_PRESETS[protocol], **settings})


def prompt_kind(record: Record, formatting: Formatting) -> str:
    """Which prompt table a row's instruction is drawn from."""
    if formatting.yesno_prompt_from == "dataset" or record.choices:
        return record.answer_type
    return "yesno" if answer_mentions_yes_or_no(record.answer) else "short"


def conversation(
    record: Record, instructions: Instructions, rng: random.Random, formatting: Formatting | None = None
) -> list[dict[str, str]]:
    """A training instance as LLaVA's human/gpt turns; draws two prompts from ``rng``."""
    formatting = formatting or Formatting()
    if formatting.layout == "official":
        row = official_row(record)
        kind = official_kind(row) if formatting.yesno_prompt_from == "answer" else record.answer_type
    else:
        row, kind = None, prompt_kind(record, formatting)
    instruction = rng.choice(instructions.prompts[kind])
    direct = rng.choice(instructions.prompts["direct"])
    if row is not None:
        human, answer = official_human(row, kind, instruction), row.answer
    else:
        human, answer = human_turn(record, instruction, instructions.layout, kind), record.answer
    return [
        {"from": "human", "value": human},
        {"from": "gpt", "value": instructions.target.format(direct=direct, answer=answer)},
    ]
