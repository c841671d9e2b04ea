"""Benchmarks of tinycrm at realistic scale, beside the floors no Python program can beat."""
