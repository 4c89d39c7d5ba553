"""A fused answer's stream in Responses terms: chat chunks and progress events in, the typed
events of the Responses API out, each with its ``sequence_number``.

The order is the standard one: ``response.created`` and ``response.in_progress`` at once; for
each output item ``response.output_item.added``, its content (``response.content_part.added``,
``response.output_text.delta``..., ``response.output_text.annotation.added`` for each citation,
``response.output_text.done``, ``response.content_part.done``; or
``response.function_call_arguments.delta``... and ``.done``) and ``response.output_item.done``;
then ``response.completed`` (``response.incomplete`` when the answer hit
``max_output_tokens``, ``response.failed`` when fusion could not answer). A fusion run is an
item of its own, with the ``response.fusion_call.*`` events in between (``fusion_item``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core import chat
from fusion_tool.core.errors import FusionFailed
from fusion_tool.core.events import Event
from fusion_tool.modes.serve import is_closing
from fusion_tool.proxy.errors import as_proxy_error
from fusion_tool.proxy.responses import output
from fusion_tool.proxy.responses.fusion_item import FusionRuns, Out


@dataclass
class _Open:
    """An output item being streamed: a message, or a function call.

    Attributes:
        item_id: The item's id.
        index: Its place in the response's output.
        text: The message's text so far, or the call's arguments so far, in pieces.
        call_id: The function call's id (what ``function_call_output`` answers).
        name: The function's name.
    """

    item_id: str
    index: int
    text: list[str] = field(default_factory=list)
    call_id: str = ""
    name: str = ""


class Translator:
    """One streamed response: feed it chunks (:meth:`on_chunk`) and progress events
    (:meth:`on_event`) in the order they happened; each call returns the events to send."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.id = output.new_id("resp")
        self.created = output.created_now()
        self._sequence = 0
        self._indices = 0
        self._done: dict[int, dict[str, Any]] = {}
        self._message: _Open | None = None
        self._calls: dict[int, _Open] = {}
        self._finish: str | None = None
        self._usage: Any = None
        self._record: dict[str, Any] | None = None
        self.fusion = FusionRuns(self._next_index, lambda: output.new_id("fusion"))

    def _next_index(self) -> int:
        self._indices += 1
        return self._indices - 1

    def _events(self, out: Out) -> list[dict[str, Any]]:
        events = []
        for kind, fields in out:
            events.append({"type": kind, "sequence_number": self._sequence, **fields})
            self._sequence += 1
        return events

    def _response(self, status: str, **extra: Any) -> dict[str, Any]:
        return output.response(self.body, self.id, self.created, status=status, **extra)

    def start(self) -> list[dict[str, Any]]:
        started = self._response("in_progress")
        return self._events([("response.created", {"response": started}),
                             ("response.in_progress", {"response": started})])

    def on_event(self, event: Event) -> list[dict[str, Any]]:
        out: Out = []
        if event.kind == "panelist_start" and (self.fusion.open is None or self.fusion.open.judging):
            out += self._close_answer()  # a new run: what the model said before it is done
        return self._events(out + self.fusion.on_event(event))

    def on_chunk(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        if is_closing(chunk):
            self._usage, self._record = chunk.get("usage"), chunk.get("fusion")
            return []
        out: Out = []
        for choice in chat.choices(chunk)[:1]:  # fusion writes one answer (n = 1)
            delta = choice.get("delta") or {}
            if delta.get("content"):
                out += self.fusion.close() + self._text(delta["content"])
            for call in delta.get("tool_calls") or []:
                out += self.fusion.close() + self._call(call)
            self._finish = choice.get("finish_reason") or self._finish
        return self._events(out)

    def _text(self, text: str) -> Out:
        out: Out = []
        if self._message is None:
            out += self._close_calls()
            self._message = _Open(output.new_id("msg"), self._next_index())
            item = output.message(self._message.item_id, "", [], status="in_progress")
            out += [("response.output_item.added", {"output_index": self._message.index, "item": {**item, "content": []}}),
                    ("response.content_part.added", {**self._where(self._message), "part": output.text_part("", [])})]
        self._message.text.append(text)
        return [*out, ("response.output_text.delta", {**self._where(self._message), "delta": text, "logprobs": []})]

    @staticmethod
    def _where(item: _Open) -> dict[str, Any]:
        return {"item_id": item.item_id, "output_index": item.index, "content_index": 0}

    def _call(self, delta: dict[str, Any]) -> Out:
        out: Out = []
        function = delta.get("function") or {}
        call = self._calls.get(delta.get("index"))
        if call is None:
            out += self._close_message()
            call = self._calls[delta.get("index")] = _Open(output.new_id("fc"), self._next_index(),
                                                           call_id=delta.get("id") or "", name=function.get("name") or "")
            item = output.function_call(call.item_id, call.call_id, call.name, "", status="in_progress")
            out.append(("response.output_item.added", {"output_index": call.index, "item": item}))
        if function.get("arguments"):
            call.text.append(function["arguments"])
            out.append(("response.function_call_arguments.delta",
                        {"item_id": call.item_id, "output_index": call.index, "delta": function["arguments"]}))
        return out

    def _close_message(self, status: str = "completed") -> Out:
        message, self._message = self._message, None
        if message is None:
            return []
        text = "".join(message.text)
        annotations = output.citations(text, self.fusion.sources)
        where = self._where(message)
        out: Out = [("response.output_text.annotation.added", {**where, "annotation_index": i, "annotation": a})
                    for i, a in enumerate(annotations)]
        item = self._done[message.index] = output.message(message.item_id, text, annotations, status=status)
        return [*out, ("response.output_text.done", {**where, "text": text, "logprobs": []}),
                ("response.content_part.done", {**where, "part": output.text_part(text, annotations)}),
                ("response.output_item.done", {"output_index": message.index, "item": item})]

    def _close_calls(self, status: str = "completed") -> Out:
        out: Out = []
        for call in self._calls.values():
            arguments = "".join(call.text)
            item = self._done[call.index] = output.function_call(call.item_id, call.call_id, call.name, arguments,
                                                                 status=status)
            out += [("response.function_call_arguments.done",
                     {"item_id": call.item_id, "output_index": call.index, "name": call.name, "arguments": arguments}),
                    ("response.output_item.done", {"output_index": call.index, "item": item})]
        self._calls = {}
        return out

    def _close_answer(self, status: str = "completed") -> Out:
        return self._close_message(status) + self._close_calls(status)

    def _output(self) -> list[dict[str, Any]]:
        items = {**self._done, **{run.output_index: run.item() for run in self.fusion.runs}}
        return [items[i] for i in sorted(items)]

    def finish(self) -> list[dict[str, Any]]:
        """The events that close the response, once the last chunk has come."""
        out = self.fusion.close(self._record) + self._close_answer()
        status = output.finished_status(self._finish)
        final = self._response(status, output=self._output(), usage=output.usage(self._usage))
        final["fusion"] = self._record
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return self._events([*out, (kind, {"response": final})])

    def fail(self, exc: BaseException) -> list[dict[str, Any]]:
        """The events that end the response when fusion could not answer (``response.failed``)."""
        record = None
        if isinstance(exc, FusionFailed):
            record = {"status": "error", "error": str(exc), "failure_reason": exc.failure_reason,
                      "failed_models": exc.failed_models}
        err = as_proxy_error(exc)
        out = self.fusion.close(record) + self._close_answer("incomplete")
        error = {"code": err.code or "server_error", "message": err.message}
        return self._events([*out, ("response.failed", {"response": self._response("failed", output=self._output(),
                                                                                    error=error)})])
