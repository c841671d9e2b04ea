"""Everything that differs between database engines, behind functions: full-text search,
date arithmetic, JSON, aggregation into text, upserts, pragmas and schema questions.

Only SQLite is spoken today. Every SQLite-only construct of the program lives here, so that a
second engine is one more branch in each function, not a hunt through the services.
"""

from __future__ import annotations
