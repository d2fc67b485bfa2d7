"""Performance benchmarks (``scripts/bench``); not collected by pytest."""
