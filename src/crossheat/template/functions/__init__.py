"""Intrinsic functions, one class each, and the per-version tables."""
