"""Benchmarks of the voice webhooks against a constant-TwiML baseline (see bench/run.py)."""
