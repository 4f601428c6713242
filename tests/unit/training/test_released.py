"""The authors' released checkpoints: stand-ins written in their original LLaVA layout and
published into a hub cache are fetched offline, converted, and the converted model's logits
equal those of the original architecture run from the original tensors (written out here
as the fork's LlavaLlamaForCausalLM computes them); bad checkpoints stop with the key named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from conftest import ROOT
from PIL import Image

from mlan.errors import SourceError
from mlan.standin.hub_cache import publish
from mlan.standin.released import save_released
from mlan.standin.weights import LLAMA_SIZES, save_clip
from mlan.training.hub_weights import checked_snapshot, released_sources
from mlan.training.input_ids import llava_input_ids
from mlan.training.model import load_model
from mlan.training.released import convert, read_state

FIXTURES = ROOT / "tests" / "fixtures" / "official"
TOWER = "openai/clip-vit-large-patch14-336"
PLACEHOLDER = -200


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A hub cache holding the CLIP stand-in and two released stand-ins: one holding a
    vision tower of its own (other weights than the CLIP it names, so a conversion that
    took the named one would show), one without (it uses the CLIP its config names)."""
    root = tmp_path_factory.mktemp("released")
    cache = root / "hub"
    clip = save_clip(root / "clip", 0, image_size=56, patch_size=14)  # 16 patches
    held = save_clip(root / "held-clip", 5, image_size=56, patch_size=14)
    publish(clip, TOWER, cache)
    spm = (FIXTURES / "tokenizer.model").read_bytes()
    for seed, (repo, tower, with_tower) in enumerate(
        (("WangResearchLab/llava-mlan-llama2-7b", held, True), ("WangResearchLab/llava-mlan-v-vicuna-7b", clip, False)),
        start=1,
    ):
        publish(save_released(root / repo.split("/")[1], spm, tower, TOWER, seed, LLAMA_SIZES, with_tower), repo, cache)
    return root


def fetched_and_converted(hub, repo, out):
    spec = {"source": repo, "compare_to": {"model": "llama2", "method": "mlan"}}
    sources = released_sources("test", spec, str(hub / "hub"))
    checkpoint, vision = (checked_snapshot(sources[part], "test") for part in ("checkpoint", "vision"))
    return sources, convert(checkpoint, vision, out), Path(checkpoint), Path(vision)


def original_logits(checkpoint: Path, vision: Path, ids: list[int], image: Image.Image | None) -> torch.Tensor:
    """The fork's LlavaLlamaForCausalLM on ``ids`` (``-200`` where the image goes): the LLM,
    the CLIP tower's penultimate layer without CLS, the two-layer GELU projector, its
    features in the placeholder's place; the image padded to a square with the mean colour
    (``expand2square``) before CLIP's preprocessing."""
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, LlamaConfig, LlamaForCausalLM

    config = json.loads((checkpoint / "config.json").read_text())
    state = {k: v.float() for k, v in read_state(checkpoint).items()}
    text = LlamaConfig(**{k: v for k, v in config.items() if not k.startswith("mm_")} | {"model_type": "llama"})
    llm = LlamaForCausalLM(text).eval()
    llm.load_state_dict(
        {k: v for k, v in state.items() if k.startswith(("model.embed", "model.layers", "model.norm", "lm_head"))}
    )
    tower = CLIPVisionModel(CLIPVisionConfig.from_pretrained(vision)).eval()
    held = {
        k.removeprefix("model.vision_tower.vision_tower.vision_model."): v
        for k, v in state.items()
        if "vision_tower" in k
    }
    # a tower the checkpoint lacks is loaded from its hub id in the checkpoint's fp16 (the fork's builder)
    named = {k: v.half().float() for k, v in CLIPVisionModel.from_pretrained(vision).state_dict().items()}
    tower.load_state_dict(held or named)
    projector = torch.nn.Sequential(torch.nn.Linear(*state["model.mm_projector.0.weight"].shape[::-1]), torch.nn.GELU(),
                                    torch.nn.Linear(*state["model.mm_projector.2.weight"].shape[::-1]))  # fmt: skip
    projector.load_state_dict(
        {k.removeprefix("model.mm_projector."): v for k, v in state.items() if "mm_projector" in k}
    )
    embeddings = []
    for token in ids:
        if token == PLACEHOLDER:
            processor = CLIPImageProcessor.from_pretrained(vision)
            mean = tuple(int(x * 255) for x in processor.image_mean)
            side = max(image.size)
            square = Image.new(image.mode, (side, side), mean)
            square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
            pixels = processor(square, return_tensors="pt")["pixel_values"]
            hidden = tower(pixels, output_hidden_states=True).hidden_states[config["mm_vision_select_layer"]]
            embeddings.append(projector(hidden[:, 1:])[0])
        else:
            embeddings.append(llm.get_input_embeddings()(torch.tensor([token])))
    with torch.no_grad():
        return llm(inputs_embeds=torch.cat(embeddings)[None]).logits[0]


