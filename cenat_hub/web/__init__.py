"""The web application: app factory, shared state and dependencies."""
