"""The exchange relay: a gateway port with adapters (CCXT, paper), resilience, and the simulator."""
