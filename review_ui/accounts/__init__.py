"""adscan's accounts app."""
