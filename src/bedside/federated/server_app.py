"""The clinic's Flower ServerApp: the legacy workflow with plain or SecAgg+ fit rounds.

Flower 1.4x runs SecAgg+ through the legacy workflow API: a ``LegacyContext`` holding the
strategy (`bedside.federated.strategy.BedsideStrategy`) and the number of rounds, run by
``DefaultWorkflow`` whose fit workflow is ``SecAggPlusWorkflow`` (secure) or Flower's default.

SecAgg+ (Bell et al. 2020, "Secure single-server aggregation with (poly)logarithmic overhead",
CCS) masks each client's quantised vector with pairwise masks shared with `num_shares` neighbours
and a private mask, Shamir-shared with threshold `reconstruction_threshold`; the server learns
only the sum of the surviving clients' vectors and can remove the masks of clients that drop out
after sharing keys as long as `reconstruction_threshold` of each one's neighbours answer. Threat
model: an honest-but-curious server (it follows the protocol but tries to learn individual
updates) and fewer than `reconstruction_threshold` colluding neighbours; it gives no protection
against a server that deviates from the protocol (e.g. forges dropouts to unmask a client) or
against clients sending bad updates, which the server cannot see (only the aggregate is checked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flwr.app import Context
from flwr.server import LegacyContext, ServerConfig
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
from flwr.server.workflow.secure_aggregation.secaggplus_workflow import WorkflowState
from flwr.serverapp import Grid, ServerApp

from bedside.domain import ConfigurationError
from bedside.federated.strategy import BedsideStrategy

__all__ = ["DropoutTolerantSecAggPlusWorkflow", "SecAggSettings", "make_server_app", "run_rounds"]


@dataclass(frozen=True)
class SecAggSettings:
    """SecAgg+ parameters (see the module docstring).

    Attributes
    ----------
    num_shares : int
        Neighbours each client shares its secrets with, itself included; odd, >= 3.
    reconstruction_threshold : int
        Shares needed to rebuild a secret; below `num_shares`.
    max_weight : float
        Largest client weight (labelled days) the quantisation expects.
    clipping_range : float
        Parameters are clipped to +/- this before quantisation (parameter units).
    timeout : float or None
        Seconds the server waits for each stage's replies (None: for all of them).
    """

    num_shares: int = 5
    reconstruction_threshold: int = 3
    max_weight: float = 1000.0
    clipping_range: float = 8.0
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.num_shares < 3 or self.num_shares % 2 == 0:
            raise ConfigurationError(f"num_shares must be odd and >= 3, got {self.num_shares}")
        if not 1 < self.reconstruction_threshold < self.num_shares:
            raise ConfigurationError(
                f"reconstruction_threshold must be in (1, num_shares), got "
                f"{self.reconstruction_threshold}"
            )


class DropoutTolerantSecAggPlusWorkflow(SecAggPlusWorkflow):
    """Flower's SecAgg+ workflow, also surviving nodes that drop before they shared their keys.

    flwr 1.42's workflow keeps every sampled node in ``sampled_node_ids`` and in the unmask stage
    asks the survivors for shares of each one that is no longer active, including a node that
    never answered the setup or key-sharing stage, of which nobody holds shares; the round then
    halts ("Not enough shares to recover secret"). Found in deployment: a SuperNode killed in
    round 1 still counts as connected for up to 60 s (two missed 30 s heartbeats), is sampled in
    round 2, and never answers. No survivor masks its vector with such a node (pairwise masks are
    derived only with nodes whose encrypted shares it received), so after each of these two
    stages the nodes that did not answer are forgotten and the neighbourhoods shrunk to the nodes
    that did; the threshold check is redone on what is left. Nodes that drop later (after
    sharing) are unmasked from their neighbours' shares as before.
    """

    def _forget_silent(self, state: WorkflowState) -> bool:
        answered = set(state.active_node_ids)
        if len(answered) < 2:
            return False
        state.sampled_node_ids = answered
        state.nid_to_neighbours = {
            nid: neighbours & answered
            for nid, neighbours in state.nid_to_neighbours.items()
            if nid in answered
        }
        return self._check_threshold(state)

    def setup_stage(self, grid: Grid, context: LegacyContext, state: WorkflowState) -> bool:
        """Flower's setup stage, then forget the nodes that sent no public keys."""
        super().setup_stage(grid, context, state)
        return self._forget_silent(state)

    def share_keys_stage(self, grid: Grid, context: LegacyContext, state: WorkflowState) -> bool:
        """Flower's key-sharing stage, then forget the nodes that sent no shares."""
        super().share_keys_stage(grid, context, state)
        return self._forget_silent(state)


def make_server_app(
    strategy_of: Callable[[Context], BedsideStrategy],
    *,
    num_rounds: int,
    secagg: SecAggSettings | None = None,
) -> ServerApp:
    """A ServerApp running `num_rounds` rounds of the strategy, with SecAgg+ when given.

    The strategy's privacy budget is checked for all rounds before the first one: a run that
    would exceed it is refused (`PrivacyBudgetExceededError`).
    """
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        run_rounds(grid, context, strategy_of(context), num_rounds=num_rounds, secagg=secagg)

    return app


def run_rounds(
    grid: Grid,
    context: Context,
    strategy: BedsideStrategy,
    *,
    num_rounds: int,
    secagg: SecAggSettings | None = None,
) -> None:
    """Run `num_rounds` rounds of `strategy` on `grid`, through SecAgg+ when `secagg` is given.

    The body of the ServerApp's main function (`make_server_app`), for ServerApps that read
    their settings from the run config (`bedside.federated.deployment.app`).
    """
    strategy.check_budget(num_rounds)
    legacy = LegacyContext(
        context=context, config=ServerConfig(num_rounds=num_rounds), strategy=strategy
    )
    if secagg is None:
        workflow = DefaultWorkflow()
    else:
        workflow = DefaultWorkflow(
            fit_workflow=DropoutTolerantSecAggPlusWorkflow(
                num_shares=secagg.num_shares,
                reconstruction_threshold=secagg.reconstruction_threshold,
                max_weight=secagg.max_weight,
                clipping_range=secagg.clipping_range,
                timeout=secagg.timeout,
            )
        )
    workflow(grid, legacy)
