"""Append-only, hash-chained audit events and the API access log, with retention."""
