"""Packaged data: hardware catalogues and the default scenario."""
