"""Graph API errors in Meta's response shape, and a simpler error for the lead
control routes, which are not part of Meta's API."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from cenat_hub.simulator.ids import new_fbtrace_id


class GraphError(Exception):
    """An error that the simulated Graph API returns as
    ``{"error": {"message": "(#<code>) <title>", ...}}``."""

    def __init__(
        self,
        http_status: int,
        code: int,
        title: str,
        details: str,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        is_transient: bool | None = None,
    ) -> None:
        super().__init__(f"(#{code}) {title}: {details}")
        self.http_status = http_status
        self.code = code
        self.title = title
        self.details = details
        self.error_type = error_type
        self.subcode = subcode
        self.is_transient = is_transient

    def message_title(self, request_method: str) -> str:
        return self.title

    def to_body(self, request_method: str = "POST") -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.message_title(request_method)}",
            "type": self.error_type,
            "code": self.code,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = new_fbtrace_id()
        return {"error": error}


class UnknownObjectError(GraphError):
    """Code 100, subcode 33: no object with that id, or not one this route serves.

    Meta names the HTTP method in the message ("Unsupported get request."), so the
    title is completed when the response is rendered.
    """

    def __init__(self, object_id: str) -> None:
        super().__init__(
            http_status=400,
            code=100,
            title=(
                f"Unsupported request. Object with ID '{object_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support "
                "this operation"
            ),
            details=f"Object {object_id} not found.",
            error_type="GraphMethodException",
            subcode=33,
        )
        self.object_id = object_id

    def message_title(self, request_method: str) -> str:
        return self.title.replace(
            "Unsupported request.", f"Unsupported {request_method.lower()} request.", 1
        )


class LeadControlError(Exception):
    """A rejected request to the ``/_simulator`` routes, rendered as
    ``{"detail": message}``."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message


def invalid_token() -> GraphError:
    return GraphError(
        http_status=401,
        code=190,
        title="Invalid OAuth access token - Cannot parse access token",
        details="The access token is missing, invalid or not valid for this object.",
    )


def unknown_object(object_id: str) -> GraphError:
    return UnknownObjectError(object_id)


def invalid_parameter(details: str) -> GraphError:
    return GraphError(
        http_status=400, code=100, title="Invalid parameter", details=details
    )


def parameter_count_mismatch(details: str) -> GraphError:
    return GraphError(
        http_status=400,
        code=132000,
        title="Number of parameters does not match the expected number of params",
        details=details,
    )


def unknown_path(path: str) -> GraphError:
    return GraphError(
        http_status=400,
        code=2500,
        title=f"Unknown path components: {path}",
        details=f"No Graph API route matches {path}.",
    )


async def render_graph_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, GraphError)
    return JSONResponse(error.to_body(request.method), status_code=error.http_status)


async def render_lead_control_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LeadControlError)
    return JSONResponse({"detail": error.message}, status_code=error.http_status)
