"""newapi-py's gateway: management API, relay, services and storage (no console code)."""
