import pytest

from tiny import tiny_dataset


@pytest.fixture
def tiny_ds():
    """The hand-made three-commune province (tests/tiny.py)."""
    return tiny_dataset()
