"""crossheat's benchmarks: `make bench` runs them all; each prints a table and saves JSON."""
