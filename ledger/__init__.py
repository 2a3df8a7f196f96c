"""Sunlight (阳光账本): signed community records in a public transparency log."""
