"""The evaluation protocol: how items are prompted, tokenized, read and scored.

Two named protocols set every option at once (``evaluation.protocol``):

- ``official``: what the authors' evaluation code does (the MLAN fork's task files for
  lm-eval and lmms-eval, run as its README says), quirks included;
- ``clean``: the paper's text: one of its 20 prompts drawn per item, answer types from
  each dataset's definition (no look at the gold answer), the project's answer mapping.

Each option can be set on its own over the protocol's choice (``null`` or absent: the
protocol's); docs/fidelity.md says what each does to the scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from mlan.errors import ConfigError

# The options each protocol sets, with their official and clean values.
PRESETS = {
    "official": {
        "prompts": "official",  # each benchmark's prompt as the fork's task renders it
        "yesno_prompt_from": "gold",  # GQA / RealWorldQA: a yes/no prompt when the gold answer has "yes"/"no" in it
        "language_bos": False,  # lm-eval's hf model: add_bos_token False
        "image_placement": "before_system",  # lmms-eval fork's llava_plain: "<image>\n" before the whole prompt
        "extraction": "official",  # each task's filters, then exact match
        "pope_unparsed": "excluded",  # a POPE reply neither yes nor no: not a false negative
        "scienceqa_score": "pooled",  # one accuracy over all 4,241 rows
        "precision": "float16",  # the fork's builder loads LLaVA in fp16
    },
    "clean": {
        "prompts": "templates",
        "yesno_prompt_from": "dataset",
        "language_bos": True,
        "image_placement": "user_turn",
        "extraction": "mapped",
        "pope_unparsed": "as_no",
        "scienceqa_score": "modality_mean",
        "precision": "bfloat16",
    },
}
CHOICES = {
    "prompts": ("official", "templates"),
    "yesno_prompt_from": ("gold", "dataset"),
    "language_bos": (True, False),
    "image_placement": ("before_system", "user_turn"),
    "extraction": ("official", "mapped"),
    "pope_unparsed": ("excluded", "as_no"),
    "scienceqa_score": ("pooled", "modality_mean"),
    "precision": ("float16", "bfloat16", "float32"),
}
# What the official language tasks stop at (lm-eval adds the EOS); the official image
# tasks set none: their regex filters cut the reply.
OFFICIAL_LANGUAGE_STOP = ["User:", '"', ":", ".", ","]


@dataclass(frozen=True)
class Protocol:
    """One resolved protocol; every field is a config setting (``evaluation``)."""

    protocol: str = "clean"
    prompts: str = "templates"
    yesno_prompt_from: str = "dataset"
    language_bos: bool = True
    image_placement: str = "user_turn"
    extraction: str = "mapped"
    pope_unparsed: str = "as_no"
    scienceqa_score: str = "modality_mean"
    precision: str = "bfloat16"  # of the model on a GPU (a CPU computes in fp32)
    mode: str = "generate"  # or "loglikelihood" (language rows only)
    # read by the `templates` prompts and the `mapped` extraction only:
    answer_prefix: str = 'The best answer is "'
    stop: list[str] = field(default_factory=lambda: ["USER:", '"', ":", ".", ","])
    # the frame of the language rows: "vicuna" (the training conversation, as image rows)
    # or "user_assistant" (raw "User: ...\nAssistant:", no system prompt)
    language_frame: str = "vicuna"
    option_text: bool = True
    true_false: bool = True
    number_words: bool = True
    # one number, or per benchmark with a default (the public code: POPE 4; GQA, AI2D,
    # ScienceQA 8; RealWorldQA 16; the language tasks 20)
    max_new_tokens: int | dict[str, int] = 20
    batch_size: int = 8
    seed: int = 42
    limit: int | None = None

    def __post_init__(self):
        if self.protocol not in PRESETS:
            raise ConfigError(f"evaluation.protocol: '{self.protocol}' is not one of {', '.join(PRESETS)}")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"evaluation.{name}: {getattr(self, name)!r} is not one of {allowed}")

    @classmethod
    def from_config(cls, evaluation: dict, protocol: str | None = None) -> Protocol:
        """The protocol ``evaluation`` (the config section) describes; ``protocol`` names
        another preset under the same overrides (the released checkpoints' list)."""
        name = protocol or evaluation.get("protocol", "clean")
        if name not in PRESETS:
            raise ConfigError(f"evaluation.protocol: '{name}' is not one of {', '.join(PRESETS)}")
        known = {f.name for f in fields(cls)}
        settings = {k: v for k, v in evaluation.items() if k in known and k != "protocol" and v is not None}
        unknown = sorted(set(evaluation) - known - {"benchmarks"})
        if unknown:
            raise ConfigError(f"evaluation: unknown key(s) {', '.join(unknown)}")
        return cls(**{**PRESETS[name], **settings, "protocol": name})

    def settings(self) -> dict:
        """Every field, as the rules pass it (a protocol is rebuilt from this)."""
        return asdict(self)

    def new_tokens(self, benchmark: str) -> int:
        """The generation budget of a benchmark's items."""
        if isinstance(self.max_new_tokens, int):
            return self.max_new_tokens
        return self.max_new_tokens.get(benchmark, self.max_new_tokens["default"])

    def stop_strings(self, harness: str) -> list[str]:
        """Where a generation is cut before extraction: the official tasks' (none for the
        image tasks, whose filters cut), else ``stop``."""
        if self.extraction == "official":
            return list(OFFICIAL_LANGUAGE_STOP) if harness == "lm_eval" else []
        return list(self.stop)
