"""An in-process Flower Grid: runs the real ServerApp against real ClientApps in one process.

Flower's Simulation Engine needs Ray, which the project's lock does not include; this Grid
delivers each message by calling the node's ``ClientApp`` directly, sequentially, with the
node's persistent ``Context`` (so ``secaggplus_mod`` state and the personal head survive between
messages, as on a SuperNode). The ServerApp, strategy, workflows and mods are exactly those run
by ``flower-superlink``/``flower-supernode``. It also

- measures the serialised size (protobuf bytes of the ``RecordDict``) of every message each way,
  per node and per round (the message's ``group_id``);
- drops nodes on demand (`dropout`: a node whose reply is withheld, as when a phone goes
  offline mid-round).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import uuid4

from flwr.app import Context, Message, RecordDict
from flwr.app.error import Error
from flwr.clientapp import ClientApp
from flwr.common.constant import SUPERLINK_NODE_ID, ErrorCode
from flwr.common.serde import recorddict_to_proto
from flwr.serverapp import Grid
from flwr.supercore.run import Run
from flwr.supercore.task_identity import TaskIdentity

__all__ = ["DropoutPolicy", "LocalGrid", "Traffic", "message_size", "run_local"]

DropoutPolicy = Callable[[int, Message], bool]
"""``(node_id, message) -> True`` when the node does not answer this message."""


@dataclass
class Traffic:
    """Bytes (serialised RecordDict) per (round, node) in each direction."""

    down: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    up: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))

    def up_per_client(self, round_: str) -> list[int]:
        """Upload bytes of each node that sent anything in round `round_`."""
        return [b for (r, _), b in self.up.items() if r == round_]


def message_size(content: RecordDict) -> int:
    """Serialised size of a message's content (protobuf bytes of the RecordDict)."""
    return int(recorddict_to_proto(content).ByteSize())


class LocalGrid(Grid):
    """In-process Grid over ``{node_id: (client_app, context)}`` (module docstring)."""

    def __init__(
        self,
        nodes: dict[int, tuple[ClientApp, Context]],
        *,
        run_id: int = 1,
        dropout: DropoutPolicy | None = None,
    ) -> None:
        self.nodes = nodes
        self._run = Run.create_empty(run_id)
        self.dropout = dropout
        self.traffic = Traffic()
        self._replies: dict[str, Message] = {}

    def set_run(self, run: Run) -> None:
        self._run = run

    @property
    def run(self) -> Run:
        return self._run

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
        return list(self.nodes)

    def _deliver(self, msg: Message) -> Message | None:
        node = msg.metadata.dst_node_id
        if node not in self.nodes or (self.dropout is not None and self.dropout(node, msg)):
            return None
        app, context = self.nodes[node]
        key = (msg.metadata.group_id, node)
        self.traffic.down[key] += message_size(msg.content)
        # A node gets its own copy, as over the wire (mods mutate their input records, and the
        # workflows share one record between several nodes' messages).
        msg = copy.deepcopy(msg)
        try:
            reply = app(msg, context)
        except Exception as exc:  # a failing device is reported, as Flower's runtimes do
            reply = Message(
                Error(code=ErrorCode.CLIENT_APP_RAISED_EXCEPTION, reason=repr(exc)),
                reply_to=msg,
            )
        if not reply.has_error():
            self.traffic.up[key] += message_size(reply.content)
        reply = copy.deepcopy(reply)
        reply.metadata.__dict__["_message_id"] = str(uuid4())
        return reply

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        ids = []
        for msg in messages:
            msg.metadata.__dict__["_message_id"] = str(uuid4())
            msg.metadata.__dict__["_run_id"] = self._run.run_id
            reply = self._deliver(msg)
            if reply is not None:
                self._replies[msg.metadata.message_id] = reply
            ids.append(msg.metadata.message_id)
        return ids

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return [self._replies.pop(i) for i in message_ids if i in self._replies]

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        return list(self.pull_messages(list(self.push_messages(messages))))


def run_local(
    server_app: Callable[[Grid, Context], None],
    client_apps: dict[int, ClientApp],
    *,
    node_configs: dict[int, dict[str, str | int]] | None = None,
    dropout: DropoutPolicy | None = None,
    run_id: int = 1,
) -> LocalGrid:
    """Run a ServerApp against ClientApps in this process; returns the grid (traffic, nodes)."""
    nodes = {
        nid: (
            app,
            Context(
                run_id=run_id,
                node_id=nid,
                node_config=dict((node_configs or {}).get(nid, {})),
                state=RecordDict(),
                run_config={},
            ),
        )
        for nid, app in client_apps.items()
    }
    grid = LocalGrid(nodes, run_id=run_id, dropout=dropout)
    TaskIdentity.task_id = 1
    TaskIdentity.run_id = run_id
    TaskIdentity.node_id = SUPERLINK_NODE_ID
    server_context = Context(
        run_id=run_id, node_id=SUPERLINK_NODE_ID, node_config={}, state=RecordDict(), run_config={}
    )
    server_app(grid, server_context)
    return grid
