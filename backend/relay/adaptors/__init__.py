"""Provider adaptors. The contract (and how the pipeline drives it) is in `base.py`."""
