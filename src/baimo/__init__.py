"""baimo (百模): measure, compare and choose large language models and their vendors."""

__version__ = "0.1.0"
__all__ = ["__version__"]
