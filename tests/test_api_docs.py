"""The API documents itself: every /api route is in openapi.json, and in docs/sync.md."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from tests.helpers.accounts import CsrfClient

DOC = (Path(__file__).resolve().parent.parent / "docs" / "sync.md").read_text()


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """Every (path, method) under /api, in OpenAPI's path syntax."""
    return {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_api_route_is_in_openapi_json(app: Flask, client: CsrfClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    described = {(path, m) for path, ops in document["paths"].items() for m in ops}
    assert api_routes(app) == described
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["responses"].get("200") or op["responses"].get("201"), (path, method)


def test_every_api_route_is_in_docs_sync_md(app: Flask) -> None:
    missing = sorted(f"{m.upper()} {p}" for p, m in api_routes(app) if p not in DOC)
    assert missing == []


def test_every_schema_reference_resolves(client: CsrfClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    refs = set(
        re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(document).replace("'", '"'))
    )
    assert refs and refs <= set(document["components"]["schemas"])
