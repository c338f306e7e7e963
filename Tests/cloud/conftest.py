"""The helpers of the end-to-end suite (stack.py, people.py) are imported from Tests/e2e."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
