"""The optimizer tests import their shared problems from ``optimize_problems``."""
