"""The Flower apps end to end in one process: FedAvg, screening, SecAgg+ with a dropout, DP."""

from __future__ import annotations

import numpy as np
import pytest
from flwr.app import Context, Message

from bedside.federated.accountant import PrivacyBudgetExceededError
from bedside.federated.client_app import PERSONAL_RECORD, make_client_app, personal_head_of
from bedside.federated.device_data import DeviceData
from bedside.federated.local_grid import run_local
from bedside.federated.logistic import initial_parameters
from bedside.federated.server_app import SecAggSettings, make_server_app
from bedside.federated.simulation import (
    FIRST_NODE_ID,
    RunSpec,
    drop_at_stage,
    pooled_auroc,
    simulate,
)
from bedside.federated.strategy import BedsideStrategy, ServerStep

from .conftest import W_TRUE, D, make_clients


def test_fedavg_learns_and_reports_rounds() -> None:
    clients = make_clients(8)
    run = simulate(clients, RunSpec(rounds=3))
    assert [r.round for r in run.records] == [1, 2, 3]
    assert all(r.results == 8 and not r.rejected for r in run.records)
    assert pooled_auroc(run.parameters, clients) > 0.75
    assert np.corrcoef(run.parameters, W_TRUE)[0, 1] > 0.9
    up, up_max = run.upload_bytes(1)
    assert 0 < up <= up_max < 2_000  # one float64 vector of 5 plus metadata


def _strategy_run(clients: list[DeviceData], bad: dict[int, np.ndarray], aggregator: str):
    """One plain round where some devices send forged parameters instead of training."""
    holder: list[BedsideStrategy] = []

    def strategy_of(_: Context) -> BedsideStrategy:
        s = BedsideStrategy(
            initial_parameters(D),
            aggregator=aggregator,
            total_clients=len(clients),  # type: ignore[arg-type]
            max_update_norm=10.0,
        )
        holder.append(s)
        return s

    honest = make_client_app(lambda ctx: clients[ctx.node_id - FIRST_NODE_ID])
    apps = {}
    for i in range(len(clients)):
        if i in bad:
            vec = bad[i]

            def forged(msg: Message, ctx: Context, vec: np.ndarray = vec) -> Message:
                reply = honest(msg, ctx)
                arrays = reply.content.array_records
                (key,) = list(arrays)
                from flwr.app import Array, ArrayRecord

                arrays[key] = ArrayRecord({"0": Array(vec)})
                return reply

            apps[FIRST_NODE_ID + i] = forged
        else:
            apps[FIRST_NODE_ID + i] = honest
    run_local(make_server_app(strategy_of, num_rounds=1), apps)  # type: ignore[arg-type]
    return holder[0]


def test_server_rejects_nan_inf_and_absurd_updates() -> None:
    clients = make_clients(6)
    bad = {
        0: np.array([np.nan, 0, 0, 0, 0.0]),
        1: np.array([np.inf, 0, 0, 0, 0.0]),
        2: np.full(5, 1e6),
    }
    s = _strategy_run(clients, bad, "mean")
    (record,) = s.records
    assert len(record.rejected) == 3
    assert any("non-finite" in r for r in record.rejected)
    assert any("update norm" in r for r in record.rejected)
    assert np.all(np.isfinite(s.current))
    assert np.linalg.norm(s.current) < 10


def test_one_attacker_within_norm_cannot_drag_the_median_out_of_the_honest_box() -> None:
    clients = make_clients(7)
    honest = _strategy_run(clients, {}, "median")
    attacked = _strategy_run(clients, {6: np.full(5, 2.0)}, "median")
    # The attacker's vector passes the norm check (|[2]*5| = 4.5 < 10) and still moves each
    # coordinate only within the honest updates' range (module bound), here far less than 4.5.
    assert np.linalg.norm(attacked.current - honest.current) < 1.0


def test_secagg_with_a_dropout_gives_the_plain_weighted_mean() -> None:
    clients = make_clients(7)
    dropped = FIRST_NODE_ID + 2
    policy = drop_at_stage({dropped}, "collect_masked_vectors", {"1"})
    # Plain FedAvg server (no server step), so the aggregate itself is compared.
    secure = simulate(
        clients,
        RunSpec(
            rounds=1,
            secagg=SecAggSettings(num_shares=5, reconstruction_threshold=3),
            server=ServerStep(),
        ),
        dropout=policy,
    )
    assert secure.records[0].results == 6  # the round completed without the dropped device
    survivors = [c for i, c in enumerate(clients) if i != 2]
    plain = simulate(survivors, RunSpec(rounds=1, server=ServerStep()))
    # Same aggregate up to SecAgg+'s quantisation (2**22 levels over [-8, 8]).
    assert np.allclose(secure.parameters, plain.parameters, atol=1e-4)
    up, _ = secure.upload_bytes(1)
    assert up > plain.upload_bytes(1)[0]  # keys, shares and masked vector cost bytes


