"""matchmaker: partner matchmaking between Latvian and South Korean companies."""

__version__ = "0.1.0"
