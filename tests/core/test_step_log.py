"""A run's JSON-lines logs (probes, heads, samples) read and cut back on resume, even when a crash or a full
disk cut their last line short."""

from __future__ import annotations

import json

from workbench.core.training.step_log import StepLog, read_step_log

WHOLE = [{"step": 3, "text": "a"}, {"step": 6, "text": "b"}]


def test_a_last_line_cut_short_is_left_out_when_read_and_when_resumed(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in WHOLE) + '{"step": 9, "text": "par',
                    encoding="utf-8")
    assert read_step_log(path) == WHOLE
    log = StepLog(path, resumed_step=6)  # resuming at step 6 keeps what came up to it
    log.write([{"step": 7, "text": "c"}])
    log.close()
    assert read_step_log(path) == [*WHOLE, {"step": 7, "text": "c"}]


def test_a_resumed_log_drops_the_records_after_its_step(tmp_path):
    path = tmp_path / "probes.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in WHOLE), encoding="utf-8")
    StepLog(path, resumed_step=3).close()
    assert read_step_log(path) == WHOLE[:1]
