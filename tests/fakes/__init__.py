"""Test doubles: a fake upstream provider (upstream.py) and its wire formats."""
