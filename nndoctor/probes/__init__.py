"""Probes: the measured experiments checks read from. Each runs at most once per run."""
