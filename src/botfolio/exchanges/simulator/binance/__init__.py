"""The Binance spot REST dialect of the simulator."""
