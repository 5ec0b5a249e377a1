import pytest

from tiny import tiny_dataset


@pytest.fixture
def tiny_ds():
    """The hand-made three-commune province (tests/tiny.py)."""
    return tiny_dataset()


@pytest.fixture(autouse=True)
def _private_plan_register(tmp_path_factory, monkeypatch):
    """Every test saves plans in a register of its own, never in the user's default file (~/.local/share/...)."""
    monkeypatch.setenv("PLANNER_DB", str(tmp_path_factory.mktemp("register") / "plans.sqlite"))
