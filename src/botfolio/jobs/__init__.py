"""Durable jobs: a table of jobs claimed by workers with leases, and a leader-elected scheduler.

Import from the submodules (`service`, `registry`, `worker`, `lease`, `scheduler`, `metrics`);
this package stays empty so that loading the models for migrations pulls in nothing else.
"""
