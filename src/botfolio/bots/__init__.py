"""Bots: definitions, allocation of predictions into target weights, and the tick that trades them."""
