"""adscan's analysis app."""
