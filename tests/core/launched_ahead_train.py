"""`workbench train` with a GPU's schedule forced on CPUs: the next step is queued before this one's loss is
read. Run by tests/core/test_distributed_training.py under torchrun (not a test module itself)."""

import sys

from workbench.cli import main
from workbench.core.training import trainer

trainer._Run.launches_ahead = property(lambda run: True)
sys.exit(main(["train", *sys.argv[1:]]))
