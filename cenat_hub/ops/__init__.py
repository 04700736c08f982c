"""Operating the service: readiness, metrics, configuration checks, the webhook archive."""
