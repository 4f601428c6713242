"""Each benchmark's prompt as the authors' evaluation renders it (docs/fidelity.md lists
the files): the language tasks of their lm-eval fork, the image tasks (ScienceQA whole)
of the MLAN repository's ``scripts/eval/custom/*_llava_plain`` files run by their
lmms-eval fork's ``llava_plain`` model. Written from reading that code; the strings are
checked against its own output in ``tests/fixtures/official/``.

Every function reads the row's hub fields (``record.meta["doc"]``), as the official task
does, and returns an :class:`OfficialItem`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from mlan.data.conversation import VICUNA_SYSTEM
from mlan.data.records import Record
from mlan.data.templates import IMAGE_TOKEN
from mlan.errors import MlanError

LANGUAGE_PREFIX = 'The best answer is"'  # no space before the quote, as the language tasks
IMAGE_PREFIX = 'The best answer is "'
SCIENCEQA_PREFIX = 'The answer is "'
YES_NO = 'Please answer the question with "yes" or "no". '
SHORT = "Please provide a short answer to the question: "
MC = " Choose the best option from below:\n"
LANGUAGE_MC = "Choose the best option from the choices provided:"


@dataclass(frozen=True)
class OfficialItem:
    """What the official task gives the model and scores against."""

    context: str  # the text the model continues, ``<image>`` where the model gets it
    target: str  # doc_to_target
    choices: list[str] | None  # the option texts its answer mapping reads
    labels: list[str] | None  # their labels
    kind: str  # "mc", "yesno" or "short": the prompt the row got


def doc(record: Record) -> dict:
    found = record.meta.get("doc")
    if not isinstance(found, dict):
        raise MlanError(
            f"{record.dataset} item '{record.id}' has no hub fields (meta.doc) for the official prompts: "
            "its normalized file predates them; delete results/data/" + record.dataset + ".jsonl to rebuild it"
        )
    return found


def options(labels: list[str], texts: list[str], separator: str = ": ") -> str:
    return "\n".join(f"{label}{separator}{text}" for label, text in zip(labels, texts, strict=False))


def mentions_yes_or_no(answer: str) -> bool:
    """The official yes/no test: "yes" or "no" anywhere in the lower-cased gold answer, so
    "snowy", "knob" and "none" count too."""
    return "yes" in answer.lower() or "no" in answer.lower()


def yes_no_question(question: str) -> bool:
    """A question asking for yes or no, from its first word (the leak-free choice)."""
    first = question.strip().split(" ", 1)[0].lower() if question.strip() else ""
    auxiliaries = ("is", "are", "was", "were", "do", "does", "did", "can", "could", "has", "have", "had")
    return first in auxiliaries + ("will", "would", "should", "shall", "may", "might", "must")


def vicuna(message: str, prefix: str) -> str:
    """``conv_templates['v1']`` with the user's message and the assistant's opening: its
    ``get_prompt()`` (the task appends the prefix, or passes it as the assistant's message
    and cuts the ``</s>``)."""
    return f"{VICUNA_SYSTEM} USER: {message} ASSISTANT: {prefix}"


def with_image(context: str, has_image: bool, placement: str) -> str:
    """Where the model gets the image: the fork's llava_plain puts ``<image>\\n`` before a
    prompt that has none (``before_system``); ``user_turn`` opens the user's message with
    it, as training does."""
    if not has_image or IMAGE_TOKEN in context:
        return context
    if placement == "before_system":
        return f"{IMAGE_TOKEN}\n{context}"
    head = f"{VICUNA_SYSTEM} USER: "
    if not context.startswith(head):
        raise ValueError("an image prompt without the Vicuna frame")
    return f"{head}{IMAGE_TOKEN}\n{context[len(head) :]}"


# ---------------------------------------------------------------- language (lm-eval fork)
def race(fields: dict) -> OfficialItem:
    labels = ["A", "B", "C", "D"]
    texts = list(fields["options"])
    context = (
        f"User: Context: {fields['article']}\nQuestion: {fields['question']}\n{LANGUAGE_MC}\n"
        f"{options(labels, texts)}\nAssistant: {LANGUAGE_PREFIX}"
    )
    return OfficialItem(context, fields["answer"], texts, labels, "mc")


def boolq(fields: dict) -> OfficialItem:
    context = (
        f"User: Context: {fields['passage']}\nQuestion: {fields['question']}?\n"
        f"Please answer the question with 'yes' or 'no'.\nAssistant: {LANGUAGE_PREFIX}"
    )
    return OfficialItem(context, "yes" if fields["answer"] is True else "no", None, None, "yesno")


def openbookqa(fields: dict) -> OfficialItem:
    labels, texts = list(fields["choices"]["label"]), list(fields["choices"]["text"])
    context = f"User: {fields['question_stem']} {LANGUAGE_MC}\n{options(labels, texts)}\nAssistant: {LANGUAGE_PREFIX}"
    return OfficialItem(context, str(fields["answerKey"]), texts, labels, "mc")


_BRACKETS = re.compile(r"\[.*?\]")


def hellaswag_clean(text: str) -> str:
    """lm-eval's HellaSwag cleaning (WikiHow's bracket tags), applied once."""
    text = text.strip().replace(" [title]", ". ")
    return _BRACKETS.sub("", text).replace("  ", " ")


def hellaswag(fields: dict) -> OfficialItem:
    endings = list(fields["endings"])
    story = hellaswag_clean(f"{fields['activity_label']}: {fields['ctx_a']} {fields['ctx_b'].capitalize()}")
    labels = ["A", "B", "C", "D"]
    query = (
        f"User: {story} Choose the best option from the choices provided to complete the sentence:\n"
        f"{options(labels, endings[:4])}\nAssistant: {LANGUAGE_PREFIX}"
    )
    return OfficialItem(
        hellaswag_clean(query), labels[int(fields["label"])], [hellaswag_clean(e) for e in endings], labels, "mc"
    )


# ---------------------------------------------------------------- vision (MLAN custom tasks)
def pope(fields: dict) -> OfficialItem:
    message = f'Please answer with "yes" or "no":\n{fields["question"]}\n'
    return OfficialItem(vicuna(message, IMAGE_PREFIX), fields["answer"], None, None, "yesno")


def gqa(fields: dict, yesno_from: str) -> OfficialItem:
    question = fields["question"]
    yes_no = mentions_yes_or_no(fields["answer"]) if yesno_from == "gold" else yes_no_question(question)
    message = (YES_NO if yes_no else SHORT) + question + "\n"
    return OfficialItem(vicuna(message, IMAGE_PREFIX), fields["answer"], None, None, "yesno" if yes_no else "short")


def ai2d(fields: dict) -> OfficialItem:
    labels, texts = ["A", "B", "C", "D"], list(fields["options"])
    message = fields["question"] + MC + options(labels, texts) + "\n"
    return OfficialItem(vicuna(message, IMAGE_PREFIX), labels[int(fields["answer"])], texts, labels, "mc")


_RWQA_INSTRUCTIONS = (
    "Please answer directly with only the letter of the correct option and nothing else.",
    "Please answer directly with a single word or number.",
)
_RWQA_OPTION = re.compile(r"[ABC]\.\s(.+)\s")


def realworldqa_parse(question: str) -> tuple[str, list[str]]:
    """The fork's parse of a RealWorldQA question: its answer instructions removed, the
    options found by ``[ABC]. text`` followed by white space, the stem its first line
    with "..." added when that line does not end in punctuation."""
    for instruction in _RWQA_INSTRUCTIONS:
        question = question.replace(instruction, "")
    choices = _RWQA_OPTION.findall(question)
    stem = question.split("\n")[0]
    if stem.strip()[-1] not in string.punctuation:
        stem += "..."
    return stem, choices


def realworldqa(fields: dict, yesno_from: str) -> OfficialItem:
    stem, choices = realworldqa_parse(fields["question"])
    labels = ["A", "B", "C"]
    if choices:
        kind, message = "mc", stem + MC + options(labels, choices) + "\n"
    else:
        yes_no = mentions_yes_or_no(fields["answer"]) if yesno_from == "gold" else yes_no_question(stem)
        kind, message = ("yesno", YES_NO + stem + "\n") if yes_no else ("short", SHORT + stem + "\n")
    return OfficialItem(
        vicuna(f"{IMAGE_TOKEN}\n{message}", IMAGE_PREFIX), fields["answer"], choices or None, labels, kind
    )


def scienceqa(fields: dict) -> OfficialItem:
    labels, texts = ["A", "B", "C", "D", "E"], list(fields["choices"])
    hint = fields["hint"]
    message = (f"Context: {hint}\n" if hint else "") + "Question: " + fields["question"] + MC
    message += options(labels, texts) + "\n"
    return OfficialItem(vicuna(message, SCIENCEQA_PREFIX), labels[int(fields["answer"])], texts, labels, "mc")


def render(benchmark: str, record: Record, yesno_from: str, placement: str) -> OfficialItem:
    """``record`` as the official task of ``benchmark`` prompts it."""
    fields = doc(record)
    if benchmark in ("gqa", "realworldqa"):
        item = {"gqa": gqa, "realworldqa": realworldqa}[benchmark](fields, yesno_from)
    else:
        renderers = {
            "race": race, "boolq": boolq, "openbookqa": openbookqa, "hellaswag": hellaswag,
            "pope": pope, "ai2d": ai2d, "scienceqa": scienceqa,
        }  # fmt: skip
        if benchmark not in renderers:
            raise MlanError(f"no official prompt for benchmark '{benchmark}'")
        item = renderers[benchmark](fields)
    context = with_image(item.context, bool(record.image), placement)
    return OfficialItem(context, item.target, item.choices, item.labels, item.kind)
