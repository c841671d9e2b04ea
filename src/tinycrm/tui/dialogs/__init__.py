"""Dialogs of the full-screen board."""
