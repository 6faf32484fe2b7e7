"""Business logic shared by the /api routes and the Reflex dashboard. Nothing here knows HTTP."""
