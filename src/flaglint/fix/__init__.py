"""Retiring flags: the plan, the rewrite, the safety gate and the writes."""
