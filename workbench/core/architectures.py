"""Models trained from scratch in the workbench, as ordinary transformers models.

``WorkbenchGPT`` is a nanoGPT-style decoder (pre-LayerNorm, no biases, tied embeddings).
Training uses the fused ``scaled_dot_product_attention`` kernel; asking for
``output_attentions`` switches to the explicit softmax path (same math) so the attention
panel can read the weights. ``WorkbenchRecurrent`` is one class for RNN, GRU and LSTM.

``register_architectures()`` makes both known to AutoConfig / AutoModelForCausalLM
(``workbench.core.loading`` and the trainer call it), so a trained folder loads and
generates like any pretrained model. This module sits at the bottom of the core: it
imports nothing from the workbench.

Generation recomputes from the last ``block_size`` tokens at each step instead of keeping
a cache: these models are small, and it keeps beam search and long generations correct
without cache bookkeeping.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import CausalLMOutput

RECURRENT_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class WorkbenchGPTConfig(PretrainedConfig):
    model_type = "workbench_gpt"
    # Generation keeps going past block_size by reading only the last block_size tokens.
    slides_past_context = True
    # Standard names, so generic code (caches, the loader's context_length) finds them.
    attribute_map = {
        "hidden_size": "n_embd",
        "num_hidden_layers": "n_layer",
        "num_attention_heads": "n_head",
        "max_position_embeddings": "block_size",
    }

    def __init__(
        self,
        vocab_size: int = 256,
        block_size: int = 64,
        n_layer: int = 4,
        n_head: int = 4,
        n_embd: int = 128,
        dropout: float = 0.0,
        tie_word_embeddings: bool = True,
        use_cache: bool = False,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_embd = n_embd
        self.dropout = dropout
        self.use_cache = use_cache
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)


class WorkbenchRecurrentConfig(PretrainedConfig):
    model_type = "workbench_recurrent"
    slides_past_context = True
    attribute_map = {"hidden_size": "n_embd", "num_hidden_layers": "n_layer"}

    def __init__(
        self,
        vocab_size: int = 256,
        cell: str = "lstm",
        n_layer: int = 2,
        n_embd: int = 128,
        dropout: float = 0.0,
        block_size: int = 64,
        tie_word_embeddings: bool = True,
        use_cache: bool = False,
        **kwargs,
    ) -> None:
        if cell not in RECURRENT_CELLS:
            raise ValueError(f"cell must be one of {', '.join(RECURRENT_CELLS)}, not {cell!r}")
        self.vocab_size = vocab_size
        self.cell = cell
        self.n_layer = n_layer
        self.n_embd = n_embd
        self.dropout = dropout
        # Training context; generation feeds at most this many recent tokens.
        self.block_size = block_size
        self.use_cache = use_cache
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)


class _RecomputingGenerationMixin(GenerationMixin):
    """Generation without a KV cache: every step sees the whole (cropped) sequence."""

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False

    def prepare_inputs_for_generation(self, input_ids, attention_mask=None, **kwargs):
        # Ignore the slicing ``generate`` does for cached models: we need every token, and
        # like nanoGPT only the most recent block_size of them (the context it was trained on).
        window = self.config.block_size
        if attention_mask is not None:
            attention_mask = attention_mask[:, -window:]  # (B, T)
        return {"input_ids": input_ids[:, -window:], "attention_mask": attention_mask}


def _shifted_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Transformers' convention: ``labels`` are the inputs; position t predicts t+1."""
    shift_logits = logits[:, :-1, :].reshape(-1, logits.size(-1))  # (B*(T-1), V)
    return F.cross_entropy(shift_logits, labels[:, 1:].reshape(-1), ignore_index=-100)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: WorkbenchGPTConfig) -> None:
        super().__init__()
        if config.n_head < 1 or config.n_embd % config.n_head:  # a hand-edited config.json: said at load
            raise ValueError(f"n_embd ({config.n_embd}) must be a multiple of n_head ({config.n_head})")
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_proj.is_residual_projection = True
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self, x: torch.Tensor, key_mask: torch.Tensor | None, output_attentions: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        allowed = _allowed_positions(T, key_mask, x.device)  # None or (B, 1, T, T)
        weights = None
        if output_attentions:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, T, T)
            if allowed is None:
                allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()  # (T, T)
            weights = F.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)  # (B, nh, T, T)
            y = self.attn_dropout(weights) @ v  # (B, nh, T, hs)
        elif allowed is None:
            y = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
            )  # (B, nh, T, hs)
        else:
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=allowed, dropout_p=self.dropout if self.training else 0.0
            )  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.resid_dropout(self.c_proj(y)), weights


def _allowed_positions(T: int, key_mask: torch.Tensor | None, device) -> torch.Tensor | None:
    """Causal mask combined with a padding mask; None when there is no padding (the fast path)."""
    if key_mask is None or bool(key_mask.all()):
        return None
    causal = torch.ones(T, T, dtype=torch.bool, device=device).tril()  # (T, T)
    allowed = causal & key_mask.bool()[:, None, None, :]  # (B, 1, T, T)
    # A padded query would see nothing and softmax to NaN: let it see itself.
    return allowed | torch.eye(T, dtype=torch.bool, device=device)


