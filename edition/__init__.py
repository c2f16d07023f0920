"""edition: annotated digital editions of texts that quote one another."""

__version__ = "0.1.0"
