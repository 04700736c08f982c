"""Ids beyond the database's integer range are rejected as bad input, not 500s.

Every route with an integer path or query parameter is called by an admin with
values that PostgreSQL's ``integer`` and SQLite's 64-bit integer cannot hold.
"""

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from cenat_hub.web.state import AppState
from tests.factories import login, make_channel, make_user

OUT_OF_RANGE = [2**31, 2**63, -(2**63) - 1]


def _integer_parameters(route: APIRoute) -> tuple[list[str], list[str]]:
    dependant = route.dependant
    dependants = [dependant, *dependant.dependencies]
    path_names = [
        field.alias
        for each_dependant in dependants
        for field in each_dependant.path_params
        if field.field_info.annotation in (int, int | None)
    ]
    query_names = [
        field.alias
        for each_dependant in dependants
        for field in each_dependant.query_params
        if field.field_info.annotation in (int, int | None)
    ]
    return path_names, query_names


def _routes_with_integers(app: FastAPI) -> list[tuple[str, str, list[str], list[str]]]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        path_names, query_names = _integer_parameters(route)
        if not path_names and not query_names:
            continue
        for method in sorted(set(context.methods or ()) - {"HEAD"}):
            found.append((method, str(context.path), path_names, query_names))
    return found


def test_walk_finds_integer_routes(app: FastAPI) -> None:
    paths = {path for _method, path, _p, _q in _routes_with_integers(app)}
    assert "/api/channels/{channel_id}" in paths
    assert "/conversas/{conversation_id}" in paths
    assert "/api/contacts" in paths


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_out_of_range_ids_are_client_errors(
    app: FastAPI, state: AppState, client: httpx.AsyncClient, value: int
) -> None:
    await make_channel(state)
    await make_user(state)
    headers = await login(client, "admin@teste.invalid", "senha-de-teste-admin")
    server_errors = []
    for method, path, path_names, query_names in _routes_with_integers(app):
        url = path
        for name in path_names:
            url = url.replace("{" + name + "}", str(value))
        for name in ("wa_id", "name"):
            url = url.replace("{" + name + "}", "5511900000001")
        params = {name: str(value) for name in query_names}
        try:
            response = await client.request(
                method, url, params=params, headers=headers, json={}
            )
        except Exception as error:
            server_errors.append((method, url, params, repr(error)))
            continue
        if response.status_code >= 500:
            server_errors.append((method, url, params, response.status_code))
    assert server_errors == []