class MLP(nn.Module):
    def __init__(self, config: WorkbenchGPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=False)
        self.c_proj.is_residual_projection = True
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))  # (B, T, C)


class Block(nn.Module):
    def __init__(self, config: WorkbenchGPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=False)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=False)
        self.mlp = MLP(config)

    def forward(self, x, key_mask, output_attentions):
        attended, weights = self.attn(self.ln_1(x), key_mask, output_attentions)
        x = x + attended  # (B, T, C)
        x = x + self.mlp(self.ln_2(x))  # (B, T, C)
        return x, weights


class _WorkbenchPreTrainedModel(PreTrainedModel):
    base_model_prefix = "transformer"
    # Reported as "eager" because weights are always available (``output_attentions``);
    # the forward pass picks the fused SDPA kernel itself whenever they are not asked for.
    _supports_sdpa = False
    _supports_attention_backend = False

    def _init_weights(self, module: nn.Module) -> None:
        # nanoGPT's initialisation; residual projections scaled down by depth (GPT-2 paper).
        if isinstance(module, nn.Linear):
            std = 0.02
            if getattr(module, "is_residual_projection", False):
                std = 0.02 / math.sqrt(2 * self.config.n_layer)
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            init.normal_(module.weight, mean=0.0, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            init.ones_(module.weight)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, tuple(RECURRENT_CELLS.values())):
            for name, param in module.named_parameters():
                if "weight" in name:
                    init.xavier_uniform_(param)
                else:
                    init.zeros_(param)


class WorkbenchGPTForCausalLM(_RecomputingGenerationMixin, _WorkbenchPreTrainedModel):
    config_class = WorkbenchGPTConfig
    _no_split_modules = ["Block"]  # the unit that device maps and FSDP keep whole
    _tied_weights_keys = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: WorkbenchGPTConfig) -> None:
        super().__init__(config)
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, bias=False),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.transformer.wte

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.transformer.wte = value

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        **kwargs,
    ) -> CausalLMOutput:
        T = input_ids.size(1)
        if T > self.config.block_size:
            raise ValueError(f"Sequence of {T} tokens is longer than this model's block size {self.config.block_size}.")
        output_attentions = bool(output_attentions if output_attentions is not None else self.config.output_attentions)
        positions = torch.arange(T, dtype=torch.long, device=input_ids.device)  # (T,)
        x = self.transformer.drop(self.transformer.wte(input_ids) + self.transformer.wpe(positions))  # (B, T, C)
        hidden_states = [x] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for block in self.transformer.h:
            x, weights = block(x, attention_mask, output_attentions)
            if output_attentions:
                attentions.append(weights)
            if output_hidden_states:
                hidden_states.append(x)
        logits = self.lm_head(self.transformer.ln_f(x))  # (B, T, V)
        return CausalLMOutput(
            loss=_shifted_loss(logits, labels) if labels is not None else None,
            logits=logits,
            hidden_states=tuple(hidden_states) if output_hidden_states else None,
            attentions=tuple(attentions) if output_attentions else None,
        )


class WorkbenchRecurrentForCausalLM(_RecomputingGenerationMixin, _WorkbenchPreTrainedModel):
    config_class = WorkbenchRecurrentConfig
    _tied_weights_keys = {"lm_head.weight": "embedding.weight"}

    def __init__(self, config: WorkbenchRecurrentConfig) -> None:
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.recurrent = RECURRENT_CELLS[config.cell](
            config.n_embd,
            config.n_embd,
            num_layers=config.n_layer,
            batch_first=True,
            dropout=config.dropout if config.n_layer > 1 else 0.0,
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embedding = value

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        **kwargs,
    ) -> CausalLMOutput:
        x = self.drop(self.embedding(input_ids))  # (B, T, C)
        outputs, _ = self.recurrent(x)  # (B, T, C)
        logits = self.lm_head(self.drop(outputs))  # (B, T, V)
        return CausalLMOutput(
            loss=_shifted_loss(logits, labels) if labels is not None else None,
            logits=logits,
            hidden_states=(x, outputs) if output_hidden_states else None,
        )


# Every architecture defined here, by the ``model_type`` its config.json records.
ARCHITECTURES: dict[str, tuple[type[PretrainedConfig], type[PreTrainedModel]]] = {
    WorkbenchGPTConfig.model_type: (WorkbenchGPTConfig, WorkbenchGPTForCausalLM),
    WorkbenchRecurrentConfig.model_type: (WorkbenchRecurrentConfig, WorkbenchRecurrentForCausalLM),
}


def register_architectures() -> None:
    """Make the Auto classes load folders of these architectures. Safe to call repeatedly."""
    for model_type, (config_class, model_class) in ARCHITECTURES.items():
        AutoConfig.register(model_type, config_class, exist_ok=True)
        AutoModelForCausalLM.register(config_class, model_class, exist_ok=True)
