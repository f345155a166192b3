"""Resource accounting of the device agent: CPU seconds, peak memory and bytes sent."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

__all__ = ["ResourceMeter", "ResourceUsage"]


@dataclass(frozen=True)
class ResourceUsage:
    """Usage over a span, and per patient-day.

    Attributes
    ----------
    cpu_s : float
        Process CPU time (user + system), seconds.
    peak_rss_mb : float
        Peak resident set size of the process at the end of the span, MiB.
    peak_rss_growth_mb : float
        Growth of the peak resident set over the span, MiB.
    bytes_sent : int
        Request bytes the outbox sent.
    patient_days : int
    """

    cpu_s: float
    peak_rss_mb: float
    peak_rss_growth_mb: float
    bytes_sent: int
    patient_days: int

    @property
    def cpu_s_per_day(self) -> float:
        """CPU seconds per patient-day."""
        return self.cpu_s / max(1, self.patient_days)

    @property
    def bytes_per_day(self) -> float:
        """Bytes sent per patient-day."""
        return self.bytes_sent / max(1, self.patient_days)


def _peak_rss_mb() -> float:
    # /proc's VmHWM first: ru_maxrss survives execve, so a process started by a large parent
    # reports the parent's peak as its own; ru_maxrss (KiB on Linux) where /proc is missing.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class ResourceMeter:
    """Start with `start`, count bytes with `add_bytes`, read with `stop`."""

    def __init__(self) -> None:
        self._cpu0 = time.process_time()
        self._rss0 = _peak_rss_mb()
        self._bytes = 0

    def start(self) -> None:
        """Reset the span to now."""
        self._cpu0 = time.process_time()
        self._rss0 = _peak_rss_mb()
        self._bytes = 0

    def add_bytes(self, n: int) -> None:
        """Count bytes sent."""
        self._bytes += n

    def stop(self, patient_days: int) -> ResourceUsage:
        """Usage since `start` over `patient_days` patient-days."""
        rss = _peak_rss_mb()
        return ResourceUsage(
            cpu_s=time.process_time() - self._cpu0,
            peak_rss_mb=rss,
            peak_rss_growth_mb=rss - self._rss0,
            bytes_sent=self._bytes,
            patient_days=patient_days,
        )
