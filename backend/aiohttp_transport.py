"""httpx over aiohttp: the transport under kfn's one v2 API client.

httpx's own transport imports httpcore and anyio, about 110 ms of every start of the app, while
aiohttp is loaded anyway for the embedded server. This adapter sends each httpx request through
an aiohttp session and hands the answer back as an httpx response. aiohttp parses HTTP; this only
translates.

Each way the network fails becomes httpx's exception for it, with aiohttp's error (and the OS or
TLS error under that) as the cause, which the client reads to say what happened:

| aiohttp                                            | httpx               |
|----------------------------------------------------|---------------------|
| ConnectionTimeoutError                             | ConnectTimeout      |
| SocketTimeoutError, other timeouts                 | ReadTimeout         |
| ClientProxyConnectionError                         | ProxyError          |
| ClientConnectorError (refused, DNS, TLS)           | ConnectError        |
| ServerDisconnectedError, ClientResponseError       | RemoteProtocolError |
| ClientPayloadError, ClientOSError (reset mid-way)  | ReadError           |
| InvalidURL (not http or https)                     | UnsupportedProtocol |
| any other ClientError                              | TransportError      |

(The library kfn used before, httpx-aiohttp, reported every lost connection as ConnectTimeout.)
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx

CHUNK_SIZE = 64 * 1024
MAX_CONNECTIONS = 20

# Most specific first: the first class that matches decides.
_MAPPING: list[tuple[type[BaseException], type[httpx.TransportError]]] = [
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.TransportError),
    (TimeoutError, httpx.ReadTimeout),
]


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except (TimeoutError, aiohttp.ClientError) as exc:
        for source, target in _MAPPING:
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__, request=request) from exc
        raise  # pragma: no cover - the last two rows match everything caught


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for chunk in self._response.content.iter_chunked(CHUNK_SIZE):
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """`verify`: True checks certificates (httpx's CA bundle), False does not, or a context of
    one's own. `uds`: a Unix socket path to connect to instead of the URL's host."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, uds: str | None = None) -> None:
        self._verify = verify
        self._uds = uds
        self._session: aiohttp.ClientSession | None = None

    def _ssl(self) -> ssl.SSLContext | bool:
        if isinstance(self._verify, ssl.SSLContext):
            return self._verify
        # False turns checking off; True builds the context the first time it is needed, not
        # for plain http:// (loading a certificate store takes ~50 ms).
        return httpx.create_ssl_context(verify=True) if self._verify else False

    def _open_session(self) -> aiohttp.ClientSession:
        connector: aiohttp.BaseConnector
        if self._uds:
            connector = aiohttp.UnixConnector(path=self._uds, limit=MAX_CONNECTIONS)
        else:
            connector = aiohttp.TCPConnector(ssl=self._ssl(), limit=MAX_CONNECTIONS)
        # httpx decompresses and follows redirects itself (or not): aiohttp must not.
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open_session()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        with _as_httpx_errors(request):
            response = await self._session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
