"""The Token inspector: why the selected token came out (sampler chain, logit lens column, attention row)."""
