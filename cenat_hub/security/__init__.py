"""Passwords, access tokens and encryption of secrets at rest."""
