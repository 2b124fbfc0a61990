"""Benchmarks: each module's `main()` measures one path against a baseline run in the same process."""
