"""Projectors of another depth than LLaVA-1.5's two linear layers (``mlp<N>x_gelu``:
N linear layers with a GELU between each two, ``mlp1x_gelu`` a single linear map).

transformers' ``LlavaForConditionalGeneration`` has exactly LLaVA-1.5's projector, so a
model of another depth is a ``DeepProjectorLlava``: the same class with the projector
swapped before any weight is loaded, its depth saved in ``config.json``
(``mlan_projector_depth``) and its class in ``architectures``. The pipeline loads it
(``mlan.training.model.load_model``). Tools that know only the stock class (lmms-eval's
``llava_hf``, vLLM, transformers 4.x) would load it as LLaVA-1.5's, warning of projector
weights unexpected or missing (then random): evaluate such a model with the pipeline.
``mlp2x_gelu`` models are the stock class, exactly as before."""

from __future__ import annotations

import torch
from transformers import LlavaForConditionalGeneration
from transformers.activations import ACT2FN

DEPTH_KEY = "mlan_projector_depth"
STOCK_DEPTH = 2


class DeepProjector(torch.nn.Module):
    """``linear_1`` (vision width to the LLM's), then ``linear_2`` ... ``linear_N`` at the
    LLM's width, the activation between each two: the stock projector's names for N = 2."""

    def __init__(self, config, depth: int):
        super().__init__()
        layers = 1 if isinstance(config.vision_feature_layer, int) else len(config.vision_feature_layer)
        widths = [config.vision_config.hidden_size * layers] + [config.text_config.hidden_size] * depth
        for index in range(depth):
            linear = torch.nn.Linear(widths[index], widths[index + 1], bias=config.multimodal_projector_bias)
            setattr(self, f"linear_{index + 1}", linear)
        self.act = ACT2FN[config.projector_hidden_act]
        self.depth = depth

    def forward(self, features):
        for index in range(1, self.depth + 1):
            features = getattr(self, f"linear_{index}")(features)
            if index < self.depth:
                features = self.act(features)
        return features


class DeepProjectorLlava(LlavaForConditionalGeneration):
    """A LLaVA whose projector has ``config.mlan_projector_depth`` linear layers."""

    def __init__(self, config):
        super().__init__(config)
        self.model.multi_modal_projector = DeepProjector(config, getattr(config, DEPTH_KEY))
        self.model.multi_modal_projector.apply(self._init_weights)


def llava_class(config):
    """The class a LLaVA config is built or loaded with: the stock one for LLaVA-1.5's depth."""
    deep = getattr(config, DEPTH_KEY, STOCK_DEPTH) != STOCK_DEPTH
    return DeepProjectorLlava if deep else LlavaForConditionalGeneration
