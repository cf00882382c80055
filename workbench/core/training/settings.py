"""One typed settings object for a training run, validated with messages a person can act on."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.settings_fields import DEVICE, FOLDER, DescribedSettings, Problem, setting, shown

ARCHITECTURE_LABELS = {
    "gpt": "GPT (Transformer decoder)",
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "Plain RNN",
    "finetune": "Fine-tune a pretrained model",
}
TOKENIZER_LABELS = {"char": "Characters", "bpe": "Byte-level BPE", "pretrained": "The base model's own"}
ARCHITECTURES = tuple(ARCHITECTURE_LABELS)
TOKENIZERS = tuple(TOKENIZER_LABELS)
RECURRENT_ARCHITECTURES = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class TrainSettings(DescribedSettings):
    corpus: str = setting(
        label="Corpus", section="Corpus",
        help="A UTF-8 text file, or a folder of .txt files: the text the model learns to continue.",
    )
    out_dir: str = setting(
        label="Output folder", kind=FOLDER, section="Output folder",
        help="Where the trained model, its checkpoints and metrics.csv are written. It must be new or empty.",
    )
    arch: str = setting(
        "gpt", label="Architecture", section="Model", choices=ARCHITECTURE_LABELS,
        help="GPT reads the whole context with attention; LSTM, GRU and RNN read it one token at a time with a "
        "memory. Fine-tuning continues training a pretrained model on your corpus.",
    )
    base_model: str | None = setting(
        None, label="Base model", section="Model", help="The model to fine-tune: a catalog id or a model folder.",
    )
    tokenizer: str = setting(
        "char", label="Tokenizer", section="Model", choices=TOKENIZER_LABELS,
        help="How text is cut into tokens: single characters (small vocabulary, long sequences), BPE pieces "
        "learnt from the corpus, or, for fine-tuning, the base model's own tokenizer.",
    )
    lora: bool = setting(
        False, label="LoRA (train small adapters only)", section="Model",
        help="Freeze the base model and train small low-rank adapters: far less memory, often nearly as good.",
    )
    n_layer: int = setting(
        4, label="Layers", minimum=1, soft_maximum=48, section="Model",
        help="How many Transformer blocks (or recurrent layers) are stacked. More learn more, but train slower.",
    )
    n_head: int = setting(
        4, label="Attention heads", minimum=1, soft_maximum=32, section="Model",
        help="How many attention patterns each Transformer block learns side by side. Must divide the "
        "embedding size.",
    )
    n_embd: int = setting(
        128, label="Embedding size", minimum=1, soft_minimum=8, soft_maximum=2048, step=8, section="Model",
        help="Length of the vector that stands for each token inside the model. Bigger is stronger and slower.",
    )
    block_size: int = setting(
        64, label="Context length", minimum=1, soft_minimum=8, soft_maximum=4096, step=8, section="Model",
        help="How many tokens the model sees at once when predicting the next one (the block size).",
    )
    dropout: float = setting(
        0.0, label="Dropout", minimum=0, maximum=1, exclusive_maximum=True, soft_maximum=0.9, step=0.05,
        decimals=2, section="Model",
        help="Share of activations randomly zeroed while training, against overfitting. 0 for small models and "
        "short runs.",
    )
    vocab_size: int = setting(  # BPE only
        2000, label="BPE vocabulary size", minimum=260, maximum=65535, step=100, section="Model",
        help="How many tokens the BPE tokenizer learns from the corpus (byte pieces merged into frequent chunks).",
    )
    lora_rank: int = setting(
        8, label="LoRA rank", minimum=1, soft_maximum=256, section="Model",
        help="Size of the small low-rank matrices LoRA trains instead of the whole model. 8 is a good start.",
    )
    max_iters: int = setting(
        2000, label="Training steps", minimum=1, soft_maximum=1_000_000, step=100, section="Training",
        help="How many optimizer steps to run in total.",
    )
    batch_size: int = setting(
        12, label="Batch size", minimum=1, soft_maximum=1024, section="Training",
        help="How many text blocks are read per step. Bigger gives smoother steps and uses more memory.",
    )
    grad_accum: int = setting(
        1, label="Gradient accumulation", minimum=1, soft_maximum=64, section="Training",
        help="Add up the gradients of this many batches before each step: a bigger batch without more memory.",
    )
    lr: float = setting(
        1e-3, label="Learning rate", minimum=0, exclusive_minimum=True, soft_minimum=0.00001, soft_maximum=1.0,
        step=0.0001, decimals=5, section="Training",
        help="How big each step is. Too high and the loss jumps or becomes NaN; too low and it falls slowly.",
    )
    min_lr: float | None = setting(  # None -> lr/10
        None, label="Final learning rate", minimum=0, soft_maximum=1.0, step=0.00001, decimals=6,
        special="auto (lr ÷ 10)", section="Training",
        help="The learning rate the cosine schedule decays to by the last step. Auto: a tenth of the learning rate.",
    )
    warmup_iters: int = setting(
        100, label="Warmup steps", minimum=0, soft_maximum=100_000, step=10, section="Training",
        help="Steps over which the learning rate rises from almost 0, so early updates do not wreck the fresh "
        "model.",
    )
    weight_decay: float = setting(
        0.1, label="Weight decay", minimum=0, soft_maximum=1.0, step=0.01, decimals=3, section="Training",
        help="Pulls weights gently toward zero at every step (AdamW), against overfitting.",
    )
    grad_clip: float = setting(
        1.0, label="Gradient clipping", minimum=0, soft_maximum=100.0, step=0.1, decimals=2, special="off",
        section="Training",
        help="Largest allowed gradient norm: cuts rare huge updates that would make the loss jump. 0 turns it off.",
    )
    eval_interval: int = setting(
        250, label="Evaluate every", minimum=1, soft_maximum=100_000, step=50, section="Training",
        help="How many steps between measurements of the validation loss (with a sample text); one always runs "
        "at the last step.",
    )
    eval_iters: int = setting(
        20, label="Evaluation batches", minimum=1, soft_maximum=1000, section="Training",
        help="How many validation batches are averaged for each validation loss. More is steadier but slower.",
    )
    val_fraction: float = setting(
        0.1, label="Validation share", minimum=0, maximum=1, exclusive_minimum=True, exclusive_maximum=True,
        soft_minimum=0.01, soft_maximum=0.5, step=0.01, decimals=2, section="Training",
        help="Part of the corpus, taken from its end, kept aside to measure the validation loss.",
    )
    sample_tokens: int = setting(
        64, label="Sample length", minimum=0, soft_maximum=1024, step=16, special="no samples", section="Training",
        help="Tokens generated as a sample text at each evaluation, to read what the model has learnt. 0: none.",
    )
    probes: tuple[str, ...] = setting(
        (), label="Probe texts", section="Training",
        help="Texts read at every evaluation, one per line: their loss, the model's greedy continuation and "
        "its five likeliest next tokens. Empty: the first lines of the validation text.",
    )
    head_scores: bool = setting(
        True, label="Score attention heads", section="Training",
        help="At every evaluation, score each attention head on a random sequence repeated twice: how much it "
        "looks at the previous token, at the token that followed this one last time (an induction head) and at "
        "the first token. One short forward pass; models with attention only.",
    )
    keep_last_checkpoints: int = setting(
        2, label="Keep the latest", minimum=0, soft_maximum=100, special="none", section="Training",
        help="At every evaluation the model is saved as it is then, to open while training goes on. This many "
        "of the latest are kept (the resume checkpoint is separate).",
    )
    keep_log_spaced_checkpoints: int = setting(
        4, label="Keep spread out", minimum=0, soft_maximum=100, special="none", section="Training",
        help="Also keep this many of the saved evaluations spread evenly on a log scale of steps (early "
        "training changes fastest). With both at 0 no evaluation is saved.",
    )
    checkpoint_interval: int = setting(
        500, label="Checkpoint every", minimum=0, soft_maximum=1_000_000, step=100, special="only on stop and end",
        section="Training",
        help="Steps between saved checkpoints. A checkpoint is always saved on stop and at the end; 0 saves only "
        "then.",
    )
    seed: int = setting(
        1337, label="Random seed", minimum=0, maximum=2**31 - 1, section="Training",
        help="Same seed and settings give the same run again.",
    )
    device: str = setting(
        "auto", label="Device", kind=DEVICE, section="Training",
        help="Where to train: auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps.",
    )

    @property
    def effective_min_lr(self) -> float:
        return self.lr / 10 if self.min_lr is None else self.min_lr

    @property
    def is_finetune(self) -> bool:
        return self.arch == "finetune"

    def combination_problems(self) -> list[Problem]:
        found = []
        if not self.corpus.strip():
            found.append(Problem("Choose a corpus: a UTF-8 text file or a folder of .txt files.", "corpus"))
        if not self.out_dir.strip():
            found.append(Problem("Choose an output folder for the trained model.", "out_dir"))
        if self.is_finetune:
            if not self.base_model:
                found.append(Problem("Fine-tuning needs a base model.", "base_model"))
            if self.tokenizer != "pretrained":
                found.append(Problem("Fine-tuning uses the base model's tokenizer: choose the 'pretrained' tokenizer.",
                                     "tokenizer"))
        else:
            if self.tokenizer == "pretrained":
                found.append(Problem("The 'pretrained' tokenizer is for fine-tuning; choose 'char' or 'bpe' to train "
                                     "from scratch.", "tokenizer"))
            if self.lora:
                found.append(Problem("LoRA only applies to fine-tuning a pretrained model.", "lora"))
        if self.arch == "gpt" and self.n_embd % self.n_head:
            found.append(Problem(f"Embedding size ({self.n_embd}) must be divisible by the number of heads "
                                 f"({self.n_head}).", "n_embd"))
        if self.min_lr is not None and self.min_lr > self.lr:
            found.append(Problem(f"Final learning rate must be at most the learning rate {shown(self.lr)} "
                                 f"(it is {shown(self.min_lr)}).", "min_lr"))
        return found
