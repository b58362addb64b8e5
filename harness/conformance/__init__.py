"""Pieces of the conformance harness used by harness/report.py (standard library only)."""
