"""Evaluation prompts: each held-out record rendered as the protocol says (``prompts``:
the official task's prompt, or the MLAN templates drawn from a seeded generator), with the
image where ``image_placement`` puts it, and what the official answer filters read."""

from __future__ import annotations

import random
from dataclasses import asdict

from mlan.data.conversation import generation_prompt, user_assistant_prompt
from mlan.data.records import IMAGE_TOKEN, Record
from mlan.data.templates import Instructions, human_turn
from mlan.evaluation import official_prompts
from mlan.evaluation.protocol import Protocol


def harness_of(benchmark: str, record: Record, protocol: Protocol) -> str:
    """Text rows go through lm-eval, image rows through lmms-eval; under the official
    prompts ScienceQA's text rows too (its task is an lmms-eval task)."""
    if record.image or (benchmark == "scienceqa" and protocol.prompts == "official"):
        return "lmms_eval"
    return "lm_eval"


def template_kind(benchmark: str, record: Record, protocol: Protocol) -> str:
    """The prompt table of an item under the templates: its answer type, or, with
    ``yesno_prompt_from: gold``, yes/no for a GQA or RealWorldQA short answer whose gold
    answer holds "yes" or "no" (what the official tasks do)."""
    if (
        protocol.yesno_prompt_from == "gold"
        and benchmark in ("gqa", "realworldqa")
        and record.answer_type == "short"
        and official_prompts.mentions_yes_or_no(record.answer)
    ):
        return "yesno"
    return record.answer_type


def template_context(human: str, image: bool, protocol: Protocol) -> str:
    """The frame around a templated user turn, the answer prefix, and the image."""
    if image:
        if protocol.image_placement == "user_turn":
            return generation_prompt(f"{IMAGE_TOKEN}\n{human}", protocol.answer_prefix)
        return f"{IMAGE_TOKEN}\n" + generation_prompt(human, protocol.answer_prefix)
    if protocol.language_frame == "vicuna":
        return generation_prompt(human, protocol.answer_prefix)
    if protocol.language_frame == "user_assistant":
        return user_assistant_prompt(human, protocol.answer_prefix)
    raise ValueError(f"evaluation.language_frame: unknown frame '{protocol.language_frame}'")


def eval_items(
    benchmark: str, records: list[Record], instructions: Instructions | None, protocol: Protocol
) -> list[dict]:
    """The items of one benchmark; ``instructions`` (the prompt tables) only for the templates."""
    if protocol.prompts == "templates" and instructions is None:
        raise ValueError("the templates prompts need the instructions file")
    rng = random.Random(f"{protocol.seed}/eval/{benchmark}")
    chosen = records[: protocol.limit] if protocol.limit else records
    items = []
    for record in chosen:
        official = None
        if protocol.prompts == "official" or protocol.extraction == "official":
            official = official_prompts.render(benchmark, record, protocol.yesno_prompt_from, protocol.image_placement)
        if protocol.prompts == "official":
            context, kind = official.context, official.kind
        else:
            kind = template_kind(benchmark, record, protocol)
            instruction = rng.choice(instructions.prompts[kind])
            human = human_turn(record, instruction, instructions.layout, kind).removeprefix(f"{IMAGE_TOKEN}\n")
            context = template_context(human, bool(record.image), protocol)
        item = {
            "id": record.id,
            "benchmark": benchmark,
            "harness": harness_of(benchmark, record, protocol),
            "modality": record.modality,
            "context": context,
            "kind": kind,
            "answer": record.answer,
            "answer_type": record.answer_type,
            "choices": record.choices,
            "image": record.image,
            "meta": {key: value for key, value in record.meta.items() if key != "doc"},
        }
        if official is not None:
            item["official"] = {k: v for k, v in asdict(official).items() if k != "context"}
        items.append(item)
    return items
