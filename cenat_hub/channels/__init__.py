"""Channels: the company's WhatsApp numbers."""
