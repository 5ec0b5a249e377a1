"""Commune allocation planner: staff and public assets after Vietnam's 2025 commune merger."""

__version__ = "0.1.0"
