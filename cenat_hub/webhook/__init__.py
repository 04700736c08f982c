"""Meta's webhook: verify, archive, acknowledge, then process every item."""
