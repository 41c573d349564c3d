"""The Elasticsearch client for an ad store URL, and the node class that lets
the official 9.x client talk to OpenSearch-compatible servers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from elastic_transport import HttpHeaders, Urllib3HttpNode
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import Elasticsearch

from index.exceptions import StoreConfigError

COMPAT_PREFIX = "application/vnd.elasticsearch+"


def _plain_mimetype(value: str) -> str:
    # "application/vnd.elasticsearch+json; compatible-with=9" -> "application/json"
    if not value.startswith(COMPAT_PREFIX):
        return value
    kind = value[len(COMPAT_PREFIX) :].split(";", 1)[0].strip()
    return f"application/{kind}"


class OpenSearchCompatibleNode(Urllib3HttpNode):
    """An HTTP node that speaks plain ``application/json``.

    The 9.x client sends Elasticsearch's compatibility media type and refuses
    servers that do not answer ``X-Elastic-Product: Elasticsearch``. OpenSearch
    (and osmem-server) answer the same REST API with plain JSON, so this node
    rewrites the media types on the way out and vouches for the product on the
    way back.
    """

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = _plain_mimetype(headers[name])
        response = super().perform_request(
            method, target, body=body, headers=headers, request_timeout=request_timeout
        )
        response.meta.headers["x-elastic-product"] = "Elasticsearch"
        return response


class ClientSettings:
    """What an Elasticsearch store URL says: server, flavour and options.

    ``opensearch+http://host:9200`` selects the OpenSearch flavour. Query
    options: ``prefix`` (index name prefix, default ``adscan``), ``refresh``
    (``wait_for`` default, ``false`` for bulk loads) and ``retries``.
    """

    def __init__(self, url: str):
        self.url = url
        parts = urlsplit(url)
        scheme = parts.scheme
        self.opensearch = scheme.startswith("opensearch+")
        scheme = scheme.removeprefix("opensearch+")
        if scheme not in ("http", "https") or not parts.hostname:
            raise StoreConfigError(
                f"Setting ADSCAN_INDEX_URL has value {url!r}; expected http(s)://host:9200 "
                "or opensearch+http(s)://host:port"
            )
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.prefix = options.pop("prefix", "adscan")
        refresh = options.pop("refresh", "wait_for")
        self.refresh: str | bool = {"false": False, "true": True}.get(refresh, refresh)
        try:
            self.retries = int(options.pop("retries", "3"))
        except ValueError:
            raise StoreConfigError(
                f"Setting ADSCAN_INDEX_URL has a 'retries' option that is not a number in {url!r}"
            ) from None
        if options:
            raise StoreConfigError(
                f"Setting ADSCAN_INDEX_URL has unknown options {sorted(options)} in {url!r}; "
                "known: prefix, refresh, retries"
            )
        self.server = urlunsplit((scheme, parts.netloc, parts.path, "", ""))
        # The URL as shown to people: no credentials, no options.
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.display = f"{parts.scheme}://{host}{parts.path}"

    def client(self, **overrides: Any) -> Elasticsearch:
        kwargs: dict[str, Any] = {
            "max_retries": self.retries,
            "retry_on_timeout": True,
            "retry_backoff_base": 0.2,
            "retry_backoff_cap": 5.0,
            "request_timeout": 30,
        }
        if self.opensearch:
            kwargs["node_class"] = OpenSearchCompatibleNode
        kwargs.update(overrides)
        return Elasticsearch(self.server, **kwargs)
