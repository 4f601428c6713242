"""The loss from the logits of answer positions only equals the stock loss from all logits."""

import pytest
import torch
from test_packing import padded_and_packed

from mlan.training.answer_loss import WithAnswerPositions, answer_loss, answer_positions
from mlan.training.training_data import IGNORE_INDEX, Collator

X = IGNORE_INDEX


def test_positions_are_those_whose_next_token_is_a_target_in_any_row():
    labels = torch.tensor([[X, X, 5, 6, X, X], [X, 7, X, X, X, 9]])
    # row 0: targets at 2, 3 (read from positions 1, 2); row 1: at 1 and 5 (positions 0, 4)
    assert answer_positions(labels).tolist() == [0, 1, 2, 4]
    assert answer_positions(torch.full((1, 4), X)).tolist() == []


def test_loss_by_hand():
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]]))  # two kept positions
    labels = torch.tensor([[X, X, 0, 1]])
    positions = torch.tensor([1, 2])
    expected = -(torch.log(torch.tensor(0.5)) + torch.log(torch.tensor(0.8)))
    torch.testing.assert_close(answer_loss(logits, labels, positions, 4), expected / 4)
    torch.testing.assert_close(answer_loss(logits, labels, positions, torch.tensor(4)), expected / 4)
    torch.testing.assert_close(answer_loss(logits, labels, positions), expected / 2)  # this batch's mean


def test_the_collate_wrapper_marks_batches_and_packed_rows():
    items = [{"input_ids": torch.tensor([1, 2, 3]), "labels": torch.tensor([X, X, 3])}]
    batch = WithAnswerPositions(Collator(0))(items)
    assert batch["logits_to_keep"].tolist() == [1]
    rows = WithAnswerPositions(lambda items: {"rows": [{"labels": torch.tensor([[X, 4, X, 6]])}]})(items)["rows"]
    assert rows[0]["logits_to_keep"].tolist() == [0, 2]


@pytest.mark.parametrize("modality", [False, True], ids=["text", "image"])
@pytest.mark.parametrize("layout", ["padded", "packed"])
def test_answer_logits_give_the_stock_loss_and_gradients(world, modality, layout):
    from mlan.training.model import load_model, use_packed_attention

    padded, rows, answers = padded_and_packed(world, modality)
    batches = [padded] if layout == "padded" else rows
    model = load_model(world / "base")
    use_packed_attention(model, layout == "packed")
    results = []
    for answer_only in (False, True):
        model.zero_grad()
        total, kept = 0.0, 0
        for batch in batches:
            if answer_only:
                positions = answer_positions(batch["labels"])
                inputs = {k: v for k, v in batch.items() if k != "labels"}
                logits = model(**inputs, logits_to_keep=positions).logits
                loss = answer_loss(logits, batch["labels"], positions, answers)
                kept += logits.shape[1]
            else:
                loss = model(**batch, num_items_in_batch=answers).loss
            loss.backward()
            total += loss.item()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((total, grads, kept))
    (stock, stock_grads, _), (ours, our_grads, kept) = results
    assert ours == pytest.approx(stock, rel=1e-6)
    assert stock_grads.keys() == our_grads.keys()
    for name, grad in stock_grads.items():
        torch.testing.assert_close(our_grads[name], grad, rtol=1e-5, atol=1e-7)
    width = sum(batch["labels"].shape[1] for batch in batches)
    assert 0 < kept < width / 2  # most positions are not answers: their logits were never made
