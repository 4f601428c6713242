"""Token ids of a LLaVA prompt as the authors' code makes them (``tokenizer_image_token`` of
the LLaVA fork): the text split at each ``<image>``, every piece tokenized on its own (so
each starts with the tokenizer's word-start marker, as a new text does), the first
piece's BOS kept and the others' dropped, and the image placeholder between them. A
tokenizer reading ``<image>`` as a token of its own gives other ids (no word start after
it), which the models were never trained on."""

from __future__ import annotations

from mlan.data.templates import IMAGE_TOKEN


def llava_input_ids(
    text: str, tokenizer, image_token_id: int, image_tokens: int, *, bos: bool = True, offsets: bool = False
):
    """Ids of ``text`` with each ``<image>`` as ``image_tokens`` copies of
    ``image_token_id``; with ``offsets``, also each token's (start, end) characters in
    ``text`` ((p, p) for a placeholder at p; a BOS is (0, 0))."""
    ids: list[int] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for index, piece in enumerate(text.split(IMAGE_TOKEN)):
        if index:
            ids += [image_token_id] * image_tokens
            spans += [(position, position)] * image_tokens
            position += len(IMAGE_TOKEN)
        encoded = tokenizer(piece, add_special_tokens=bos, return_offsets_mapping=offsets)
        piece_ids = list(encoded["input_ids"])
        piece_spans = [(position + a, position + b) for a, b in encoded["offset_mapping"]] if offsets else []
        if bos and piece_ids and piece_ids[0] == tokenizer.bos_token_id:
            if index:  # only the first piece keeps its BOS
                piece_ids, piece_spans = piece_ids[1:], piece_spans[1:]
            elif offsets:
                piece_spans[0] = (0, 0)
        ids += piece_ids
        spans += piece_spans
        position += len(piece)
    return (ids, spans) if offsets else ids
