"""Field encryption (AES-256-GCM with key ids), blind indexes and key handling."""
