"""LLaVA-Pretrain (LCS-558K): image-caption pairs for projector pretraining. Each entry of
``blip_laion_cc_sbu_558k.json`` names an image by relative path (inside ``images.zip`` or an
extracted ``images/`` folder) and holds a human instruction with an ``<image>`` placeholder
and the caption as the gpt turn."""

from pathlib import Path

from mlan.data.images import ImageArchive
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="llava_pretrain",
    task="caption",
    modality="vision",
    answer_type="caption",
    role="pretrain",
    split="train",
    expected_rows=558_128,  # LCS-558K
    hub_id="liuhaotian/LLaVA-Pretrain",
    parts={"main": "blip_laion_cc_sbu_558k.json"},
)


def normalize(source: RawSource, images):
    archive = ImageArchive(source.root if source.root.is_dir() else source.root.parent)
    for row in source.rows("main"):
        with row.guard():
            turns = row["conversations"]
            if not (isinstance(turns, list) and len(turns) >= 2 and all(isinstance(turn, dict) for turn in turns[:2])):
                raise row.error("'conversations' must be a list of {from, value} turns")
            human, gpt = turns[0], turns[1]
            if human.get("from") != "human" or gpt.get("from") != "gpt":
                raise row.error("'conversations' must start with a human turn followed by a gpt turn")
            relative = str(row["image"])
            try:
                image = images.save(archive.read(relative), Path(relative).with_suffix("").as_posix())
            except FileNotFoundError as error:
                raise row.error(f"image '{relative}' is neither in images.zip nor in the images/ folder") from error
            except ValueError as error:
                raise row.error(f"bad image '{relative}': {error}") from error
            yield row.record(
                SPEC,
                id=str(row["id"]),
                question=str(human.get("value", "")).replace("<image>", "").strip(),
                answer=str(gpt.get("value", "")).strip(),
                image=image,
            )
