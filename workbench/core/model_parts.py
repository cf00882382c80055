"""Where the parts of a loaded transformers model are: its repeated layers and the attention
modules whose outputs carry the weights. Shared by generation, attention capture, the live
attention recorder and the logit lens. Torch and transformers are imported inside the functions,
so importing this module at start-up stays cheap."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

if TYPE_CHECKING:
    import torch


def decoder_blocks(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The model's repeated layers: the longest ModuleList (decoder layers in every architecture we load)."""
    import torch

    lists = [module for module in model.modules() if isinstance(module, torch.nn.ModuleList)]
    return list(max(lists, key=len)) if lists else []


@contextlib.contextmanager
def checked_before_each(blocks: Sequence[torch.nn.Module], check: Callable[[], None],
                        on_the_way_back: bool = False) -> Iterator[None]:
    """Runs ``check`` before each of ``blocks`` while the context lasts (a Stop raises there), and with
    ``on_the_way_back`` also as the backward pass reaches each block's output. Each block's ``forward`` is
    wrapped rather than given a forward pre-hook: any hook sends every call of the module down ``Module``'s
    slow path, about 7 us a block (2 % of a token of a 30-layer model when the host launches the kernels)."""
    blocks = list(dict.fromkeys(blocks))  # a block listed twice is wrapped once
    own: dict[torch.nn.Module, Callable | None] = {}  # a forward set on the block itself (accelerate's), or None
    checked = _checked_both_ways if on_the_way_back else _checked_forward
    try:
        for block in blocks:
            own[block] = block.__dict__.get("forward")
            block.forward = functools.partial(checked, check, block.forward)
        yield
    finally:
        for block, previous in own.items():
            if previous is None:
                block.__dict__.pop("forward", None)
            else:
                block.forward = previous


def _checked_forward(check: Callable[[], None], forward: Callable, *args, **kwargs):
    check()
    return forward(*args, **kwargs)


def _checked_both_ways(check: Callable[[], None], forward: Callable, *args, **kwargs):
    import torch

    check()
    output = forward(*args, **kwargs)
    hidden = output[0] if isinstance(output, tuple) else output  # (B, T, C)
    if isinstance(hidden, torch.Tensor) and hidden.requires_grad:
        hidden.register_hook(lambda _grad: check())  # returns None: the gradient passes unchanged
    return output


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
