"""Optimization models; each reads: candidate pairs -> build (PuLP) -> extract -> verify."""
