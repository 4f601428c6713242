"""The backbone seam (mlan.training.backbone) with today's models: Qwen2- and Mistral-
architecture LLMs and a SigLIP tower, stand-ins saved with ``save_pretrained`` from the real
transformers classes, through the processor, assembly, a training step, generation, the
language model's export and (opt-in) a transformers 4.x load; and the paper's Llama 2 +
CLIP exactly as before the seam."""

import json

import pytest
import torch
from conftest import FAST, TINY, needs_transformers_4, transformers_4_logits
from PIL import Image

from mlan.data.conversation import vicuna_v1
from mlan.errors import MlanError
from mlan.standin.backbones import save_mistral, save_qwen2, save_siglip
from mlan.standin.weights import save_clip, save_llm
from mlan.training.backbone import end_of_turn, projector_depth, tower
from mlan.training.input_ids import llava_input_ids
from mlan.training.model import build_base_model, load_model
from mlan.training.portable import export_language_model, make_portable
from mlan.training.processor import build_processor, save_processor
from mlan.training.settings import Settings
from mlan.training.train import train
from mlan.training.training_data import IGNORE_INDEX, encode

TEXTS = [
    "A chat between a curious user and an artificial intelligence assistant.",
    "USER: What colour is the circle? ASSISTANT: red",
    "Anna has a red ball in the park. Choose the correct answer from the following options:",
] * 40
TURNS = [{"from": "human", "value": "What colour is it?"}, {"from": "gpt", "value": "red"}]
# (LLM, tower) pairs: each new backbone with the paper's counterpart of the other part.
PAIRS = [("qwen2", "clip"), ("mistral", "clip"), ("llama2", "siglip")]
SIGLIP_SIZE, SIGLIP_PATCH = 112, 14  # 64 patches: the 384-px tower's layout, a CPU's size


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("backbones")
    return {
        "qwen2": save_qwen2(root / "qwen2", TEXTS, 300, seed=1),
        "mistral": save_mistral(root / "mistral", TEXTS, 300, seed=1),
        "llama2": save_llm(root / "llama2", "llama2", TEXTS, 300, seed=1),
        "clip": save_clip(root / "clip", seed=2, image_size=56, patch_size=14),
        "siglip": save_siglip(root / "siglip", seed=2, image_size=SIGLIP_SIZE, patch_size=SIGLIP_PATCH),
    }


def spec(folders, llm, vision):
    return {"llm": {"source": str(folders[llm])}, "vision": {"source": str(folders[vision])}}


@pytest.fixture(scope="module")
def assembled(folders, tmp_path_factory):
    """Each pair assembled and saved as the pipeline's assemble_model saves it."""
    root = tmp_path_factory.mktemp("assembled")
    found = {}
    for llm, vision in PAIRS:
        processor, facts = build_processor("m", spec(folders, llm, vision), [])
        model = build_base_model("m", spec(folders, llm, vision), processor.tokenizer, seed=0)
        folder = root / f"{llm}-{vision}"
        model.save_pretrained(folder)
        save_processor(processor, facts, folder)
        make_portable(folder)
        found[(llm, vision)] = folder
    return found


def image():
    return Image.new("RGB", (60, 40), (200, 10, 10))


@pytest.mark.parametrize("llm,eos,bos", [("qwen2", "<|endoftext|>", None), ("mistral", "</s>", "<s>")])
def test_the_tokenizer_decides_bos_and_the_end_of_turn(folders, llm, eos, bos):
    """A Qwen2 turn ends with <|endoftext|> (no literal </s>, which Qwen2 would read as five
    ordinary tokens), which carries loss; no BOS is forced on a tokenizer without one."""
    processor, _ = build_processor("m", spec(folders, llm, "clip"), [])
    tokenizer = processor.tokenizer
    assert (end_of_turn(tokenizer), tokenizer.bos_token) == (eos, bos)
    text, spans = vicuna_v1(TURNS, end_of_turn(tokenizer))
    assert text.endswith(" ASSISTANT: red" + eos) and "</s>" not in text.replace(eos, "")
    ids, labels = encode(text, spans, tokenizer, image_tokens=4, max_length=None)
    assert ids[-1] == labels[-1] == tokenizer.eos_token_id  # the model learns to stop
    assert tokenizer.decode([i for i in labels if i != IGNORE_INDEX]).strip() == "red" + eos
    assert (ids[0] == tokenizer.bos_token_id) == (bos is not None)
    if bos is None:
        assert ids == tokenizer(text, add_special_tokens=False).input_ids
    messages = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is it?"}]},
        {"role": "assistant", "content": "red"},
    ]
    assert processor.apply_chat_template(messages, tokenize=False).endswith(" ASSISTANT: red" + eos)


