"""One typed settings object for a training run, validated with messages a person can act on."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import InvalidSettingsError

ARCHITECTURES = ("gpt", "lstm", "gru", "rnn", "finetune")
TOKENIZERS = ("char", "bpe", "pretrained")
RECURRENT_ARCHITECTURES = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class TrainSettings:
    corpus: str  # file or folder of UTF-8 text
    out_dir: str
    arch: str = "gpt"  # gpt | lstm | gru | rnn | finetune
    tokenizer: str = "char"  # char | bpe | pretrained
    base_model: str | None = None  # for finetune (catalog id or path)
    lora: bool = False
    lora_rank: int = 8
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 64
    batch_size: int = 12
    grad_accum: int = 1
    lr: float = 1e-3
    min_lr: float | None = None  # None -> lr/10
    warmup_iters: int = 100
    max_iters: int = 2000
    eval_interval: int = 250
    eval_iters: int = 20
    dropout: float = 0.0
    weight_decay: float = 0.1
    grad_clip: float = 1.0  # 0 switches clipping off
    vocab_size: int = 2000  # BPE only
    val_fraction: float = 0.1
    checkpoint_interval: int = 500  # 0: only on stop and at the end
    seed: int = 1337
    device: str = "auto"
    sample_tokens: int = 64  # length of the sample generated at each eval

    @property
    def effective_min_lr(self) -> float:
        return self.lr / 10 if self.min_lr is None else self.min_lr

    @property
    def is_finetune(self) -> bool:
        return self.arch == "finetune"

    def problems(self) -> list[str]:
        found: list[str] = []
        if not str(self.corpus).strip():
            found.append("Choose a corpus: a UTF-8 text file or a folder of .txt files.")
        if not str(self.out_dir).strip():
            found.append("Choose an output folder for the trained model.")
        if self.arch not in ARCHITECTURES:
            found.append(f"Architecture must be one of {', '.join(ARCHITECTURES)}, not '{self.arch}'.")
        if self.tokenizer not in TOKENIZERS:
            found.append(f"Tokenizer must be one of {', '.join(TOKENIZERS)}, not '{self.tokenizer}'.")
        if self.is_finetune:
            if not self.base_model:
                found.append("Fine-tuning needs a base model (--base-model).")
            if self.tokenizer != "pretrained":
                found.append("Fine-tuning uses the base model's tokenizer: choose the 'pretrained' tokenizer.")
        else:
            if self.tokenizer == "pretrained":
                found.append("The 'pretrained' tokenizer is for fine-tuning; choose 'char' or 'bpe' to train from scratch.")
            if self.lora:
                found.append("LoRA only applies to fine-tuning a pretrained model.")
        positive = {
            "Number of layers": self.n_layer,
            "Embedding size": self.n_embd,
            "Block size": self.block_size,
            "Batch size": self.batch_size,
            "Gradient accumulation": self.grad_accum,
            "Max iterations": self.max_iters,
            "Eval interval": self.eval_interval,
            "Eval batches": self.eval_iters,
        }
        if self.arch == "gpt":
            positive["Number of heads"] = self.n_head
        if self.lora:
            positive["LoRA rank"] = self.lora_rank
        found += [f"{name} must be at least 1 (it is {value})." for name, value in positive.items() if value < 1]
        if self.arch == "gpt" and self.n_head >= 1 and self.n_embd % self.n_head:
            found.append(f"Embedding size ({self.n_embd}) must be divisible by the number of heads ({self.n_head}).")
        if not self.lr > 0:
            found.append(f"Learning rate must be above 0 (it is {self.lr}).")
        if self.min_lr is not None and not 0 <= self.min_lr <= self.lr:
            found.append(f"Minimum learning rate must be between 0 and the learning rate {self.lr} (it is {self.min_lr}).")
        if self.warmup_iters < 0:
            found.append("Warmup iterations cannot be negative.")
        if not 0 <= self.dropout < 1:
            found.append(f"Dropout must be at least 0 and below 1 (it is {self.dropout}).")
        if self.weight_decay < 0:
            found.append("Weight decay cannot be negative.")
        if self.grad_clip < 0:
            found.append("Gradient clipping cannot be negative (0 switches it off).")
        if self.tokenizer == "bpe" and not 260 <= self.vocab_size <= 65535:
            found.append(f"BPE vocabulary size must be between 260 and 65535 (it is {self.vocab_size}).")
        if not 0 < self.val_fraction < 1:
            found.append(f"Validation fraction must be between 0 and 1, e.g. 0.1 (it is {self.val_fraction}).")
        if self.checkpoint_interval < 0:
            found.append("Checkpoint interval cannot be negative (0: only on stop and at the end).")
        if self.sample_tokens < 0:
            found.append("Sample length cannot be negative.")
        return found

    def validate(self) -> None:
        found = self.problems()
        if found:
            raise InvalidSettingsError(" ".join(found))
