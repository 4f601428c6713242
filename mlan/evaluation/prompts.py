"""Evaluation prompts: each held-out record rendered with the MLAN templates (the prompt
drawn from a seeded generator, as in training) in the frame the model continues."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mlan.data.conversation import generation_prompt, user_assistant_prompt
from mlan.data.records import Record
from mlan.data.templates import Instructions, human_turn

LANGUAGE_BENCHMARKS = ("race", "openbookqa", "boolq", "hellaswag")
VISION_BENCHMARKS = ("gqa", "realworldqa", "ai2d", "pope")
BENCHMARKS = LANGUAGE_BENCHMARKS + VISION_BENCHMARKS + ("scienceqa",)


@dataclass(frozen=True)
class Protocol:
    """The paper's evaluation protocol; every field is a config setting (``evaluation``)."""

    mode: str = "generate"  # or "loglikelihood" (language rows only)
    answer_prefix: str = 'The best answer is "'
    stop: list[str] = field(default_factory=lambda: ["USER:", '"', ":", ".", ","])
    # one number, or per benchmark with a default (the public code: POPE 4; GQA, AI2D,
    # ScienceQA 8; RealWorldQA 16; the language tasks 20)
    max_new_tokens: int | dict[str, int] = 20
    # the frame of the language rows: "vicuna" (the training conversation's, as image rows)
    # or "user_assistant" (the public code's raw "User: ...\nAssistant:", no system prompt)
    language_frame: str = "vicuna"
    batch_size: int = 8
    seed: int = 42
    limit: int | None = None
    option_text: bool = True
    true_false: bool = True
    number_words: bool = True

    def new_tokens(self, benchmark: str) -> int:
        """The generation budget of a benchmark's items."""
        if isinstance(self.max_new_tokens, int):
            return self.max_new_tokens
        return self.max_new_tokens.get(benchmark, self.max_new_tokens["default"])

    def context(self, human: str, image: bool) -> str:
        """The text the model continues: the frame, then the answer prefix."""
        if image or self.language_frame == "vicuna":
            return generation_prompt(human, self.answer_prefix)
        if self.language_frame == "user_assistant":
            return user_assistant_prompt(human, self.answer_prefix)
        raise ValueError(f"evaluation.language_frame: unknown frame '{self.language_frame}'")


def harness_of(record: Record) -> str:
    """Text rows go through lm-eval, image rows through lmms-eval (ScienceQA has both)."""
    return "lmms_eval" if record.image else "lm_eval"


def eval_items(benchmark: str, records: list[Record], instructions: Instructions, protocol: Protocol) -> list[dict]:
    rng = random.Random(f"{protocol.seed}/eval/{benchmark}")
    chosen = records[: protocol.limit] if protocol.limit else records
    items = []
    for record in chosen:
        instruction = rng.choice(instructions.prompts[record.answer_type])
        human = human_turn(record, instruction, instructions.layout)
        items.append(
            {
                "id": record.id,
                "benchmark": benchmark,
                "harness": harness_of(record),
                "modality": record.modality,
                "context": protocol.context(human, bool(record.image)),
                "answer": record.answer,
                "answer_type": record.answer_type,
                "choices": record.choices,
                "image": record.image,
                "meta": record.meta,
            }
        )
    return items
