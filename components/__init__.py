"""Multi-cloud regional cells, global traffic and their pure models."""
