"""Model releases: publish an artifact into each allowed cell's bucket, verify it, roll it out by waves."""
