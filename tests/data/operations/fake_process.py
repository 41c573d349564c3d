"""A stand-in for ``adscan process --json``: prints a summary line."""

import json

print("processing...")
print(json.dumps({"processed": 10, "flagged": 2, "batches": 1, "seconds": 0.1}))
