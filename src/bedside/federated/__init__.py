"""Federated learning of the episode-risk model with Flower (issue #8).

Devices train the #4 logistic episode-risk model on their own labelled days (ClientApp,
`client_app`); the clinic's ServerApp (`server_app`) aggregates with FedAvg, FedProx or a robust
rule (`strategy`, `robust`), optionally through SecAgg+ and with central differential privacy
(`accountant`); each device keeps a personal calibration head (`personal`). `simulation` runs it
all in one process (`local_grid`) over synthetic-cohort clients (`cohort_data`).

Flower is imported only by the modules that need it; this package's root imports nothing.
"""

__all__: list[str] = []
