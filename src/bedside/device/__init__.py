"""The on-device agent: the daily pipeline, encrypted local store, sealed outbox, accounting,
sensor-triggered PHQ-9 prompts."""

from bedside.device.agent import DeviceAgent
from bedside.device.outbox import DeliveryReport, HttpTransport, Outbox, Transport, TransportReply
from bedside.device.phq9_prompt import Phq9Prompt, Phq9Prompter, Phq9PromptPolicy, plan_phq9_prompts
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
    "Phq9Prompt",
    "Phq9PromptPolicy",
    "Phq9Prompter",
    "ResourceMeter",
    "ResourceUsage",
    "Transport",
    "TransportReply",
    "plan_phq9_prompts",
]
