"""Pure crypto for the transparency log: importable with no database."""
