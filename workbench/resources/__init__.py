"""Data shipped inside the package (read with ``importlib.resources``): corpora and sample prompts."""
