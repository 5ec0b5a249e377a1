"""Yes/no cells as people type them: one parser for loading and for validation."""

from __future__ import annotations

import numpy as np

YES_WORDS = frozenset({"true", "yes", "y", "x", "1", "có", "co", "đúng", "dung"})
NO_WORDS = frozenset({"false", "no", "n", "0", "không", "khong", "sai"})


def parse_yes_no(value) -> bool | None:
    """True/False for what people type in a yes/no cell (Có/Không, x, yes, 1, TRUE...); None if it is neither."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    return True if word in YES_WORDS else False if word in NO_WORDS else None
