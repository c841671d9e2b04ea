"""The preloaded command server and the small client that hands it commands (see docs/server.md)."""
