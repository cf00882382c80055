"""Training language models: corpora, tokenizers, architectures, the trainer loop and checkpoints.

Headless (no Qt). The trainer is a generator yielding small events; see ``trainer.train``.
"""
