"""Dashboard: the team's figures, computed by SQL aggregates."""
