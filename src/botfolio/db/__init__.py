"""Database plumbing: engine and session factories, column types, migrations."""
