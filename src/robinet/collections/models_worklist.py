"""Models of the worklist (filled by its module)."""
