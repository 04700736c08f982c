"""Cenat Hub: a shared WhatsApp inbox and lead CRM on Meta's Cloud API."""

__version__ = "0.1.0"
