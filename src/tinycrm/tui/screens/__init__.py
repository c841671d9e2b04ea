"""Screens of the full-screen board."""
