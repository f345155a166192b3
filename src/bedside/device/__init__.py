"""The on-device agent: the daily pipeline, encrypted local store, sealed outbox, accounting."""

from bedside.device.agent import DeviceAgent
from bedside.device.outbox import DeliveryReport, HttpTransport, Outbox, Transport, TransportReply
from bedside.device.pipeline import DevicePipeline, DeviceRun
from bedside.device.resources import ResourceMeter, ResourceUsage
from bedside.device.vault import LocalVault

__all__ = [
    "DeliveryReport",
    "DeviceAgent",
    "DevicePipeline",
    "DeviceRun",
    "HttpTransport",
    "LocalVault",
    "Outbox",
    "ResourceMeter",
    "ResourceUsage",
    "Transport",
    "TransportReply",
]
