"""Meta's WhatsApp Business Cloud API: the Graph client and the webhook wire format."""
