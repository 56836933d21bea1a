"""Models of the writeoffs (filled by its module)."""