@pytest.mark.parametrize("repo", ["WangResearchLab/llava-mlan-llama2-7b", "WangResearchLab/llava-mlan-v-vicuna-7b"])
def test_converted_logits_equal_the_original_model_on_text_and_image(hub, repo, tmp_path):
    from transformers import AutoProcessor

    sources, report, checkpoint, vision = fetched_and_converted(hub, repo, tmp_path / "model")
    assert sources["checkpoint"]["repo"] == repo and sources["vision"]["repo"] == TOWER  # from the hub cache
    assert report["vision_tower_from"] == ("checkpoint" if "llama2" in repo else "tower")
    model = load_model(tmp_path / "model").eval()
    processor = AutoProcessor.from_pretrained(tmp_path / "model")
    tokenizer = processor.tokenizer
    # the tokenizer as trained: pad = unk, nothing added; the image stands on <0xFF>
    assert tokenizer.pad_token == tokenizer.unk_token and len(tokenizer) == model.config.text_config.vocab_size
    assert tokenizer.convert_ids_to_tokens(model.config.image_token_id) == "<0xFF>"
    image = Image.new("RGB", (40, 24), (10, 200, 90))
    image.paste((250, 20, 20), (0, 0, 20, 12))
    for text in ("User: Context: a river.\nQuestion: is it wet?\nAssistant: The best answer is\"",
                 "<image>\nA chat. USER: What is shown? ASSISTANT: The best answer is \""):  # fmt: skip
        original = llava_input_ids(text, tokenizer, PLACEHOLDER, 1)
        reference = original_logits(checkpoint, vision, original, image)
        ids = llava_input_ids(text, tokenizer, model.config.image_token_id, model.config.image_seq_length)
        inputs = {"input_ids": torch.tensor([ids])}
        if "<image>" in text:
            inputs["pixel_values"] = processor.image_processor([image], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            converted = model(**inputs).logits[0]
        assert converted.shape == reference.shape
        torch.testing.assert_close(converted, reference, rtol=1e-4, atol=1e-4)


def broken_copy(hub, tmp_path, edit):
    source = hub / "llava-mlan-llama2-7b"
    copy = tmp_path / "broken"
    shutil.copytree(source, copy)
    edit(copy)
    return copy


def test_a_missing_projector_tensor_is_named(hub, tmp_path):
    from safetensors.torch import load_file, save_file

    def drop_bias(folder):
        for shard in folder.glob("*.safetensors"):
            tensors = load_file(shard)
            if tensors.pop("model.mm_projector.2.bias", None) is not None:
                save_file(tensors, shard, metadata={"format": "pt"})
                index = json.loads((folder / "model.safetensors.index.json").read_text())
                del index["weight_map"]["model.mm_projector.2.bias"]
                (folder / "model.safetensors.index.json").write_text(json.dumps(index))

    with pytest.raises(SourceError, match=r"projector tensor 'model\.mm_projector\.2\.bias' is missing"):
        convert(broken_copy(hub, tmp_path, drop_bias), hub / "clip", tmp_path / "out")


def test_a_vision_tower_of_another_size_is_named(hub, tmp_path):
    other = save_clip(tmp_path / "wide-clip", 0, image_size=56, patch_size=14)
    config = json.loads((other / "config.json").read_text())
    config["vision_config"]["hidden_size"] = 48
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(SourceError, match=r"mm_hidden_size is 32, the vision tower at .* is 48 wide"):
        convert(hub / "llava-mlan-llama2-7b", other, tmp_path / "out")

    def narrower_tower(folder):  # the checkpoint's own tower tensors of another width than its config
        from safetensors.torch import load_file, save_file

        for shard in folder.glob("*.safetensors"):
            tensors = load_file(shard)
            key = "model.vision_tower.vision_tower.vision_model.post_layernorm.weight"
            if key in tensors:
                tensors[key] = torch.ones(16, dtype=tensors[key].dtype)
                save_file(tensors, shard, metadata={"format": "pt"})

    with pytest.raises(
        SourceError, match=r"'model\.vision_tower\.vision_tower\.vision_model\.post_layernorm\.weight' has shape"
    ):
        convert(broken_copy(hub, tmp_path, narrower_tower), hub / "clip", tmp_path / "out2")


def test_a_checkpoint_of_another_layout_is_refused_by_its_config_key(hub, tmp_path):
    def other_projector(folder):
        config = json.loads((folder / "config.json").read_text())
        config["mm_projector_type"] = "linear"
        (folder / "config.json").write_text(json.dumps(config))

    with pytest.raises(SourceError, match="mm_projector_type is 'linear'"):
        convert(broken_copy(hub, tmp_path, other_projector), hub / "clip", tmp_path / "out")


def test_a_checkpoint_naming_no_tower_asks_for_the_vision_key(hub, tmp_path):
    folder = broken_copy(hub, tmp_path, lambda f: None)
    config = json.loads((folder / "config.json").read_text())
    del config["mm_vision_tower"]
    (folder / "config.json").write_text(json.dumps(config))
    spec = {"source": str(folder), "compare_to": {"model": "llama2", "method": "mlan"}}
    with pytest.raises(SourceError, match=r"set released\.checkpoints\.mine\.vision"):
        released_sources("mine", spec, None)
    found = released_sources("mine", spec | {"vision": str(hub / "clip")}, None)
    assert found["vision"]["snapshot"] == str((hub / "clip").resolve())
