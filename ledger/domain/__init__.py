"""The domain: aggregates folded from signed statements. Imports no database or web framework."""
