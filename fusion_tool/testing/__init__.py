"""A scripted, deterministic OpenAI-compatible provider for tests, benchmarks and demos.

It speaks the Chat Completions and the Responses wire formats over real HTTP (the same
behaviours answer `POST /chat/completions` and `POST /responses`), so code under test uses the
real `openai` SDK, unchanged, without a key or the internet. Each model is driven by a
*behaviour*: a plain function of the request (sync or `async def`), a fixed text, a `Reply`,
a raw JSON body, or a list of these played in order.

```python
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall

def panelist(req: ScriptedRequest) -> Reply | str:
    return Reply(text=f"Paris. (asked: {req.last_user_text})", delay=0.2)

def agent(req: ScriptedRequest) -> Reply:
    if req.messages[-1]["role"] == "tool":
        return Reply(text="Done.")
    return Reply(tool_calls=[ToolCall("web_search", {"query": "capital of France"})])

provider = ScriptedProvider({"model-a": panelist, "model-b": "fixed text", "agent": agent})

client = provider.async_openai()          # openai.AsyncOpenAI, in process (no sockets)
sync_client = provider.openai()           # openai.OpenAI, in process (background loop thread)
with provider.serve() as base_url:        # a real uvicorn server on 127.0.0.1, free port
    other = openai.OpenAI(base_url=base_url, api_key="anything")

provider.requests                         # every request, in arrival order
provider.requests_for("model-a")[0].attempt
```

Errors are replies too: `Reply(status=429, headers={"Retry-After": "1"})` arrives as
`openai.RateLimitError`; a behaviour that raises answers 500; an unknown model answers 404
with code "model_not_found". Latency is scripted with `delay`, `hang` and `chunk_delay`, and a
client that gives up is recorded as `ScriptedRequest.cancelled`.
"""

from fusion_tool.provider.asgi import LoopThread, StreamingASGITransport, ThreadedASGITransport
from fusion_tool.testing._app import ScriptedApp
from fusion_tool.testing._provider import IN_PROCESS_BASE_URL, TEST_API_KEY, ScriptedProvider
from fusion_tool.testing._replies import Behaviour, Reply, ScriptedRequest, ToolCall

__all__ = [
    "IN_PROCESS_BASE_URL",
    "TEST_API_KEY",
    "Behaviour",
    "LoopThread",
    "Reply",
    "ScriptedApp",
    "ScriptedProvider",
    "ScriptedRequest",
    "StreamingASGITransport",
    "ThreadedASGITransport",
    "ToolCall",
]
