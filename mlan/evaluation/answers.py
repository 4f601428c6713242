"""From a generation to an answer (the paper's protocol): cut at the stop strings, strip
quotes, then map option text -> letter, true/false -> yes/no, number words -> digits."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from mlan.data.records import LETTERS

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
}  # fmt: skip
ARTICLES = {"a", "an", "the"}
QUOTES = "\"'`“”‘’"
# "B", "B.", "(B)", "B)", "B: ...", or "B" then a word that is not lower case ("B The ball").
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:[.:)\]]|$)|^([A-Z])\s+(?![a-z])")


@dataclass(frozen=True)
class Mapping:
    """Which of the paper's answer mappings apply (each a config setting)."""

    option_text: bool = True
    true_false: bool = True
    number_words: bool = True


def cut(generation: str, stop: list[str]) -> str:
    """The text before the first stop string, without surrounding space and quotes (a quote
    that opens the answer does not end it)."""
    generation = generation.lstrip().lstrip(QUOTES)
    end = len(generation)
    for marker in stop:
        if marker and marker in generation:
            end = min(end, generation.index(marker))
    return generation[:end].strip().strip(QUOTES).strip()


# Every training target ends "... the direct answer is: <answer>" (paper, Sec. 2): a reply in
# that form is read after the phrase.
DIRECT_ANSWER = re.compile(r"the direct answer is\s*:?", re.IGNORECASE)


def answer_text(generation: str, stop: list[str]) -> str:
    """The reply after its last "the direct answer is" (if it has one), cut at the stops."""
    found = list(DIRECT_ANSWER.finditer(generation))
    return cut(generation[found[-1].end() :] if found else generation, stop)


def normalize_text(text: str, number_words: bool = True) -> str:
    """Lower case, punctuation and articles removed, number words as digits."""
    text = text.lower().translate(str.maketrans({c: " " for c in string.punctuation if c != "-"}))
    words = [NUMBER_WORDS.get(word, word) if number_words else word for word in text.split()]
    return " ".join(word for word in words if word not in ARTICLES)


def extract(
    generation: str, answer_type: str, choices: list[str] | None, stop: list[str], mapping: Mapping
) -> str | None:
    """The predicted answer in the record's form (letter, yes/no, short text), or None."""
    text = answer_text(generation, stop)
    if not text:
        return None
    if answer_type == "mc":
        return _option(text, choices or [], mapping)
    if answer_type == "yesno":
        return _yes_no(text, mapping)
    return normalize_text(text, mapping.number_words) or None


def _option(text: str, choices: list[str], mapping: Mapping) -> str | None:
    match = _LETTER.match(text)
    if match and (match.group(1) or match.group(2)) in LETTERS[: len(choices)]:
        return match.group(1) or match.group(2)
    if not mapping.option_text:
        return None
    wanted = normalize_text(text, mapping.number_words)
    exact = [i for i, choice in enumerate(choices) if normalize_text(choice, mapping.number_words) == wanted]
    if len(exact) == 1:
        return LETTERS[exact[0]]
    return None


def _yes_no(text: str, mapping: Mapping) -> str | None:
    first = normalize_text(text.split()[0]) if text.split() else ""
    if first in ("yes", "no"):
        return first
    if mapping.true_false and first in ("true", "false"):
        return "yes" if first == "true" else "no"
    return None


def is_correct(prediction: str | None, answer: str, answer_type: str, mapping: Mapping) -> bool:
    if prediction is None:
        return False
    if answer_type == "short":
        return prediction == normalize_text(answer, mapping.number_words)
    return prediction == answer
