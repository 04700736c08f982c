"""Real-time events for browsers: publish after commit, fan out to streams."""
