"""audit layer of Bedside (see docs/architecture.md)."""

__all__: list[str] = []
