"""The hub wired to the Cloud API simulator, as in the message tests."""

from tests.messages.conftest import (  # noqa: F401 - fixtures used by these tests
    graph_transport,
    hub_forward,
    simulator,
    simulator_app,
)
