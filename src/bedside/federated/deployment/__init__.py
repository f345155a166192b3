"""Deployment of the federated training on Flower's Deployment Engine (SuperLink, SuperNodes).

`credentials` writes the TLS certificate and SuperNode keys, `site_data` reads and writes a
site's training rows (`synthetic_site` makes synthetic ones), `app` is the Flower app
(``deploy/flower-app``) a clinic runs with ``flwr run``. Nothing is imported here: every
ClientApp process imports this package, and its start-up time counts against Flower's 30 s
task-token deadline.
"""

__all__: list[str] = []
