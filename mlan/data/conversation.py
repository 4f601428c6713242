"""Conversation templates of LLaVA-1.5: ``plain`` (pretraining) and ``vicuna_v1`` (finetuning).

Each returns the full text and the character spans that carry loss, so training can mask
everything else and token counting sees exactly what the LLM processes.
"""

from __future__ import annotations

from mlan.data.templates import IMAGE_TOKEN

VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)


def vicuna_v1(turns: list[dict[str, str]], end_of_turn: str) -> tuple[str, list[tuple[int, int]]]:
    """``SYSTEM USER: q ASSISTANT: a</s>USER: ...``, each answer closed by ``end_of_turn``
    (the LLM tokenizer's EOS: ``</s>`` for the paper's models,
    ``mlan.training.backbone.end_of_turn``); loss spans cover each answer, the space before
    it and its end of turn: the fork labels every token after those of "ASSISTANT:", so a
    word-start token of its own before the answer learns too."""
    text, spans = VICUNA_SYSTEM + " ", []
    for turn in turns:
        if turn["from"] == "human":
            text += f"USER: {turn['value']} ASSISTANT:"
        else:
            start = len(text)
            text += " " + turn["value"] + end_of_turn
            spans.append((start, len(text)))
    return text, spans


def plain(turns: list[dict[str, str]], end_of_turn: str) -> tuple[str, list[tuple[int, int]]]:
    """Pretraining as LLaVA: the image, the caption and a newline; only the caption and the
    newline carry loss (the instruction is not shown; no end of turn)."""
    caption = next(turn["value"] for turn in turns if turn["from"] == "gpt")
    return IMAGE_TOKEN + caption + "\n", [(len(IMAGE_TOKEN), len(IMAGE_TOKEN) + len(caption) + 1)]


TEMPLATES = {"vicuna_v1": vicuna_v1, "plain": plain}


def generation_prompt(human: str, answer_prefix: str = "") -> str:
    """What the model continues at evaluation: the Vicuna-v1 frame up to ``ASSISTANT:``,
    then the protocol's answer prefix (the paper: ``The best answer is "``)."""
    text = f"{VICUNA_SYSTEM} USER: {human} ASSISTANT:"
    return f"{text} {answer_prefix}" if answer_prefix else text


def user_assistant_prompt(human: str, answer_prefix: str = "") -> str:
    """The public evaluation code's frame of the language tasks: no system prompt, raw
    ``User: ...`` and ``Assistant:`` lines, then the answer prefix."""
    text = f"User: {human}\nAssistant:"
    return f"{text} {answer_prefix}" if answer_prefix else text
