"""Benchmark: Dashboard over 90 days.

.venv/bin/python -m bench.dashboard --database-url URL [--iterations N] [--runs 3]
"""

from bench.queries import dashboard_scenarios, main

if __name__ == "__main__":
    main("Dashboard over 90 days", dashboard_scenarios, default_iterations=1)
