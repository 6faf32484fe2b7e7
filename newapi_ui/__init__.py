"""The Reflex console of newapi-py, served on the gateway's port (see rxconfig.py)."""
