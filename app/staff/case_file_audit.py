"""Being written (issue 14)."""
