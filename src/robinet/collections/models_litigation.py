"""Models of the litigation (filled by its module)."""
