"""Read models from the log -> Markdown pages, SVG charts and open data for the portal."""