def test_server_step_scales_the_aggregate_change_also_under_secagg() -> None:
    clients = make_clients(6)
    secagg = SecAggSettings(num_shares=5, reconstruction_threshold=3)
    plain = simulate(clients, RunSpec(rounds=1, server=ServerStep()))
    for spec_secagg in (None, secagg):
        stepped = simulate(
            clients, RunSpec(rounds=1, secagg=spec_secagg, server=ServerStep(learning_rate=4.0))
        )
        # From zero: the server's step is 4 times the aggregate's change (the server needs
        # only the aggregate, which is all SecAgg+ gives it; quantisation error times 4).
        assert np.allclose(stepped.parameters, 4.0 * plain.parameters, atol=1e-3)
    # Momentum: the second round's step adds beta times the first round's change.
    two = simulate(clients, RunSpec(rounds=2, server=ServerStep(momentum=0.5)))
    plain2 = simulate(clients, RunSpec(rounds=2, server=ServerStep()))
    assert not np.allclose(two.parameters, plain2.parameters, atol=1e-6)
    assert np.isclose(
        two.records[1].update_norm,
        np.linalg.norm(two.parameters - plain.parameters),
    )


@pytest.mark.parametrize("stage", ["setup", "share_keys"])
def test_secagg_survives_a_device_that_never_shares_its_keys(stage: str) -> None:
    # flwr 1.42's SecAggPlusWorkflow asks the survivors for shares of every sampled node, even
    # one that never answered the setup, and halts the round; server_app prunes such nodes.
    clients = make_clients(5)
    dropped = FIRST_NODE_ID + 1
    secure = simulate(
        clients,
        RunSpec(
            rounds=1,
            secagg=SecAggSettings(num_shares=3, reconstruction_threshold=2),
            server=ServerStep(),
        ),
        dropout=drop_at_stage({dropped}, stage, {"1"}),
    )
    assert secure.records[0].results == 4
    survivors = [c for i, c in enumerate(clients) if i != 1]
    plain = simulate(survivors, RunSpec(rounds=1, server=ServerStep()))
    assert np.allclose(secure.parameters, plain.parameters, atol=1e-4)


def test_secagg_refuses_robust_aggregators() -> None:
    from bedside.domain import ConfigurationError

    with pytest.raises(ConfigurationError, match="sees only the sum"):
        BedsideStrategy(initial_parameters(D), aggregator="median", secure=True, total_clients=5)


def test_dp_run_reports_epsilon_each_round_and_refuses_an_overrun() -> None:
    clients = make_clients(6)
    run = simulate(clients, RunSpec(rounds=2, epsilon=8.0, clipping_norm=0.5))
    eps = [r.epsilon for r in run.records]
    assert eps[0] is not None
    assert eps[1] is not None
    assert 0 < eps[0] < eps[1] <= 8.0

    def strategy_of(_: Context) -> BedsideStrategy:
        from bedside.federated.accountant import PrivacyBudget
        from bedside.federated.strategy import DpSettings

        return BedsideStrategy(
            initial_parameters(D),
            total_clients=6,
            dp=DpSettings(0.5, 1.0, PrivacyBudget(1.0)),
        )

    app = make_client_app(lambda ctx: clients[ctx.node_id - FIRST_NODE_ID], dp=True)
    with pytest.raises(PrivacyBudgetExceededError, match="refusing to run"):
        run_local(
            make_server_app(strategy_of, num_rounds=5),
            {FIRST_NODE_ID + i: app for i in range(6)},
        )


def test_personal_head_stays_in_device_state_and_never_in_replies() -> None:
    clients = make_clients(3)
    sent: list[Message] = []
    base = make_client_app(lambda ctx: clients[ctx.node_id - FIRST_NODE_ID])

    def spy(msg: Message, ctx: Context) -> Message:
        reply = base(msg, ctx)
        sent.append(reply)
        return reply

    holder: list[BedsideStrategy] = []

    def strategy_of(_: Context) -> BedsideStrategy:
        holder.append(BedsideStrategy(initial_parameters(D), total_clients=3))
        return holder[0]

    grid = run_local(
        make_server_app(strategy_of, num_rounds=2),
        {FIRST_NODE_ID + i: spy for i in range(3)},  # type: ignore[misc]
    )
    for _, ctx in grid.nodes.values():
        head = personal_head_of(ctx)
        assert head is not None
        assert head.n_days == 30
    for reply in sent:
        assert PERSONAL_RECORD not in reply.content.config_records
        (arrays,) = reply.content.array_records.values()
        assert [a.numpy().size for a in arrays.values()] == [D + 1]
