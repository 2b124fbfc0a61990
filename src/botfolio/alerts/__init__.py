"""Operator alerts: rules over the system's own state, severities, routing, acknowledgement, escalation."""
