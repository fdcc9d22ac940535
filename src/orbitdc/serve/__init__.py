"""The live twin as a service (``orbitdc serve``): the store, the twin's loop, the API, the
dashboard and the client. See docs/serve.md."""

from orbitdc.serve.client import ApiError, Client

__all__ = ["ApiError", "Client"]
