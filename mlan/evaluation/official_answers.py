"""Reading a reply as the authors' evaluation does: each task's filters, then its exact
match. Written from their task files (docs/fidelity.md names them) and checked against
their own filters' output in ``tests/fixtures/official/``. Quirks kept on purpose:

- the language tasks keep a reply's spaces (" yes" is not "yes") and map an option's text
  to its letter only when every word of the option is in the reply;
- OpenBookQA compares case-sensitively ("d" is not "D");
- the image tasks read the reply up to its first ``.``, ``,``, ``:`` or ``"`` (and, but
  for GQA and RealWorldQA, line break); a reply that opens with a quote reads as empty;
- AI2D, RealWorldQA and ScienceQA map a reply to a letter by the option texts *before*
  taking it as a letter, so "B" is option A when option A's text is "b";
- short answers keep their articles ("the table" is not "table");
- a yes/no reply is compared whole ("yes there is" is not "yes").
"""

from __future__ import annotations

import re
import string

LETTERS = ["A", "B", "C", "D", "E"]
LANGUAGE_STOP = ["User:", '"', ":", ".", ",", "</s>"]  # the tasks' until, then lm-eval's EOS
DIGITS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
# The image tasks' regex filters: the reply up to the first of these characters.
CUT = {
    "pope": '.,:"\n\r',
    "gqa": '.,:"',
    "ai2d": '.,:"\n\r',
    "realworldqa": '.,:"',
    "scienceqa": '.,:"\n\r',
}
LANGUAGE = ("race", "openbookqa", "hellaswag", "boolq")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def without_punctuation(text: str) -> str:
    return text.translate(_PUNCTUATION)


def language_cut(generation: str) -> str:
    """lm-eval's post-hoc cut: the text before each stop string in turn."""
    for term in LANGUAGE_STOP:
        generation = generation.split(term)[0]
    return generation


def image_cut(generation: str, benchmark: str) -> str:
    """The regex filter: the leading run of characters none of ``CUT``, stripped."""
    stops = CUT[benchmark]
    end = next((i for i, char in enumerate(generation) if char in stops), len(generation))
    return generation[:end].strip()


def _words(text: str) -> set[str]:
    return set(re.sub(r"[^\w\s]", "", text).strip().lower().split())


def word_match(reply: str, labels: list[str], texts: list[str]) -> str:
    """The fork's answermapping filters: a reply that is not a label becomes the label of
    the first option all of whose words it holds; otherwise it stays as it is."""
    best, best_score = reply, 0.0
    for label, text in zip(labels, texts, strict=False):
        words = _words(text)
        score = len(_words(reply) & words) / len(words) if words else 0
        if score > best_score:
            best_score, best = score, (label if score >= 1.0 else reply)
    return best


def true_false(reply: str) -> str:
    return {"true": "yes", "false": "no"}.get(reply.lower(), reply)


def digits(reply: str) -> str:
    return DIGITS.get(reply.lower().strip(), reply)


def option_text(reply: str, labels: list[str], texts: list[str], strip_reply_punctuation: bool) -> str:
    """The image tasks' AnswerMappingFilter: a reply equal to an option's text (lower case,
    no punctuation) becomes its label; anything else stays as it is."""
    wanted = reply.lower().strip()
    if strip_reply_punctuation:
        wanted = without_punctuation(wanted)
    cleaned = [without_punctuation(text.lower().strip()) for text in texts]
    return labels[cleaned.index(wanted)] if wanted in cleaned else reply


def prediction(benchmark: str, generation: str, labels: list[str] | None, texts: list[str] | None) -> str:
    """The reply after the official task's filters."""
    labels, texts = labels or [], texts or []
    if benchmark in LANGUAGE:
        reply = language_cut(generation)
        if benchmark == "boolq":
            return true_false(reply)
        letters = labels if benchmark == "openbookqa" else ["A", "B", "C", "D"]
        return reply if reply in letters else word_match(reply, letters, texts)
    reply = image_cut(generation, benchmark)
    if benchmark == "pope":
        return true_false(reply)
    if benchmark == "gqa":
        return digits(true_false(reply))
    if benchmark == "ai2d":
        return option_text(reply, LETTERS[:4], texts, strip_reply_punctuation=True)
    if benchmark == "realworldqa":
        return digits(true_false(option_text(reply, ["A", "B", "C"], texts, strip_reply_punctuation=False)))
    if benchmark == "scienceqa":
        return option_text(reply, LETTERS, texts, strip_reply_punctuation=False)
    raise ValueError(f"no official answer filters for benchmark '{benchmark}'")


def exact_match(prediction: str, target: str, ignore_case: bool, ignore_punctuation: bool) -> bool:
    if ignore_case:
        prediction, target = prediction.lower(), target.lower()
    if ignore_punctuation:
        prediction, target = without_punctuation(prediction), without_punctuation(target)
    return prediction == target


def correct(benchmark: str, prediction: str, target: str) -> bool:
    """The official metric's verdict on one item."""
    if benchmark == "pope":
        return prediction.lower().strip() == target.lower().strip()
    if benchmark in LANGUAGE:
        return exact_match(prediction, target, ignore_case=benchmark != "openbookqa", ignore_punctuation=False)
    return exact_match(prediction, target, ignore_case=True, ignore_punctuation=True)


def readable(prediction: str, kind: str, labels: list[str] | None) -> bool:
    """Whether a filtered reply is an answer of the item's kind at all (an option label,
    yes or no, or any text); the rest are the score files' extraction failures."""
    text = without_punctuation(prediction.lower()).strip()
    if kind == "mc":
        return text in {label.lower() for label in labels or []}
    if kind == "yesno":
        return prediction.lower().strip() in ("yes", "no")
    return bool(text)
