"""Logit lens speed: ``logit_lens`` against the bare computation on the same tokens, measured
side by side in one run. The bare computation is one forward pass with ``output_hidden_states``,
then, for every layer at once over all positions, the final norm, the output head, a softmax, the
gather of the next-token probabilities and the top 5. The last line is the ratio lens/bare of the
median times; the target is at most 1.3.

    python benchmarks/lens.py [--model ID] [--tokens 256] [--pairs 4] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import numpy as np
import torch
from worker_thread import on_worker_thread

from workbench.core.jobs import drain
from workbench.core.lens import logit_lens
from workbench.core.loading import load_model_blocking
from workbench.core.transformers_helpers import fused_attention

TEXT = (
    "The logit lens reads what each layer of a language model would predict if the model stopped there. "
    "Early layers often guess common words; later ones settle on the answer. 床前明月光，疑是地上霜。"
) * 20


def run_lens(loaded, ids: list[int]) -> np.ndarray:
    return drain(logit_lens(loaded, ids)).next_token_prob


def run_bare(loaded, ids: list[int]) -> np.ndarray:
    model = loaded.model
    norm, head = model.model.norm, model.get_output_embeddings()
    targets = torch.tensor(ids[1:])[:, None]  # (T-1, 1)
    rows = []
    with torch.inference_mode():
        # Llama's recorded hidden states: the embeddings, each layer's output, and the last one already normed.
        # SDPA and the last position's logits only, as lean as transformers lets it be.
        with fused_attention(model):
            hidden_states = model(torch.tensor([ids]), output_hidden_states=True, use_cache=False,
                                  logits_to_keep=1).hidden_states
        for layer, hidden in enumerate(hidden_states):  # each (1, T, C)
            normed = hidden if layer == len(hidden_states) - 1 else norm(hidden)  # (1, T, C)
            probs = head(normed)[0].float().softmax(dim=-1)  # (T, V)
            next_probs = probs[:-1].gather(1, targets)[:, 0]  # (T-1,)
            top = probs.topk(5, dim=-1)  # (T, 5)
            rows.append((next_probs.numpy(), top.indices.numpy(), top.values.numpy()))
    return np.stack([next_probs for next_probs, _, _ in rows])  # (L+1, T-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    loaded = load_model_blocking(args.model)
    ids = loaded.tokenizer(TEXT)["input_ids"][: args.tokens]
    assert len(ids) == args.tokens, "benchmark text too short"
    print(f"model {loaded.entry.id} on {loaded.device} ({loaded.dtype}), T = {len(ids)}, "
          f"torch threads {torch.get_num_threads()}")
    _, lens_probs = on_worker_thread(run_lens, loaded, ids)  # warm-up, and both compute the same numbers
    _, bare_probs = on_worker_thread(run_bare, loaded, ids)
    difference = np.abs(lens_probs[:, :-1] - bare_probs).max()
    assert difference <= 1e-5, f"the lens and the bare computation disagree by {difference}"

    times: dict[str, list[float]] = {"lens": [], "bare": []}
    for pair in range(args.pairs):
        # Alternate which goes first so drifting machine load hits both alike.
        order = (("lens", run_lens), ("bare", run_bare))
        for name, measure in order if pair % 2 == 0 else order[::-1]:
            elapsed, _ = on_worker_thread(measure, loaded, ids)
            times[name].append(elapsed)
            print(f"  pair {pair + 1} {name}: {elapsed:6.2f} s")

    lens_s, bare_s = statistics.median(times["lens"]), statistics.median(times["bare"])
    print(f"logit_lens: median {lens_s:.2f} s; bare forward + norm + head per layer: median {bare_s:.2f} s")
    # Each pair ran back to back, so a drifting machine load slows both alike: the median of their ratios.
    ratios = [lens / bare for lens, bare in zip(times["lens"], times["bare"])]
    print(f"pair ratios {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"ratio lens/bare time: median of pairs {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
