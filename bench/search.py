"""Benchmark: Accent-insensitive search over messages.

.venv/bin/python -m bench.search --database-url URL [--iterations N] [--runs 3]
"""

from bench.queries import main, search_scenarios

if __name__ == "__main__":
    main("Accent-insensitive search over messages", search_scenarios)
