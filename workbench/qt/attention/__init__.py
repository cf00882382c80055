"""The Attention inspector: heatmap, per-token view, layer x head overview."""
