"""Accounts: login, the current user and user administration."""
