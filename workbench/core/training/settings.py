"""One typed settings object for a training run, validated with messages a person can act on."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.i18n import QT_TRANSLATE_NOOP, Text
from workbench.core.settings_fields import DEVICE, FOLDER, DescribedSettings, Problem, setting, shown

ARCHITECTURE_LABELS = {
    "gpt": QT_TRANSLATE_NOOP("TrainSettings", "GPT (Transformer decoder)"),
    "lstm": QT_TRANSLATE_NOOP("TrainSettings", "LSTM"),
    "gru": QT_TRANSLATE_NOOP("TrainSettings", "GRU"),
    "rnn": QT_TRANSLATE_NOOP("TrainSettings", "Plain RNN"),
    "finetune": QT_TRANSLATE_NOOP("TrainSettings", "Fine-tune a pretrained model"),
}
TOKENIZER_LABELS = {
    "char": QT_TRANSLATE_NOOP("TrainSettings", "Characters"),
    "bpe": QT_TRANSLATE_NOOP("TrainSettings", "Byte-level BPE"),
    "pretrained": QT_TRANSLATE_NOOP("TrainSettings", "The base model's own"),
}
RECURRENT_ARCHITECTURES = ("lstm", "gru", "rnn")
# What "auto" means for the learning rate: nanoGPT's for a small model from scratch; a pretrained model's
# weights are already good, so a full fine-tune takes small steps, and LoRA's fresh adapters larger ones.
AUTO_LEARNING_RATES = {"scratch": 1e-3, "finetune": 5e-5, "lora": 2e-4}


@dataclass(frozen=True)
class TrainSettings(DescribedSettings):
    corpus: str = setting(
        label=QT_TRANSLATE_NOOP("TrainSettings", "Corpus"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Corpus"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "A UTF-8 text file, or a folder of .txt files: the text the model learns to continue."
        ),
    )
    out_dir: str = setting(
        label=QT_TRANSLATE_NOOP("TrainSettings", "Output folder"),
        kind=FOLDER,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Output folder"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Where the trained model, its checkpoints and metrics.csv are written. It must be new or empty.",
        ),
    )
    arch: str = setting(
        "gpt",
        label=QT_TRANSLATE_NOOP("TrainSettings", "Architecture"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        choices=ARCHITECTURE_LABELS,
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "GPT reads the whole context with attention; LSTM, GRU and RNN read it one token at a time with a "
            "memory. Fine-tuning continues training a pretrained model on your corpus.",
        ),
    )
    base_model: str | None = setting(
        None,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Base model"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP("TrainSettings", "The model to fine-tune: a catalog id or a model folder."),
    )
    tokenizer: str = setting(
        "char",
        label=QT_TRANSLATE_NOOP("TrainSettings", "Tokenizer"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        choices=TOKENIZER_LABELS,
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How text is cut into tokens: single characters (small vocabulary, long sequences), BPE pieces "
            "learnt from the corpus, or, for fine-tuning, the base model's own tokenizer.",
        ),
    )
    lora: bool = setting(
        False,
        label=QT_TRANSLATE_NOOP("TrainSettings", "LoRA (train small adapters only)"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Freeze the base model and train small low-rank adapters: far less memory, often nearly as good.",
        ),
    )
    n_layer: int = setting(
        4,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Layers"),
        minimum=1,
        soft_maximum=48,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How many Transformer blocks (or recurrent layers) are stacked. More learn more, but train slower.",
        ),
    )
    n_head: int = setting(
        4,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Attention heads"),
        minimum=1,
        soft_maximum=32,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How many attention patterns each Transformer block learns side by side. Must divide the embedding size.",
        ),
    )
    n_embd: int = setting(
        128,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Embedding size"),
        minimum=1,
        soft_minimum=8,
        soft_maximum=2048,
        step=8,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Length of the vector that stands for each token inside the model. Bigger is stronger and slower.",
        ),
    )
    block_size: int = setting(
        64,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Context length"),
        minimum=1,
        soft_minimum=8,
        soft_maximum=4096,
        step=8,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "How many tokens the model sees at once when predicting the next one (the block size)."
        ),
    )
    dropout: float = setting(
        0.0,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Dropout"),
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
        soft_maximum=0.9,
        step=0.05,
        decimals=2,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Share of activations randomly zeroed while training, against overfitting. 0 for small models and "
            "short runs.",
        ),
    )
    vocab_size: int = setting(  # BPE only
        2000,
        label=QT_TRANSLATE_NOOP("TrainSettings", "BPE vocabulary size"),
        minimum=260,
        maximum=65535,
        step=100,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How many tokens the BPE tokenizer learns from the corpus (byte pieces merged into frequent chunks).",
        ),
    )
    lora_rank: int = setting(
        8,
        label=QT_TRANSLATE_NOOP("TrainSettings", "LoRA rank"),
        minimum=1,
        soft_maximum=256,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Model"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Size of the small low-rank matrices LoRA trains instead of the whole model. 8 is a good start.",
        ),
    )
    max_iters: int = setting(
        2000,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Training steps"),
        minimum=1,
        soft_maximum=1_000_000,
        step=100,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP("TrainSettings", "How many optimizer steps to run in total."),
    )
    batch_size: int = setting(
        12,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Batch size"),
        minimum=1,
        soft_maximum=1024,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "How many text blocks are read per step. Bigger gives smoother steps and uses more memory."
        ),
    )
    grad_accum: int = setting(
        1,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Gradient accumulation"),
        minimum=1,
        soft_maximum=64,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Add up the gradients of this many batches before each step: a bigger batch without more memory.",
        ),
    )
    lr: float | None = setting(  # None -> AUTO_LEARNING_RATES for the architecture
        None,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Learning rate"),
        minimum=0,
        exclusive_minimum=True,
        soft_maximum=1.0,
        step=0.0001,
        decimals=5,
        special=QT_TRANSLATE_NOOP("TrainSettings", "auto"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How big each step is. Too high and the loss jumps or becomes NaN; too low and it falls slowly. Auto: "
            "0.001 for a model from scratch, 0.00005 for a full fine-tune, 0.0002 for LoRA (a pretrained model's "
            "weights are already good: big steps undo them).",
        ),
    )
    min_lr: float | None = setting(  # None -> lr/10
        None,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Final learning rate"),
        minimum=0,
        soft_maximum=1.0,
        step=0.00001,
        decimals=6,
        special=QT_TRANSLATE_NOOP("TrainSettings", "auto (lr ÷ 10)"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "The learning rate the cosine schedule decays to, reached as the last step ends (nanoGPT's schedule). "
            "Auto: a tenth of the learning rate.",
        ),
    )
    warmup_iters: int = setting(
        100,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Warmup steps"),
        minimum=0,
        soft_maximum=100_000,
        step=10,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Steps over which the learning rate rises from almost 0, so early updates do not wreck the fresh model.",
        ),
    )
    weight_decay: float = setting(
        0.1,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Weight decay"),
        minimum=0,
        soft_maximum=1.0,
        step=0.01,
        decimals=3,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "Pulls weights gently toward zero at every step (AdamW), against overfitting."
        ),
    )
    grad_clip: float = setting(
        1.0,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Gradient clipping"),
        minimum=0,
        soft_maximum=100.0,
        step=0.1,
        decimals=2,
        special=QT_TRANSLATE_NOOP("TrainSettings", "off"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Largest allowed gradient norm: cuts rare huge updates that would make the loss jump. 0 turns it off.",
        ),
    )
    eval_interval: int = setting(
        250,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Evaluate every"),
        minimum=1,
        soft_maximum=100_000,
        step=50,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How many steps between measurements of the validation loss (with a sample text); one always runs "
            "at the last step.",
        ),
    )
    eval_iters: int = setting(
        20,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Evaluation batches"),
        minimum=1,
        soft_maximum=1000,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "How many validation batches are averaged for each validation loss. More is steadier but slower.",
        ),
    )
    val_fraction: float = setting(
        0.1,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Validation share"),
        minimum=0,
        maximum=1,
        exclusive_minimum=True,
        exclusive_maximum=True,
        soft_minimum=0.01,
        soft_maximum=0.5,
        step=0.01,
        decimals=2,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "Part of the corpus, taken from its end, kept aside to measure the validation loss."
        ),
    )
    sample_tokens: int = setting(
        64,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Sample length"),
        minimum=0,
        soft_maximum=1024,  # no hard limit: runs saved before keep theirs, and Stop ends a long sample at once
        step=16,
        special=QT_TRANSLATE_NOOP("TrainSettings", "no samples"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Tokens generated as a sample text at each evaluation, to read what the model has learnt. 0: none.",
        ),
    )
    probes: tuple[str, ...] = setting(
        (),
        label=QT_TRANSLATE_NOOP("TrainSettings", "Probe texts"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Texts read at every evaluation: their loss, the model's greedy continuation and its five likeliest "
            "next tokens. Empty: the first lines of the validation text.",
        ),
    )
    head_scores: bool = setting(
        True,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Score attention heads"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "At every evaluation, score each attention head on a random sequence repeated twice: how much it "
            "looks at the previous token, at the token that followed this one last time (an induction head) and at "
            "the first token. One short forward pass; models with attention only.",
        ),
    )
    keep_last_checkpoints: int = setting(
        2,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Keep the latest"),
        minimum=0,
        soft_maximum=100,
        special=QT_TRANSLATE_NOOP("TrainSettings", "none"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "At every evaluation the model is saved as it is then, to open while training goes on. This many "
            "of the latest are kept (the resume checkpoint is separate).",
        ),
    )
    keep_log_spaced_checkpoints: int = setting(
        4,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Keep spread out"),
        minimum=0,
        soft_maximum=100,
        special=QT_TRANSLATE_NOOP("TrainSettings", "none"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Also keep this many of the saved evaluations spread evenly on a log scale of steps (early "
            "training changes fastest). With both at 0 no evaluation is saved.",
        ),
    )
    checkpoint_interval: int = setting(
        500,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Checkpoint every"),
        minimum=0,
        soft_maximum=1_000_000,
        step=100,
        special=QT_TRANSLATE_NOOP("TrainSettings", "only on stop and end"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Steps between saved checkpoints. A checkpoint is always saved on stop and at the end; 0 saves only then.",
        ),
    )
    seed: int = setting(
        1337,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Random seed"),
        minimum=0,
        maximum=2**31 - 1,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP("TrainSettings", "Same seed and settings give the same run again."),
    )
    compile: bool = setting(
        False,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Compile the model"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Speed"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Compile the training step with torch.compile: faster steps on a GPU after a slow first one "
            "(a minute or more). Evaluations, samples and probes run the model uncompiled.",
        ),
    )
    bf16: bool = setting(
        True,
        label=QT_TRANSLATE_NOOP("TrainSettings", "bfloat16 on GPUs"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Speed"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "On a GPU that supports it, compute in bfloat16 (autocast, as nanoGPT does) while the weights stay "
            "in float32; off computes in float32. CPUs always train in float32.",
        ),
    )
    fsdp: bool = setting(
        False,
        label=QT_TRANSLATE_NOOP("TrainSettings", "Shard the model over the processes (FSDP)"),
        section=QT_TRANSLATE_NOOP("TrainSettings", "Speed"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Under torchrun, split the weights, gradients and optimizer state over the processes (PyTorch's "
            "fully_shard), so a model too big for one GPU trains on several; every process then also evaluates. "
            "GPT and full fine-tuning only, not LoRA or recurrent models. Without torchrun it changes nothing.",
        ),
    )
    device: str = setting(
        "auto",
        label=QT_TRANSLATE_NOOP("TrainSettings", "Device"),
        kind=DEVICE,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Training"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings", "Where to train: auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps."
        ),
    )

    tensorboard: str | None = setting(
        None,
        label=QT_TRANSLATE_NOOP("TrainSettings", "TensorBoard folder"),
        kind=FOLDER,
        section=QT_TRANSLATE_NOOP("TrainSettings", "Logging"),
        help=QT_TRANSLATE_NOOP(
            "TrainSettings",
            "Also write the losses, learning rate and speed as TensorBoard events in this folder, so TensorBoard "
            "and other dashboards read the run. Empty: no events.",
        ),
    )

    @property
    def effective_lr(self) -> float:
        if self.lr is not None:
            return self.lr
        if not self.is_finetune:
            return AUTO_LEARNING_RATES["scratch"]
        return AUTO_LEARNING_RATES["lora" if self.lora else "finetune"]

    @property
    def effective_min_lr(self) -> float:
        return self.effective_lr / 10 if self.min_lr is None else self.min_lr

    @property
    def is_finetune(self) -> bool:
        return self.arch == "finetune"

    def unused_settings(self) -> dict[str, str]:
        unused = {}
        if self.is_finetune:
            for name in ("n_layer", "n_head", "n_embd"):
                unused[name] = "a fine-tune keeps the base model's shape"
            if not self.lora:
                unused["lora_rank"] = "it sizes LoRA adapters: add --lora"
                unused["dropout"] = "a full fine-tune keeps the base model's own dropout (LoRA adapters use it)"
        else:
            unused["base_model"] = "it names the model to fine-tune: add --arch finetune"
            unused["lora"] = unused["lora_rank"] = "LoRA adapters are for fine-tuning: add --arch finetune"
            if self.arch in RECURRENT_ARCHITECTURES:
                unused["n_head"] = unused["head_scores"] = "recurrent models have no attention heads"
        if self.tokenizer != "bpe":
            unused["vocab_size"] = "it sizes the BPE tokenizer learnt from the corpus: add --tokenizer bpe"
        return unused

    def learning_rate(self, step: int) -> float:
        """nanoGPT's schedule for 0-based ``step``: linear warmup, then cosine down to min_lr at max_iters."""
        min_lr = self.effective_min_lr
        if step < self.warmup_iters:
            return self.effective_lr * (step + 1) / (self.warmup_iters + 1)
        if step > self.max_iters:
            return min_lr
        span = max(1, self.max_iters - self.warmup_iters)
        coefficient = 0.5 * (1.0 + math.cos(math.pi * (step - self.warmup_iters) / span))
        return min_lr + coefficient * (self.effective_lr - min_lr)

    def notes(self) -> list[Text]:
        """What the settings allow but a person rarely means, said before a run starts (it still can)."""
        if self.warmup_iters < self.max_iters:
            return []
        reached = self.learning_rate(self.max_iters - 1)  # the trainer's last step
        return [
            QT_TRANSLATE_NOOP(
                "SettingsNote",
                "The warmup ({warmup} steps) lasts the whole run ({steps} steps): the learning rate only rises, to "
                "{reached:.3g} of {lr:.3g}, and never decays. Fewer warmup steps give the usual schedule.",
            ).fill(warmup=self.warmup_iters, steps=self.max_iters, reached=reached, lr=self.effective_lr)
        ]

    def combination_problems(self) -> list[Problem]:
        found = []
        if not self.corpus.strip():
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem", "Choose a corpus: a UTF-8 text file or a folder of .txt files."
                    ),
                    "corpus",
                )
            )
        if not self.out_dir.strip():
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP("SettingsProblem", "Choose an output folder for the trained model."), "out_dir"
                )
            )
        if any(not probe.strip() for probe in self.probes):
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem",
                        "A probe text is empty: give it some text, or give no probe texts at all to read the first "
                        "lines of the validation text.",
                    ),
                    "probes",
                )
            )
        if self.is_finetune:
            if not self.base_model:
                found.append(
                    Problem(QT_TRANSLATE_NOOP("SettingsProblem", "Fine-tuning needs a base model."), "base_model")
                )
            if self.tokenizer != "pretrained":
                found.append(
                    Problem(
                        QT_TRANSLATE_NOOP(
                            "SettingsProblem",
                            "Fine-tuning uses the base model's tokenizer: choose the 'pretrained' tokenizer.",
                        ),
                        "tokenizer",
                    )
                )
        else:
            if self.tokenizer == "pretrained":
                found.append(
                    Problem(
                        QT_TRANSLATE_NOOP(
                            "SettingsProblem",
                            "The 'pretrained' tokenizer is for fine-tuning; choose 'char' or 'bpe' to "
                            "train from scratch.",
                        ),
                        "tokenizer",
                    )
                )
            if self.lora:
                found.append(
                    Problem(
                        QT_TRANSLATE_NOOP("SettingsProblem", "LoRA only applies to fine-tuning a pretrained model."),
                        "lora",
                    )
                )
        if self.fsdp and (self.lora or self.arch in RECURRENT_ARCHITECTURES):
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem", "FSDP shards GPT models and full fine-tuning; turn it off for LoRA and "
                        "recurrent models."
                    ),
                    "fsdp",
                )
            )
        if self.arch == "gpt" and self.n_embd % self.n_head:
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem", "Embedding size ({size}) must be divisible by the number of heads ({heads})."
                    ).fill(size=self.n_embd, heads=self.n_head),
                    "n_embd",
                )
            )
        if self.min_lr is not None and self.min_lr > self.effective_lr:
            found.append(
                Problem(
                    QT_TRANSLATE_NOOP(
                        "SettingsProblem", "Final learning rate must be at most the learning rate {lr} (it is {value})."
                    ).fill(lr=shown(self.effective_lr), value=shown(self.min_lr)),
                    "min_lr",
                )
            )
        return found
