"""The full-screen board: a Textual app over the same core services as the commands."""
