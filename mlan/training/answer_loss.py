"""The training loss computed from the logits it reads: those of answer positions only.

Instruction tuning puts loss only on the answers (``mlan.training.training_data``), a small part of
each row (an image's 576 tokens, a question, a passage are never targets). Projecting every
position onto the vocabulary and casting those logits to fp32 costs a matrix product of
``hidden x vocabulary`` per token and a few GB of memory per 16k-token row, for values the
loss ignores. The collate wrapper below finds, on the CPU in the data-loader worker, the
positions whose next token is a target; the model projects only those
(``logits_to_keep``), and ``answer_loss`` is Hugging Face's causal-LM loss on them: the
same sum of the same terms, divided by the same count.
"""

from __future__ import annotations

import torch

from mlan.training.training_data import IGNORE_INDEX


def answer_positions(labels: torch.Tensor) -> torch.Tensor:
    """Positions (1-D) whose next label is a target in any row of ``labels`` (batch x length)."""
    return (labels[:, 1:] != IGNORE_INDEX).any(dim=0).nonzero().flatten()


def answer_loss(logits: torch.Tensor, labels: torch.Tensor, positions: torch.Tensor, num_items_in_batch=None):
    """Cross-entropy of ``logits`` (batch x positions x vocabulary, the kept positions) against
    the next labels: summed and divided by ``num_items_in_batch`` (the answer tokens of the
    whole step), or averaged over this batch's targets when that is not given."""
    targets = labels[:, positions + 1]
    loss = torch.nn.functional.cross_entropy(
        logits.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX, reduction="sum"
    )
    if num_items_in_batch is None:
        return loss / (targets != IGNORE_INDEX).sum()
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(loss.device)
    return loss / num_items_in_batch


class WithAnswerPositions:
    """A collate function that adds ``logits_to_keep`` (the answer positions) to each batch,
    or to each packed row."""

    def __init__(self, collate):
        self.collate = collate

    def __call__(self, items: list[dict]) -> dict:
        batch = self.collate(items)
        for part in batch.get("rows", [batch]):
            part["logits_to_keep"] = answer_positions(part["labels"])
        return batch
