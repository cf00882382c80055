"""The generation view: model bar, prompt editor, decoding controls, streamed output, runs."""
