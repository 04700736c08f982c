"""Conversations: one thread per channel and contact, with its 24-hour window."""
