"""Widgets of the full-screen board."""
