"""Portability: CSV, vCard, iCalendar and JSON import and export (no face imports here)."""
