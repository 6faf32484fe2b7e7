"""The typed contracts of the management services: what a caller sends (`*Create`, `*Update`)
and what it gets back (`*Public`, rows, pages), one module per entity.

As in fastapi/full-stack-fastapi-template, the table (`backend/models/<entity>.py`) is the
storage shape and these are the wire shapes: a `*Public` model never carries a secret (the
password hash, a channel's key, a token's full key); the few routes that reveal one answer a
model of their own (`TokenKey`, `ChannelKey`). The `/api` routes declare them as
`response_model`, so `/api/openapi.json` describes what they really answer.

Columns a public model passes through are typed `X | None`: a database carried over from One API
or new-api may hold NULL in them, and the answer shows such a row as it always has (a test opens
one: tests/compat/test_new_api_database.py). What the service computes (a masked key, the
settings JSON, counts) is never None.
"""
