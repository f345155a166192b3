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
"""

from __future__ import annotations

from collections.abc import Iterable

from flwr.app import Message, RecordDict
from flwr.serverapp import Grid
from flwr.supercore.run import Run

from bedside.federated.local_grid import DropoutPolicy, Traffic, message_size

__all__ = ["MeteredGrid"]


class MeteredGrid(Grid):
    """Delegates to `inner`, counting bytes per (round, node) both ways (module docstring).

    Parameters
    ----------
    inner : Grid
        The engine's Grid.
    dropout : callable, optional
        ``(node_id, message) -> True`` withholds that message from that node.
    """

    def __init__(self, inner: Grid, *, dropout: DropoutPolicy | None = None) -> None:
        self.inner = inner
        self.dropout = dropout
        self.traffic = Traffic()

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
        return self._incoming(
            self.inner.send_and_receive(self._outgoing(messages), timeout=timeout)
        )
