"""Schema migrations: numbered SQL files applied in order, tracked by PRAGMA user_version."""
