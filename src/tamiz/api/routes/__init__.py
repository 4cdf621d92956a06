"""The service's endpoints, one module per area; each exposes ``router(service, auth)``."""
