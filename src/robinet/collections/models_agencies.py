"""Models of the agencies (filled by its module)."""
