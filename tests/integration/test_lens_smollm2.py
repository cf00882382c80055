"""The logit lens on the packaged SmolLM2: its last layer is the model's own output distribution."""

import numpy as np
import torch

from workbench.core.jobs import drain
from workbench.core.lens import logit_lens

TEXT = "The capital of France is Paris, and the capital of Italy is Rome. The Eiffel Tower stands in"


def test_last_layer_is_the_model_output(smollm2):
    ids = smollm2.tokenizer(TEXT)["input_ids"]
    lens = drain(logit_lens(smollm2, ids, chunk_positions=5))
    assert len(lens.layers) == smollm2.model.config.num_hidden_layers + 1
    with torch.inference_mode():
        probs = smollm2.model(torch.tensor([ids])).logits[0].float().softmax(-1)  # (T, V)
    expected = probs[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0].numpy()  # (T-1,)
    assert np.abs(lens.next_token_prob[-1, :-1] - expected).max() <= 1e-5
    assert np.array_equal(lens.top_ids[-1], probs.topk(5, dim=-1).indices.numpy())
    # The finished model predicts the text better than its embeddings alone do.
    assert np.median(lens.next_token_rank[-1, :-1]) < np.median(lens.next_token_rank[0, :-1])
