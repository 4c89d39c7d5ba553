"""The lean inner call: a chat completion re-sent as the SDK sent the first one, minus its CPU.

Building a request is most of what the openai SDK costs per call (option copies, header merges,
URL parsing), and an inner call of fusion repeats the same request to the same endpoint with
only the body changed. So the first call goes through the SDK (:meth:`Upstream._create`), and
the request it built (its URL with the client's query, its headers with the client's auth,
organization, project and default headers) becomes the template: later calls send a new body
with that URL and those headers straight through the client's own HTTP client
(``client._client``: the user's proxies, transports and event hooks apply as before), and come
back as the SDK's own typed errors and SSE stream.

Only where nothing per request can differ: an ``openai.AsyncOpenAI`` of that very class (a
subclass such as ``AzureOpenAI`` builds its own paths), with a fixed key (no key provider, no
workload identity, no provider runtime, no custom auth), and a call with no per-call
``extra_headers``/``extra_query``. Anything else keeps the SDK's path.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import openai

from fusion_tool.core import fastjson

#: headers httpx works out per request, or the SDK per call (its own telemetry of the timeout it
#: was given, which the learnt path leaves out): not part of the template
_PER_REQUEST = frozenset({"content-length", "x-stainless-read-timeout"})


def eligible(client: Any) -> bool:
    """Whether ``client``'s requests are the same from call to call (see the module's doc)."""
    return (type(client) is openai.AsyncOpenAI
            and getattr(client, "_provider_runtime", None) is None
            and getattr(client, "_workload_identity_auth", None) is None
            and getattr(client, "_api_key_provider", None) is None
            and getattr(client, "_idempotency_header", None) is None
            and client.custom_auth is None
            and (client.timeout is None or isinstance(client.timeout, (int, float, httpx2.Timeout)))
            and isinstance(getattr(client, "_client", None), httpx2.AsyncClient))


class Wire:
    """One client's chat-completions request, learnt from the SDK and re-sent with new bodies."""

    def __init__(self, client: openai.AsyncOpenAI, sent: httpx2.Request) -> None:
        self._client = client
        self._http: httpx2.AsyncClient = client._client
        self._url = sent.url
        self._headers = httpx2.Headers([(k, v) for k, v in sent.headers.multi_items() if k.lower() not in _PER_REQUEST])

    @classmethod
    def learn(cls, client: Any, sent: httpx2.Request | None) -> Wire | None:
        """The template of ``client``'s calls from the request the SDK ``sent`` (None where the
        client is not :func:`eligible`, or nothing was sent)."""
        if sent is None or not eligible(client):
            return None
        return cls(client, sent)

    async def send(self, body: dict[str, Any], *, stream: bool, timeout: float | None) -> Any:
        """``body`` POSTed as the template says: the answer's raw response (read), or for a
        stream the SDK's stream of chunk dicts; the SDK's typed errors as its own path raises them."""
        limit = self._client.timeout if timeout is None else httpx2.Timeout(timeout)
        request = self._http.build_request("POST", self._url, content=fastjson.dumps(body), headers=self._headers,
                                           timeout=limit)
        try:
            response = await self._http.send(request, stream=stream)
        except (httpx2.TimeoutException, asyncio.TimeoutError) as exc:
            raise openai.APITimeoutError(request=request) from exc
        except openai.OpenAIError:
            raise
        except Exception as exc:  # what the SDK's own path calls a connection error
            raise openai.APIConnectionError(request=request) from exc
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise self._client._make_status_error_from_response(response)
        if stream:
            return openai.AsyncStream(cast_to=object, response=response, client=self._client)
        return response
