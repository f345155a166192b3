"""A Grid wrapper that counts the bytes the ServerApp exchanges with each node, per round.

Flower's Simulation Engine hands the ServerApp its own in-memory Grid and runs the ClientApps in
Ray actors, so the traffic cannot be counted where the messages are delivered (as
`bedside.federated.local_grid` does). `MeteredGrid` sits between the ServerApp's workflows and
whatever Grid the engine (or a SuperLink) provides and measures, for every message the server
pushes and every reply it pulls, the serialised size of its ``RecordDict`` (protobuf bytes, the
payload a SuperNode receives or sends over gRPC without framing), keyed by round (the message's
``group_id``) and node. It is the same measure as `LocalGrid`'s, taken on the server's side.

It can also withhold messages from chosen nodes (`dropout`, as in `LocalGrid`): the node never
receives the message, as when a phone goes offline mid-round.

`send_and_receive` polls the inner Grid itself and stops with `EngineStoppedError` once `abort`
is set: Flower's in-memory Grid waits for every reply forever when no timeout is given, so
without this a Simulation Engine that fails to start (Ray under heavy load) would leave the
ServerApp's thread, and the process, hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from flwr.app import Message, RecordDict
from flwr.serverapp import Grid
from flwr.supercore.run import Run

from bedside.domain import BedsideError
from bedside.federated.local_grid import DropoutPolicy, Traffic, message_size

__all__ = ["EngineStoppedError", "MeteredGrid"]


class EngineStoppedError(BedsideError):
    """The simulation engine stopped while the ServerApp was waiting for replies."""


class MeteredGrid(Grid):
    """Delegates to `inner`, counting bytes per (round, node) both ways (module docstring).

    Parameters
    ----------
    inner : Grid
        The engine's Grid.
    dropout : callable, optional
        ``(node_id, message) -> True`` withholds that message from that node.
    pull_interval : float
        Seconds between polls for replies.
    abort : threading.Event, optional
        Set by whoever runs the engine when it stopped (a fresh event by default).
    """

    def __init__(
        self,
        inner: Grid,
        *,
        dropout: DropoutPolicy | None = None,
        pull_interval: float = 0.1,
        abort: threading.Event | None = None,
    ) -> None:
        self.inner = inner
        self.dropout = dropout
        self.pull_interval = pull_interval
        self.traffic = Traffic()
        self.abort = abort or threading.Event()

    def set_run(self, run: Run) -> None:
        self.inner.set_run(run)

    @property
    def run(self) -> Run:
        return self.inner.run

    def create_message(
        self,
        content: RecordDict,
        message_type: str,
        dst_node_id: int,
        group_id: str,
        ttl: float | None = None,
    ) -> Message:
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self) -> Iterable[int]:
        return self.inner.get_node_ids()

    def _outgoing(self, messages: Iterable[Message]) -> list[Message]:
        out = []
        for msg in messages:
            node = msg.metadata.dst_node_id
            if self.dropout is not None and self.dropout(node, msg):
                continue
            self.traffic.down[(msg.metadata.group_id, node)] += message_size(msg.content)
            out.append(msg)
        return out

    def _incoming(self, replies: Iterable[Message]) -> list[Message]:
        replies = list(replies)
        for reply in replies:
            if not reply.has_error():
                key = (reply.metadata.group_id, reply.metadata.src_node_id)
                self.traffic.up[key] += message_size(reply.content)
        return replies

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return self.inner.push_messages(self._outgoing(messages))

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return self._incoming(self.inner.pull_messages(message_ids))

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        waiting = set(self.push_messages(messages))
        deadline = None if timeout is None else time.monotonic() + timeout
        replies: list[Message] = []
        while waiting:
            if self.abort.is_set():
                raise EngineStoppedError(
                    f"the simulation engine stopped with {len(waiting)} replies outstanding"
                )
            got = list(self.pull_messages(waiting))
            replies.extend(got)
            waiting.difference_update(m.metadata.reply_to_message_id for m in got)
            if not waiting or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(self.pull_interval)
        return replies
