"""Request dependencies shared by the simulator routes."""

from typing import Annotated

from fastapi import Depends, Header, Request

from cenat_hub.simulator.state import SimulatorState


def get_state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.simulator
    return state


def get_bearer_token(
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, if any."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


StateDep = Annotated[SimulatorState, Depends(get_state)]
TokenDep = Annotated[str | None, Depends(get_bearer_token)]
