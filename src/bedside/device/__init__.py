"""The on-device agent: the daily pipeline from raw samples to findings."""

from bedside.device.pipeline import DevicePipeline, DeviceRun

__all__ = ["DevicePipeline", "DeviceRun"]
