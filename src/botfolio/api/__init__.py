"""The HTTP API: app factory, dependencies, error handlers; one router module per domain."""
