"""The interactive API reference (Swagger UI), served from this server alone.

FastAPI's own ``/docs`` page loads Swagger UI from a public CDN and starts it
with an inline script, and the panel's Content-Security-Policy blocks both. This
page loads the files that ``npm ci`` installed and starts Swagger UI from
``/static/api-docs.js`` instead.
"""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Cenat Hub API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/static/vendor/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def api_reference() -> HTMLResponse:
    return HTMLResponse(PAGE)
