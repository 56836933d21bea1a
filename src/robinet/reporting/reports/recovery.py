"""Placeholder: filled by the report's own change."""
