"""Benchmark: streamed Apple Health import vs a naive full parse, in the same run.

Generates a synthetic ``export.xml`` of about ``--size-mb`` MB (default 1024) with the record
mix of a real multi-year export (minute heart rate with a metadata child, 10-min step counts
from two devices, HRV SDNN, CGM glucose every 5 min, sleep stages, workouts; daylight-saving
offsets per record), then in separate processes:

* ``read_apple_health`` on the whole file: wall time, records/s and peak resident memory;
* the naive baseline, ``xml.etree.ElementTree.parse`` of the whole tree followed by the same
  attribute extraction, on a smaller file of ``--naive-mb`` MB (default 100): its peak memory
  is extrapolated linearly to the big file (the tree grows with the file), and labelled so.

Prints the figures, their ratios and whether the streamed peak stays under the 300 MB floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
FLOOR_MB = 300.0
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2025-01-01 10:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-01-01"
  HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
"""
_WATCH = (
    'sourceName="Apple Watch" sourceVersion="10.1" device="&lt;&lt;HKDevice: 0x283f5e3f0&gt;, '
    "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, "
    'software:10.1&gt;"'
)
_PHONE = (
    'sourceName="iPhone" sourceVersion="17.1" device="&lt;&lt;HKDevice: 0x283f5e8a0&gt;, '
    "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,2, "
    'software:17.1&gt;"'
)


def _stamp(day: str, minute: int, offset: str) -> str:
    return f"{day} {minute // 60:02d}:{minute % 60:02d}:00 {offset}"


def generate(path: Path, size_mb: float) -> int:
    """Write a synthetic export of about `size_mb` MB; returns the number of records."""
    target = size_mb * 1024 * 1024
    tz = ZoneInfo("Europe/Oslo")
    day = dt.date(2021, 1, 1)
    n = 0
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(_HEAD)
        while written < target:
            noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz)
            off = noon.strftime("%z")
            d = day.isoformat()
            parts: list[str] = []
            for m in range(0, 1440):
                t = _stamp(d, m, off)
                bpm = 55 + (m * 7919) % 40
                parts.append(
                    f' <Record type="HKQuantityTypeIdentifierHeartRate" {_WATCH} '
                    f'unit="count/min" creationDate="{t}" startDate="{t}" endDate="{t}" '
                    f'value="{bpm}">\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" '
                    'value="0"/>\n </Record>\n'
                )
                if m % 5 == 0:
                    parts.append(
                        ' <Record type="HKQuantityTypeIdentifierBloodGlucose" '
                        'sourceName="Dexcom G7" '
                        f'sourceVersion="3.1" unit="mg/dL" creationDate="{t}" startDate="{t}" '
                        f'endDate="{t}" value="{90 + (m * 31) % 80}"/>\n'
                    )
                if m % 10 == 0 and 420 <= m < 1380:
                    e = _stamp(d, m + 9, off)
                    for src, k in ((_WATCH, 3), (_PHONE, 5)):
                        parts.append(
                            f' <Record type="HKQuantityTypeIdentifierStepCount" {src} unit="count" '
                            f'creationDate="{e}" startDate="{t}" endDate="{e}" '
                            f'value="{(m * k) % 900}"/>\n'
                        )
                if m % 120 == 0:
                    parts.append(
                        ' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" '
                        f"{_WATCH} "
                        f'unit="ms" creationDate="{t}" startDate="{t}" endDate="{t}" '
                        f'value="{30 + m % 40}.5"/>\n'
                    )
            for a, b, stage in (
                (0, 90, "AsleepCore"),
                (90, 150, "AsleepDeep"),
                (150, 400, "AsleepREM"),
            ):
                parts.append(
                    f' <Record type="HKCategoryTypeIdentifierSleepAnalysis" {_WATCH} '
                    f'creationDate="{_stamp(d, 410, off)}" startDate="{_stamp(d, a, off)}" '
                    f'endDate="{_stamp(d, b, off)}" value="HKCategoryValueSleepAnalysis{stage}"/>\n'
                )
            parts.append(
                f' <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="30" '
                f'durationUnit="min" {_WATCH} startDate="{_stamp(d, 1080, off)}" '
                f'endDate="{_stamp(d, 1110, off)}"/>\n'
            )
            chunk = "".join(parts)
            out.write(chunk)
            written += len(chunk)
            n += len(parts)
            day += dt.timedelta(days=1)
        out.write("</HealthData>\n")
    return n


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(mode: str, path: Path) -> None:
    """Run one measurement in this process and print JSON."""
    if mode == "stream":
        from bedside.sensors import read_apple_health

        before = _peak_mb()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        got = read_apple_health(path, zone="Europe/Oslo")
        seconds = time.perf_counter() - t0
        records = got.report.records_read
    else:
        import xml.etree.ElementTree as ET

        before = _peak_mb()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        root = ET.parse(path).getroot()
        rows = [
            (e.get("type"), e.get("startDate"), e.get("endDate"), e.get("value"), e.get("unit"))
            for e in root
            if e.tag in ("Record", "Workout")
        ]
        seconds = time.perf_counter() - t0
        records = len(rows)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": usage.ru_utime + usage.ru_stime - cpu0,
                "records": records,
                "peak_mb": _peak_mb(),
                "start_mb": before,
            }
        )
    )


def measure(mode: str, path: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=1024.0)
    parser.add_argument("--naive-mb", type=float, default=100.0)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="bedside-bench-") as tmp:
        big, small = Path(tmp) / "export.xml", Path(tmp) / "export_small.xml"
        t0 = time.perf_counter()
        generate(big, args.size_mb)
        generate(small, args.naive_mb)
        big_mb = big.stat().st_size / 2**20
        small_mb = small.stat().st_size / 2**20
        print(
            f"generated {big_mb:.0f} MB and {small_mb:.0f} MB exports "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        ours = measure("stream", big)
        naive = measure("naive", small)
    scale = big_mb / small_mb
    naive_peak_big = naive["start_mb"] + (naive["peak_mb"] - naive["start_mb"]) * scale
    print(
        f"bedside read_apple_health (iterparse, streamed) on {big_mb:.0f} MB: "
        f"{ours['records']:.0f} records in {ours['seconds']:.1f} s = "
        f"{ours['records'] / ours['seconds']:,.0f} records/s wall, "
        f"{ours['records'] / ours['cpu_s']:,.0f} records/CPU-s; peak RSS {ours['peak_mb']:.0f} MB "
        f"(after imports {ours['start_mb']:.0f} MB)"
    )
    print(
        f"naive ElementTree.parse + extraction on {small_mb:.0f} MB: "
        f"{naive['records']:.0f} records in {naive['seconds']:.1f} s = "
        f"{naive['records'] / naive['seconds']:,.0f} records/s wall, "
        f"{naive['records'] / naive['cpu_s']:,.0f} records/CPU-s; "
        f"peak RSS {naive['peak_mb']:.0f} MB; "
        f"extrapolated linearly to {big_mb:.0f} MB: {naive_peak_big:,.0f} MB"
    )
    print(
        f"ratio: CPU throughput bedside/naive "
        f"{ours['records'] / ours['cpu_s'] / (naive['records'] / naive['cpu_s']):.2f}x; "
        f"peak memory naive(extrapolated)/bedside {naive_peak_big / ours['peak_mb']:.1f}x"
    )
    verdict = "PASS" if ours["peak_mb"] < FLOOR_MB else "FAIL"
    print(f"floor: peak memory under {FLOOR_MB:.0f} MB on a {big_mb:.0f} MB export: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
