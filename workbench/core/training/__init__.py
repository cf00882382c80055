"""Training language models: corpora, tokenizers, model building and the trainer loop.

Headless (no Qt). The trainer is a generator yielding small events; see ``trainer.train``.
The architectures it trains and its checkpoints live in the shared core
(``workbench.core.architectures``, ``workbench.core.checkpoints``), so loading and the
VAE/GAN lab use them without importing training.
"""
