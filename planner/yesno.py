"""What people type, read forgivingly: `fold` for comparing names and labels, `parse_yes_no` for yes/no cells."""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

YES_WORDS = frozenset({"true", "yes", "y", "x", "1", "co", "dung"})
NO_WORDS = frozenset({"false", "no", "n", "0", "khong", "sai"})
_NOT_WORD = re.compile(r"[^0-9a-z²]+")


def fold(text) -> str:
    """Text reduced for comparing what people type: case, accents (NFC or NFD), đ/d, punctuation and spacing ignored.

    'Công nghệ  thông tin' and 'cong nghe thong tin', 'Nữ' and 'NU', 'old_unit_id' and 'Old unit ID' fold alike.
    """
    return _fold(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """fold of one text, remembered: a column repeats the same few labels thousands of times."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def parse_yes_no(value) -> bool | None:
    """True/False for what people type in a yes/no cell (Có/Không, x, yes, 1, TRUE...); None if it is neither."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    word = fold(value)
    return True if word in YES_WORDS else False if word in NO_WORDS else None
