"""Asynchronous task relays: Midjourney-Proxy, Suno and video generation (submit, fetch, poll)."""
