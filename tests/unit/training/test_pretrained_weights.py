"""The paper's models come from pretrained folders (or hub ids, which load the same way):
a Llama tokenizer as the hub ships it, weights in fp16 shards, a whole CLIP checkpoint.
Stand-ins in those layouts (mlan.standin.weights) go through the processor and assembly."""

import json

import pytest
import torch
from PIL import Image

from mlan.errors import SourceError
from mlan.standin.weights import save_clip, save_llm
from mlan.training.model import build_base_model
from mlan.training.processor import build_processor, save_processor

TEXTS = [
    "A chat between a curious user and an artificial intelligence assistant.",
    "USER: What colour is the circle? ASSISTANT: In short, the direct answer is: red",
    "Anna has a red ball in the park. Choose the correct answer from the following options:",
] * 40
VOCAB = 300


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Stand-in LLMs in both hub layouts, one re-saved by save_pretrained, and a CLIP."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, CLIPImageProcessorPil, CLIPVisionModel

    root = tmp_path_factory.mktemp("pretrained")
    found = {layout: save_llm(root / layout, layout, TEXTS, VOCAB, seed=1) for layout in ("llama2", "vicuna")}
    found["saved"] = root / "saved"  # what a user gets from `save_pretrained` of a loaded Llama 2
    AutoTokenizer.from_pretrained(found["llama2"]).save_pretrained(found["saved"])
    AutoModelForCausalLM.from_pretrained(found["llama2"]).save_pretrained(found["saved"])
    found["clip"] = save_clip(root / "clip", seed=2)
    found["clip-vision"] = root / "clip-vision"  # a vision tower alone, as a user may save one
    CLIPVisionModel.from_pretrained(found["clip"]).save_pretrained(found["clip-vision"])
    CLIPImageProcessorPil.from_pretrained(found["clip"]).save_pretrained(found["clip-vision"])
    return found


def spec(folders, layout, vision="clip"):
    return {"llm": {"source": str(folders[layout])}, "vision": {"source": str(folders[vision])}}


@pytest.mark.parametrize("layout", ["llama2", "vicuna", "saved"])
def test_a_pretrained_tokenizer_gets_image_and_pad_tokens(folders, layout, tmp_path):
    from transformers import AutoProcessor, AutoTokenizer

    base = AutoTokenizer.from_pretrained(folders[layout])
    processor, facts = build_processor("m", spec(folders, layout), [])
    tokenizer = processor.tokenizer
    assert len(tokenizer) == len(base) + 2 == facts["vocab_size"]
    assert tokenizer.convert_tokens_to_ids(["<pad>", "<image>"]) == [len(base), len(base) + 1]
    assert tokenizer.pad_token == "<pad>" and tokenizer.image_token == "<image>"
    assert facts["tokens_per_image"] == 576 and (facts["image_size"], facts["patch_size"]) == (336, 14)
    text = "USER: <image>\nWhat is it? ASSISTANT: a red circle</s>"
    ids = tokenizer(text).input_ids
    assert ids[0] == base.bos_token_id == 1 and ids.count(len(base) + 1) == 1 and ids[-1] == base.eos_token_id == 2
    # the text around the added tokens keeps its pretrained pieces
    image = ids.index(len(base) + 1)
    assert tokenizer.decode(ids[image + 1 : -1]) == "\nWhat is it? ASSISTANT: a red circle"
    assert ids[1:image] == base("USER: ").input_ids[1:]

    save_processor(processor, facts, tmp_path / "processor")
    loaded = AutoProcessor.from_pretrained(tmp_path / "processor")
    assert loaded.tokenizer(text).input_ids == ids and loaded.tokenizer.pad_token_id == len(base)
    inputs = loaded(
        images=[Image.new("RGB", (60, 40), (200, 10, 10))], text=[text.split("</s>")[0]], return_tensors="pt"
    )
    assert inputs["input_ids"][0].tolist().count(len(base) + 1) == 576
    assert tuple(inputs["pixel_values"].shape) == (1, 3, 336, 336)
    assert json.loads((tmp_path / "processor" / "mlan_model_facts.json").read_text())["tokens_per_image"] == 576


