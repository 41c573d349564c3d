"""adscan's operations app."""
