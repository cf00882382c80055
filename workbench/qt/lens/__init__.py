"""The Lens inspector: each layer's next-token guess at every position (the logit lens)."""
