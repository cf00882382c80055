"""Imported first by each benchmark: the workbench's data and config folders point into a temporary folder,
removed at exit, so a benchmark never reads or writes the person's session, settings, runs or catalog of
trained models. The model cache stays the person's: a packaged model converted there is what the app itself
writes at its first load, and converting it again in every run would add ~35 s (`loading.py` measures a cold
load with a cache of its own)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

SCRATCH = tempfile.mkdtemp(prefix="workbench-bench-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
for _name in ("WORKBENCH_DATA_DIR", "WORKBENCH_CONFIG_DIR"):
    os.environ[_name] = os.path.join(SCRATCH, _name.lower())