@pytest.mark.parametrize("layout,vision", [("llama2", "clip"), ("vicuna", "clip"), ("saved", "clip-vision")])
def test_assembly_keeps_the_pretrained_weights_and_grows_the_vocabulary(folders, layout, vision):
    from transformers import AutoModelForCausalLM, CLIPModel

    processor, facts = build_processor("m", spec(folders, layout, vision), [])
    assert facts["tokens_per_image"] == 576
    model = build_base_model("m", spec(folders, layout, vision), processor.tokenizer, seed=0)
    llm = AutoModelForCausalLM.from_pretrained(folders[layout], dtype=torch.float32)
    clip = CLIPModel.from_pretrained(folders["clip"])
    vocab = len(processor.tokenizer)
    assert model.config.text_config.vocab_size == vocab == llm.config.vocab_size + 2
    assert model.config.pad_token_id == model.config.text_config.pad_token_id == vocab - 2
    assert model.config.image_token_id == vocab - 1 and model.config.image_seq_length == 576
    embeddings = model.get_input_embeddings().weight
    assert torch.equal(embeddings[: vocab - 2], llm.get_input_embeddings().weight)
    assert torch.equal(model.lm_head.weight[: vocab - 2], llm.lm_head.weight)
    assert torch.isfinite(embeddings[vocab - 2 :]).all() and embeddings[vocab - 2 :].abs().sum() > 0
    layer = model.model.language_model.layers[1].mlp.down_proj.weight
    assert torch.equal(layer, llm.model.layers[1].mlp.down_proj.weight)
    tower = model.model.vision_tower.state_dict()
    assert tower.keys() == clip.vision_model.state_dict().keys()
    for name, value in clip.vision_model.state_dict().items():
        assert torch.equal(tower[name], value), name


def test_weights_missing_from_a_checkpoint_are_named(folders, tmp_path):
    """transformers initializes absent weights at random with only a log line; assembly stops."""
    import shutil

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "clip"
    shutil.copytree(folders["clip"], broken)
    tensors = load_file(broken / "model.safetensors")
    del tensors["vision_model.post_layernorm.weight"]
    save_file(tensors, broken / "model.safetensors", metadata={"format": "pt"})
    processor, _ = build_processor("m", spec(folders, "llama2"), [])
    with pytest.raises(
        SourceError, match=r"vision tower at '.*clip' \(models\.m\.vision\.source\) lacks 1 .*post_layernorm\.weight"
    ):
        build_base_model("m", {**spec(folders, "llama2"), "vision": {"source": str(broken)}}, processor.tokenizer, 0)


def test_a_vocabulary_padded_beyond_the_tokenizer_is_kept(folders, tmp_path):
    """Checkpoints often pad their embedding rows to a multiple of 64 (llava-hf: 32064 for
    32002 tokens); assembly grows a vocabulary that lacks rows, never cuts one."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    padded = tmp_path / "padded"
    llm = AutoModelForCausalLM.from_pretrained(folders["llama2"], dtype=torch.float32)
    llm.resize_token_embeddings(384, mean_resizing=False)  # 300 tokens, 384 rows
    llm.save_pretrained(padded)
    AutoTokenizer.from_pretrained(folders["llama2"]).save_pretrained(padded)
    processor, _ = build_processor("m", spec(folders, "saved") | {"llm": {"source": str(padded)}}, [])
    model = build_base_model("m", spec(folders, "saved") | {"llm": {"source": str(padded)}}, processor.tokenizer, 0)
    assert model.config.text_config.vocab_size == 384 and len(processor.tokenizer) == VOCAB + 2
    assert torch.equal(model.get_input_embeddings().weight, llm.get_input_embeddings().weight)
    assert model.config.image_token_id == VOCAB + 1 < 384


def test_the_same_seed_gives_the_same_standin_bytes(folders, tmp_path):
    again = save_llm(tmp_path / "llama2", "llama2", TEXTS, VOCAB, seed=1)
    files = sorted(path.name for path in folders["llama2"].iterdir())
    assert files == sorted(path.name for path in again.iterdir()) and "tokenizer.model" in files
    for name in files:
        assert (again / name).read_bytes() == (folders["llama2"] / name).read_bytes(), name
