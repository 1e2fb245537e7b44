"""Build tools run by hand or by `make`, never by the running app (not part of the core)."""
