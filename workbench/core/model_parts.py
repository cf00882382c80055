"""Where the parts of a loaded transformers model are: its repeated layers and the attention
modules whose outputs carry the weights. Shared by generation, attention capture, the live
attention recorder and the logit lens. Torch and transformers are imported inside the functions,
so importing this module at start-up stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def decoder_blocks(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The model's repeated layers: the longest ModuleList (decoder layers in every architecture we load)."""
    import torch

    lists = [module for module in model.modules() if isinstance(module, torch.nn.ModuleList)]
    return list(max(lists, key=len)) if lists else []


def attention_targets(model) -> list[tuple[str, object, int]]:
    """(key, module, output index) for each module whose output transformers reads for
    ``output_attentions``, in forward order; key is "attentions" or "cross_attentions"."""
    from transformers import PreTrainedModel
    from transformers.utils.output_capturing import OutputRecorder

    recorders: list[tuple[str, OutputRecorder]] = []
    for module in model.modules():
        if not isinstance(module, PreTrainedModel):
            continue
        for key, specs in (getattr(module, "_can_record_outputs", None) or {}).items():
            if key not in ("attentions", "cross_attentions"):
                continue
            for spec in specs if isinstance(specs, list) else [specs]:
                if not isinstance(spec, OutputRecorder):  # a bare class (or class-name suffix) means index 1
                    spec = OutputRecorder(
                        target_class=None if isinstance(spec, str) else spec,
                        index=1,
                        class_name=spec if isinstance(spec, str) else None,
                    )
                recorders.append((key, spec))
    targets = []
    for name, module in model.named_modules():
        for key, spec in recorders:
            by_class = spec.target_class is not None and isinstance(module, spec.target_class)
            by_name = spec.class_name is not None and name.endswith(spec.class_name)
            in_layer = spec.layer_name is None or f".{spec.layer_name.strip('.')}." in f".{name}."
            if (by_class or by_name) and in_layer:
                targets.append((key, module, spec.index))
                break
    return targets
