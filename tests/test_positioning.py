"""The laptop's own position (app/positioning.py): an NMEA log as a USB/Bluetooth receiver
writes it, read here and replayed through QtPositioning's NMEA source in simulation mode."""

from functools import reduce

import pytest

from app import evidence, positioning


def sentence(body: str) -> str:
    total = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"${body}*{total:02X}"


# Palangka Raya, 2 12.816' S 113 54.648' E, HDOP 1.2, then a second fix further on.
LOG = [
    sentence("GPRMC,091542,A,0212.816,S,11354.648,E,0.0,0.0,301126,,,A"),
    sentence("GPGGA,091542,0212.816,S,11354.648,E,1,08,1.2,28.0,M,45.0,M,,"),
    sentence("GPRMC,091543,A,0212.820,S,11354.650,E,0.0,0.0,301126,,,A"),
    sentence("GPGGA,091543,0212.820,S,11354.650,E,1,09,0.9,28.0,M,45.0,M,,"),
]


def test_nmea_log_gives_the_last_fix_with_accuracy_and_time():
    position = positioning.parse_nmea(LOG)
    assert position is not None and position.source == evidence.DEVICE
    assert position.lat == pytest.approx(-(2 + 12.820 / 60))
    assert position.lon == pytest.approx(113 + 54.650 / 60)
    assert position.accuracy_m == pytest.approx(0.9 * positioning.UERE_M)
    assert position.at == "2026-11-30T09:15:43+00:00"
    assert evidence.km_outside(position.lat, position.lon, "62.71.01.1001") is None


def test_nmea_without_a_fix_or_with_bad_checksums_gives_nothing():
    no_fix = sentence("GPGGA,091542,,,,,0,00,99.9,,M,,M,,")
    damaged = LOG[1].replace("0212", "0312")  # checksum no longer matches
    assert positioning.parse_nmea([no_fix, damaged, "garbage", ""]) is None


def test_nmea_log_replayed_through_qtpositioning(qtbot, tmp_path):
    pytest.importorskip("PySide6.QtPositioning", reason="QtPositioning is in PySide6-Addons")
    log = tmp_path / "receiver.nmea"
    log.write_text("\r\n".join(LOG) + "\r\n")
    source = positioning.qt_source(nmea_file=str(log))
    assert source is not None
    got = []
    source.positionUpdated.connect(lambda info: got.append(positioning.from_qt(info)))
    source.startUpdates()
    qtbot.waitUntil(lambda: len(got) >= 1, timeout=10000)
    source.stopUpdates()
    first = got[0]
    assert first.source == evidence.DEVICE
    assert first.lat == pytest.approx(-(2 + 12.816 / 60), abs=1e-6)
    assert first.lon == pytest.approx(113 + 54.648 / 60, abs=1e-6)
    assert first.accuracy_m == pytest.approx(1.2 * positioning.UERE_M)
