"""Chat Completions chunks -> OpenAI Responses stream events (a /v1/responses client on a Chat channel).

The event order is the one OpenAI sends and the official SDK's accumulator (`responses.stream()`)
insists on: `response.created`, `response.in_progress`, then per output item `output_item.added`,
its part (`content_part.added` / `reasoning_summary_part.added`), the deltas, the `.done` events and
`output_item.done`; last `response.completed` (or `response.incomplete` after a length / filter stop)
carrying the whole response and its usage. Sequence numbers count up from 0.

Reasoning and text items close when the other kind starts; tool calls stay open until the end
(Chat streams may interleave the arguments of parallel calls by index).
"""

from __future__ import annotations

import time
from typing import Any

from backend.json_shape import object_at
from backend.models.usage import Usage
from backend.relay.convert.responses_openai import (
    call_item,
    finish_status,
    message_item,
    reasoning_item,
    response_shell,
    tool_names,
    usage_object,
)

Event = tuple[str, dict[str, Any]]


class ChatToResponsesStream:
    def __init__(self, req: dict, model: str) -> None:
        self.req = req
        self.model = model
        self.names = tool_names(req)
        self.base = ""
        self.created = int(time.time())
        self.seq = -1
        self.started = False
        self.finish_reason: str | None = None
        self.raw_usage: Any = None
        self.output: dict[int, dict] = {}  # output index -> finished item
        self._next = 0
        self._text: tuple[int, list[str]] | None = None  # (output index, pieces)
        self._reasoning: tuple[int, list[str]] | None = None
        self._calls: dict[int, dict[str, Any]] = {}  # chat tool index -> open call state

    # -- helpers ---------------------------------------------------------------------------

    def _event(self, kind: str, **fields: Any) -> Event:
        self.seq += 1
        return kind, {"type": kind, "sequence_number": self.seq, **fields}

    @property
    def response_id(self) -> str:
        return "resp_" + self.base

    def _shell(self, status: str) -> dict:
        out = response_shell(self.req, self.response_id, self.model, self.created)
        out["status"] = status
        return out

    def _start(self, chunk: dict) -> list[Event]:
        self.started = True
        self.base = str(chunk.get("id") or f"{time.time_ns():x}")
        if isinstance(chunk.get("created"), int):
            self.created = chunk["created"]
        shell = self._shell("in_progress")
        return [self._event("response.created", response=shell), self._event("response.in_progress", response=shell)]

    def _item_id(self, prefix: str, index: int) -> str:
        return f"{prefix}_{self.base}_{index}"

    def _take_index(self) -> int:
        self._next += 1
        return self._next - 1

    # -- open / close ----------------------------------------------------------------------

    def _open_text(self) -> list[Event]:
        index = self._take_index()
        self._text = (index, [])
        item_id = self._item_id("msg", index)
        item = {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        return [self._event("response.output_item.added", output_index=index, item=item),
                self._event("response.content_part.added", item_id=item_id, output_index=index, content_index=0,
                            part=part)]

    def _close_text(self) -> list[Event]:
        if self._text is None:
            return []
        index, pieces = self._text
        self._text = None
        item_id, text = self._item_id("msg", index), "".join(pieces)
        item = message_item(item_id, text)
        self.output[index] = item
        return [self._event("response.output_text.done", item_id=item_id, output_index=index, content_index=0,
                            text=text, logprobs=[]),
                self._event("response.content_part.done", item_id=item_id, output_index=index, content_index=0,
                            part=item["content"][0]),
                self._event("response.output_item.done", output_index=index, item=item)]

    def _open_reasoning(self) -> list[Event]:
        index = self._take_index()
        self._reasoning = (index, [])
        item_id = self._item_id("rs", index)
        return [self._event("response.output_item.added", output_index=index,
                            item={"id": item_id, "type": "reasoning", "summary": []}),
                self._event("response.reasoning_summary_part.added", item_id=item_id, output_index=index,
                            summary_index=0, part={"type": "summary_text", "text": ""})]

    def _close_reasoning(self) -> list[Event]:
        if self._reasoning is None:
            return []
        index, pieces = self._reasoning
        self._reasoning = None
        item_id, text = self._item_id("rs", index), "".join(pieces)
        item = reasoning_item(item_id, text)
        self.output[index] = item
        return [self._event("response.reasoning_summary_text.done", item_id=item_id, output_index=index,
                            summary_index=0, text=text),
                self._event("response.reasoning_summary_part.done", item_id=item_id, output_index=index,
                            summary_index=0, part={"type": "summary_text", "text": text}),
                self._event("response.output_item.done", output_index=index, item=item)]

    def _open_call(self, call: dict) -> list[Event]:
        fn = object_at(call, "function")
        index = self._take_index()
        name = str(fn.get("name") or "")
        state: dict[str, Any] = {"index": index, "id": self._item_id("fc", index),
                                 "call_id": str(call.get("id") or f"call_{index}"), "name": name, "args": []}
        self._calls[call.get("index", 0) if isinstance(call.get("index"), int) else 0] = state
        item = call_item(state["id"], state["call_id"], name, "", self.names, "in_progress")
        return [self._event("response.output_item.added", output_index=index, item=item)]

    def _close_call(self, state: dict) -> list[Event]:
        args = "".join(state["args"])
        item = call_item(state["id"], state["call_id"], state["name"], args, self.names)
        self.output[state["index"]] = item
        common = {"item_id": state["id"], "output_index": state["index"]}
        if item["type"] == "custom_tool_call":
            done = [self._event("response.custom_tool_call_input.delta", **common, delta=item["input"]),
                    self._event("response.custom_tool_call_input.done", **common, input=item["input"])]
        else:
            done = [self._event("response.function_call_arguments.done", **common, name=state["name"], arguments=args)]
        return [*done, self._event("response.output_item.done", output_index=state["index"], item=item)]

    # -- feed ------------------------------------------------------------------------------

    def feed(self, chunk: dict) -> list[Event]:
        events = [] if self.started else self._start(chunk)
        if isinstance(chunk.get("usage"), dict):
            self.raw_usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # n > 1 has no Responses equivalent; the request never asks for it
            delta = object_at(choice, "delta")
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                events += self._close_text()
                if self._reasoning is None:
                    events += self._open_reasoning()
                assert self._reasoning is not None
                self._reasoning[1].append(reasoning)
                item_id = self._item_id("rs", self._reasoning[0])
                events.append(self._event("response.reasoning_summary_text.delta", item_id=item_id,
                                          output_index=self._reasoning[0], summary_index=0, delta=reasoning))
            for name in ("content", "refusal"):
                text = delta.get(name)
                if isinstance(text, str) and text:
                    events += self._close_reasoning()
                    if self._text is None:
                        events += self._open_text()
                    assert self._text is not None
                    self._text[1].append(text)
                    events.append(self._event("response.output_text.delta", item_id=self._item_id("msg", self._text[0]),
                                              output_index=self._text[0], content_index=0, delta=text, logprobs=[]))
            for call in delta.get("tool_calls") or ():
                if not isinstance(call, dict):
                    continue
                key = call.get("index", 0) if isinstance(call.get("index"), int) else 0
                if key not in self._calls:
                    events += self._close_reasoning() + self._close_text() + self._open_call(call)
                state = self._calls[key]
                fn = object_at(call, "function")
                if fn.get("name") and not state["name"]:
                    state["name"] = fn["name"]
                piece = fn.get("arguments")
                if isinstance(piece, str) and piece:
                    state["args"].append(piece)
                    if state["name"] not in self.names.custom:
                        events.append(self._event("response.function_call_arguments.delta", item_id=state["id"],
                                                  output_index=state["index"], delta=piece))
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return events

    def finish(self, usage: Usage | None) -> list[Event]:
        """Close what is open and end with response.completed (or .incomplete) and the usage."""
        events = [] if self.started else self._start({})
        events += self._close_reasoning() + self._close_text()
        for state in sorted(self._calls.values(), key=lambda s: s["index"]):
            events += self._close_call(state)
        self._calls.clear()
        status, incomplete = finish_status(self.finish_reason)
        response = self._shell(status)
        response.update(incomplete_details=incomplete, output=[self.output[i] for i in sorted(self.output)],
                        usage=usage_object(usage, self.raw_usage))
        return [*events, self._event("response.completed" if status == "completed" else "response.incomplete",
                                     response=response)]
