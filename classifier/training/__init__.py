"""Training and evaluation of the ad-type and risk models on the real corpora."""
