"""Generation Workbench: explore how language models generate text."""

__version__ = "0.1.0"
