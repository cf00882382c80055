"""`workbench attention`: capture every layer's attention for a prompt into an NPZ (and a PNG heatmap).

NPZ contents: ``attentions`` float [layers, heads, T, T] (float16 when the capture is large),
``tokens`` (readable labels, a unicode array that loads with allow_pickle=False), ``token_ids``,
``special``. Encoder-decoder models: ``attentions`` is the encoder self-attention, plus
``decoder_attentions`` [L, H, Td, Td], ``cross_attentions`` [L, H, Td, T], ``decoder_tokens``,
``decoder_token_ids`` and ``decoder_special``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.options import add_device_argument, add_trust_remote_code_argument
from workbench.core.errors import InvalidSettingsError
from workbench.core.outputs import check_output_file


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "attention",
        help="capture the attention weights of every layer and head for a prompt",
        description="Capture the attention of every layer and head for a prompt into an NPZ file, "
        "and optionally draw one layer as a PNG heatmap.",
    )
    parser.add_argument(
        "--model", default=None,
        help="catalog id, model folder, .gguf file or hub id (owner/name; default: the default model)",
    )
    parser.add_argument("--prompt", required=True, help="the text to capture")
    parser.add_argument("--out", required=True, type=Path, help="NPZ file to write")
    parser.add_argument("--png", type=Path, help="also draw a heatmap of one layer into this PNG")
    parser.add_argument(
        "--layer", type=int, help="layer for the PNG (negative counts from the end; default: last)"
    )
    parser.add_argument("--head", help="head number, mean, max or rollout for the PNG (default: mean)")
    parser.add_argument(
        "--chat", action="store_true", help="wrap the prompt in the model's chat template (default: raw text)"
    )
    parser.add_argument(
        "--target", default="", help="encoder-decoder models only: the decoder's text (default: just the start token)"
    )
    add_device_argument(parser)
    add_trust_remote_code_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workbench.cli.generate import note_unknown_tokens
    from workbench.core.attention import (
        capture_attention,
        estimate_capture,
        format_bytes,
        parse_head_view,
        save_npz,
        text_token_ids,
    )
    from workbench.core.catalog import Catalog
    from workbench.core.generation_data import require_prompt
    from workbench.core.loading import LoadSettings, load_model_blocking

    # Every option is checked before the model loads and before anything is written.
    out = check_output_file(args.out, ".npz")
    png = check_output_file(args.png, ".png") if args.png is not None else None
    if png is None and (args.layer is not None or args.head is not None):
        raise InvalidSettingsError("--layer and --head choose what --png draws: give --png too.")
    head = parse_head_view(args.head or "mean")
    require_prompt(args.prompt)
    load_settings = LoadSettings(device=args.device, trust_remote_code=args.trust_remote_code)
    catalog = Catalog()
    loaded = load_model_blocking(catalog.default_entry() if args.model is None else args.model, load_settings, catalog)
    if args.target and not loaded.is_encoder_decoder:
        raise InvalidSettingsError(
            f"--target is the decoder's text of an encoder-decoder model, and {loaded.entry.name} is not one."
        )
    input_ids = text_token_ids(loaded, args.prompt, chat=args.chat)
    note_unknown_tokens(loaded, input_ids)
    decoder_ids = loaded.tokenizer(args.target, add_special_tokens=False)["input_ids"] if args.target else None
    planned = estimate_capture(loaded, input_ids, decoder_ids)  # the layers and heads, before the capture's work
    asked = -1 if args.layer is None else args.layer
    layer = asked if asked >= 0 else planned.layers + asked
    if png is not None:
        if not 0 <= layer < planned.layers:
            raise InvalidSettingsError(
                f"Layer {asked} does not exist: this model has layers 0 to {planned.layers - 1}."
            )
        if isinstance(head, int) and not 0 <= head < planned.heads:
            raise InvalidSettingsError(f"Head {head} does not exist: this model has heads 0 to {planned.heads - 1}.")
    capture = capture_attention(loaded, input_ids, decoder_input_ids=decoder_ids)
    main = capture.main
    print(f"{capture.model_name}: {len(main.queries)} tokens, {main.layers} layers x {main.heads} heads, "
          f"{format_bytes(capture.nbytes())} as {capture.stored_dtype}, captured in {capture.elapsed_s:.2f} s")
    save_npz(capture, out)
    print(f"wrote {out}")
    if png is not None:
        from workbench.cli.attention_png import write_heatmap_png

        view = f"head {head}" if isinstance(head, int) else head
        title = f"{capture.model_name} · layer {layer} · {view}"
        missing = write_heatmap_png(main.matrix(layer, head), main.queries.labels, main.keys.labels, png, title,
                                    main.causal)
        print(f"wrote {png}")
        if missing:
            print(f"note: no font on this system draws {''.join(sorted(missing)[:10])}: the image shows boxes in "
                  "their place (install a Chinese font, such as Debian's fonts-noto-cjk); the .npz has the text",
                  file=sys.stderr)
    return 0
