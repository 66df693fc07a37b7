"""The public portal (公示): notices, search, feeds and open data, read-only, for a crowd."""
