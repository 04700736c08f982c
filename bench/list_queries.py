"""Benchmark: Conversation list (100,000 contacts, 2,000,000 messages).

.venv/bin/python -m bench.list_queries --database-url URL [--iterations N] [--runs 3]
"""

from bench.queries import list_scenarios, main

if __name__ == "__main__":
    main("Conversation list (100,000 contacts, 2,000,000 messages)", list_scenarios)
