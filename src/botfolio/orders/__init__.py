"""Orders: committed before they leave, submitted under a deterministic client order id,
settled by asking the venue when the outcome is unknown, and reconciled continuously."""