def test_a_siglip_tower_keeps_every_patch(folders, assembled):
    """SigLIP has no CLS token: every patch reaches the projector ("full"), where CLIP drops
    its first output ("default"); both read the penultimate layer."""
    from transformers import AutoProcessor, LlavaConfig

    config = LlavaConfig.from_pretrained(assembled[("llama2", "siglip")])
    assert (config.vision_feature_select_strategy, config.vision_feature_layer) == ("full", -2)
    patches = (SIGLIP_SIZE // SIGLIP_PATCH) ** 2
    assert config.image_seq_length == patches and config.vision_config.model_type == "siglip_vision_model"
    clip = LlavaConfig.from_pretrained(assembled[("qwen2", "clip")])
    assert (clip.vision_feature_select_strategy, clip.image_seq_length) == ("default", 16)
    processor = AutoProcessor.from_pretrained(assembled[("llama2", "siglip")])
    batch = processor(images=[image()], text=["USER: <image>\nWhat? ASSISTANT:"], return_tensors="pt")
    assert batch["input_ids"][0].tolist().count(config.image_token_id) == patches
    assert tuple(batch["pixel_values"].shape) == (1, 3, SIGLIP_SIZE, SIGLIP_SIZE)
    # SigLIP's normalization (0.5, 0.5): a white pixel is 1.0, black -1.0
    assert list(processor.image_processor.image_mean) == [0.5, 0.5, 0.5]
    model = load_model(assembled[("llama2", "siglip")])
    features = model.model.get_image_features(pixel_values=batch["pixel_values"])
    features = features.pooler_output if hasattr(features, "pooler_output") else features
    assert sum(part.shape[0] for part in features) == patches


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: "-".join(pair))
def test_assembly_keeps_each_backbone_and_it_trains_and_generates(folders, assembled, pair, tmp_path):
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoModelForCausalLM

    llm, vision = pair
    model = load_model(assembled[pair])
    language = AutoModelForCausalLM.from_pretrained(folders[llm], dtype=torch.float32)
    assert type(model.model.language_model).__name__ == type(language.model).__name__
    for name, weight in language.model.state_dict().items():
        if "embed_tokens" not in name:
            assert torch.equal(model.model.language_model.state_dict()[name], weight), name
    tower_weights = AutoModel.from_pretrained(folders[vision]).vision_model.state_dict()
    assert all(torch.equal(model.model.vision_tower.state_dict()[n], w) for n, w in tower_weights.items())

    # training: a text-only and an image step (group_by_modality); LLM and projector learn
    data = tmp_path / "train.json"
    conversations = [
        {"id": "text", "conversations": TURNS},
        {"id": "image", "image": "red.png", "conversations": [{**TURNS[0], "value": "<image>\nWhat?"}, TURNS[1]]},
    ]
    data.write_text(json.dumps(conversations * 2))
    image().save(tmp_path / "red.png")
    settings = Settings(**FAST | {"global_batch_size": 4, "max_length": 512})
    train("finetune", assembled[pair], data, tmp_path, tmp_path / "tuned", tmp_path / "ckpt", settings)
    before, after = load_file(assembled[pair] / "model.safetensors"), load_file(tmp_path / "tuned/model.safetensors")
    moved = {key.split(".")[0] + "." + key.split(".")[1] for key in before if not torch.equal(before[key], after[key])}
    assert {"multi_modal_projector.linear_1", "language_model.model"} <= moved, moved
    summary = json.loads((tmp_path / "tuned/train_summary.json").read_text())
    assert summary["steps"] == 2 and torch.isfinite(torch.tensor(summary["final_loss"]))

    # generation, from ids made as evaluation makes them
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tmp_path / "tuned")
    tuned = load_model(tmp_path / "tuned")
    config = tuned.config
    ids = llava_input_ids(
        "USER: <image>\nWhat? ASSISTANT:", processor.tokenizer, config.image_token_id, config.image_seq_length
    )
    pixels = processor.image_processor([image()], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        output = tuned.generate(input_ids=torch.tensor([ids]), pixel_values=pixels, max_new_tokens=4, do_sample=False)
    assert output.shape[1] > len(ids)

    # the language model alone, in its own architecture's class, with the same logits
    export_language_model(tmp_path / "tuned", tmp_path / "llm")
    alone = AutoModelForCausalLM.from_pretrained(tmp_path / "llm", dtype=torch.float32)
    assert type(alone).__name__ == type(language).__name__
    text_ids = torch.tensor([processor.tokenizer("USER: Is it red? ASSISTANT:").input_ids])
    with torch.no_grad():
        assert torch.equal(alone(input_ids=text_ids).logits, tuned(input_ids=text_ids).logits)


def test_the_paper_backbones_behave_as_before_the_seam(folders, tmp_path):
    """Llama 2 + CLIP: the turn ends with the literal the fork writes, the config and the
    processor are LLaVA-1.5's (penultimate layer, CLS dropped, one extra tower output)."""
    from transformers import AutoProcessor

    processor, facts = build_processor("m", spec(folders, "llama2", "clip"), [])
    assert end_of_turn(processor.tokenizer) == "</s>"
    assert vicuna_v1(TURNS, end_of_turn(processor.tokenizer))[0].endswith("ASSISTANT: red</s>")
    model = build_base_model("m", spec(folders, "llama2", "clip"), processor.tokenizer, seed=0)
    config = model.config
    assert (config.vision_feature_layer, config.vision_feature_select_strategy) == (-2, "default")
    assert config.text_config.model_type == "llama" and config.vision_config.model_type == "clip_vision_model"
    save_processor(processor, facts, tmp_path)
    saved = json.loads((tmp_path / "processor_config.json").read_text())
    assert (saved["num_additional_image_tokens"], saved["vision_feature_select_strategy"]) == (1, "default")
    assert AutoProcessor.from_pretrained(tmp_path).image_processor.image_mean[0] == pytest.approx(0.48145466)


def test_bad_backbone_settings_are_named(folders):
    with pytest.raises(MlanError, match=r"models.m.projector: 'mlp0x_gelu' has no linear layer"):
        projector_depth("m", {"projector": "mlp0x_gelu"})
    with pytest.raises(MlanError, match=r"models.m.projector: 'gelu' is not of the form"):
        projector_depth("m", {"projector": "gelu"})
    with pytest.raises(MlanError, match=r"models.m.vision.source: '.*qwen2' is a 'qwen2' model"):
        tower("m", {"source": str(folders["qwen2"])})
    with pytest.raises(MlanError, match=r"models.m.llm.architecture: set for pretrained weights"):
        build_processor(
            "m",
            {**spec(folders, "qwen2", "clip"), "llm": {"source": str(folders["qwen2"]), "architecture": "qwen2"}},
            [],
        )
    with pytest.raises(MlanError, match=r"models.m.vision.architecture: 'vit' is none of clip, siglip"):
        tower("m", {"config": {}, "architecture": "vit"})
    with pytest.raises(MlanError, match=r"models.m.llm.architecture: 'gpt2' is none of llama, mistral, qwen2"):
        build_processor(
            "m",
            {
                "llm": {"config": {}, "architecture": "gpt2", "tokenizer_vocab_size": 64},
                "vision": {"config": {"image_size": 8, "patch_size": 4}},
            },
            [],
        )


@pytest.mark.parametrize("architecture,eos", [("qwen2", "<|endoftext|>"), ("mistral", "</s>")])
def test_a_config_built_llm_takes_its_architecture_and_tokenizer(architecture, eos, tmp_path):

    from mlan.catalog import TRAIN_DATASETS
    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator

    files = []
    for name in TRAIN_DATASETS[:2]:
        toy_generator(name).generate(tmp_path / name, 8, 0)
        normalize_dataset(name, tmp_path / name, tmp_path / f"{name}.jsonl", tmp_path / "images")
        files.append(tmp_path / f"{name}.jsonl")
    tiny = {**TINY, "llm": {**TINY["llm"], "architecture": architecture}}
    processor, _ = build_processor("tiny", tiny, files)
    model = build_base_model("tiny", tiny, processor.tokenizer, seed=0)
    assert model.config.text_config.model_type == architecture
    assert end_of_turn(processor.tokenizer) == eos


@needs_transformers_4
@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: "-".join(pair))
def test_a_transformers_4_install_loads_each_backbone(assembled, pair, transformers_4, tmp_path):
    """MLAN_TEST_TRANSFORMERS4=1 pytest tests/unit/training/test_backbones.py"""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(assembled[pair])
    batch = processor(images=[image()], text=["USER: <image>\nWhat? ASSISTANT:"], return_tensors="pt")
    model = load_model(assembled[pair])
    with torch.no_grad():
        ours = model(input_ids=batch["input_ids"], pixel_values=batch["pixel_values"]).logits
    theirs = transformers_4_logits(
        transformers_4, assembled[pair], batch["input_ids"], batch["pixel_values"], "<pad>", tmp_path
    )
    assert torch.allclose(theirs, ours, atol=1e-5)


