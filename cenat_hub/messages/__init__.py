"""Messages: storing what leads send, sending replies, and delivery statuses."""
