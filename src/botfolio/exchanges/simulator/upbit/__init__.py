"""The Upbit (KRW markets) REST dialect of the simulator."""
