"""flaglint: find feature-flag checks in Python code, classify them against a flag registry, clean them up."""

__version__ = "0.1.0"
