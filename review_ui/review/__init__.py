"""adscan's review app."""
