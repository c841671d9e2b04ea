"""tinycrm: an offline-first terminal CRM for solo sellers."""

__version__ = "0.1.0"
