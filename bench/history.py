"""Benchmark: Message history page of one conversation.

.venv/bin/python -m bench.history --database-url URL [--iterations N] [--runs 3]
"""

from bench.queries import history_scenarios, main

if __name__ == "__main__":
    main("Message history page of one conversation", history_scenarios)