@pytest.mark.parametrize("depth", [1, 3])
def test_a_projector_of_another_depth_trains_saves_and_loads(world, depth, tmp_path):
    """mlp1x_gelu is one linear map, mlp3x_gelu three with GELUs between: the model saves
    as a DeepProjectorLlava with its depth, loads back with the same logits, and its
    projector learns; mlp2x_gelu stays the stock class (no depth written)."""
    import json

    from transformers import AutoProcessor

    from mlan.training.projector import DEPTH_KEY

    processor = AutoProcessor.from_pretrained(world / "base")
    spec = {**TINY, "projector": f"mlp{depth}x_gelu"}
    model = build_base_model("tiny", spec, processor.tokenizer, seed=0)
    layers = [name for name, _ in model.model.multi_modal_projector.named_children() if name.startswith("linear")]
    assert layers == [f"linear_{n}" for n in range(1, depth + 1)]
    first = model.model.multi_modal_projector.linear_1
    assert (first.in_features, first.out_features) == (TINY["vision"]["config"]["hidden_size"], 32)
    model.save_pretrained(tmp_path / "base")
    processor.save_pretrained(tmp_path / "base")
    config = json.loads((tmp_path / "base" / "config.json").read_text())
    assert config[DEPTH_KEY] == depth and config["architectures"] == ["DeepProjectorLlava"]
    loaded = load_model(tmp_path / "base")
    pixels = processor.image_processor([image()], return_tensors="pt")["pixel_values"]
    ids = torch.tensor([llava_input_ids("USER: <image>\nWhat? ASSISTANT:", processor.tokenizer,
                                        loaded.config.image_token_id, loaded.config.image_seq_length)])  # fmt: skip
    with torch.no_grad():
        assert torch.equal(
            loaded(input_ids=ids, pixel_values=pixels).logits, model(input_ids=ids, pixel_values=pixels).logits
        )
    settings = Settings(**FAST | {"epochs": 1})
    train("pretrain", tmp_path / "base", world / "data/llava_pretrain.jsonl", world / "images", tmp_path / "pre",
          tmp_path / "ckpt", settings)  # fmt: skip
    from safetensors.torch import load_file

    before, after = load_file(tmp_path / "base/model.safetensors"), load_file(tmp_path / "pre/model.safetensors")
    moved = {key for key in before if not torch.equal(before[key], after[key])}
    assert moved and all("multi_modal_projector." in key for key in moved)  # pretraining: the projector only
    assert {key.split("multi_modal_projector.")[1].split(".")[0] for key in moved} == {
        f"linear_{n}" for n in range(1, depth + 1)
    }
    stock = build_base_model("tiny", TINY, processor.tokenizer, seed=0)
    assert type(stock).__name__ == "LlavaForConditionalGeneration" and not hasattr(stock.config, DEPTH_KEY)
