"""The tinycrm library: models, storage and the services both faces call."""
