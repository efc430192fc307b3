"""The laptop's own position (docs/evidence.md): the system's location service or a USB or
Bluetooth GPS receiver, through QtPositioning (PySide6-Addons) when it is installed; NMEA
sentences read here otherwise (a receiver's log, or its serial device read as a file).

Each result is an evidence.Position with source DEVICE and an accuracy: QtPositioning's
horizontal accuracy, or for NMEA the fix's HDOP times UERE_M (a receiver's typical range error;
NMEA carries no accuracy in metres)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import reduce

from app.evidence import DEVICE, Position

UERE_M = 5.0  # metres of range error per unit of HDOP: a consumer receiver in the open


def qt_available() -> bool:
    try:
        import PySide6.QtPositioning  # noqa: F401 - in PySide6-Addons, not in Essentials
    except ImportError:
        return False
    return True


def _checksum_ok(sentence: str) -> bool:
    body, _, given = sentence.partition("*")
    if not given:
        return False
    total = reduce(lambda acc, ch: acc ^ ord(ch), body.lstrip("$"), 0)
    try:
        return total == int(given[:2], 16)
    except ValueError:
        return False


def _angle(value: str, hemisphere: str, degree_digits: int) -> float | None:
    try:
        degrees = int(value[:degree_digits]) + float(value[degree_digits:]) / 60
    except ValueError:
        return None
    return -degrees if hemisphere in ("S", "W") else degrees


def parse_nmea(lines: Iterable[str]) -> Position | None:
    """The last fix in NMEA 0183 sentences (GGA with its HDOP; RMC for the date), checksums
    checked; None when there is no valid fix."""
    found: Position | None = None
    day: str | None = None
    for raw in lines:
        sentence = raw.strip()
        if not sentence.startswith("$") or not _checksum_ok(sentence):
            continue
        fields = sentence.split("*")[0].split(",")
        kind = fields[0][3:]
        if kind == "RMC" and len(fields) > 9 and fields[2] == "A":
            day = fields[9]
        if kind != "GGA" or len(fields) < 9 or fields[6] in ("", "0"):
            continue
        lat = _angle(fields[2], fields[3], 2)
        lon = _angle(fields[4], fields[5], 3)
        if lat is None or lon is None:
            continue
        try:
            accuracy: float | None = round(float(fields[8]) * UERE_M, 1)
        except ValueError:
            accuracy = None
        found = Position(lat, lon, accuracy, DEVICE, _when(day, fields[1]))
    return found


def _when(day: str | None, time: str) -> str | None:
    if not day or len(day) != 6 or len(time) < 6:
        return None
    try:
        moment = datetime.strptime(day + time[:6], "%d%m%y%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment.isoformat()


def from_qt(info) -> Position | None:
    """A QGeoPositionInfo as a Position (None when it is not valid)."""
    from PySide6.QtPositioning import QGeoPositionInfo

    if not info.isValid():
        return None
    point = info.coordinate()
    accuracy = None
    if info.hasAttribute(QGeoPositionInfo.Attribute.HorizontalAccuracy):
        accuracy = round(info.attribute(QGeoPositionInfo.Attribute.HorizontalAccuracy), 1)
    stamp = info.timestamp()
    when = stamp.toUTC().toString("yyyy-MM-ddTHH:mm:ssZ") if stamp.isValid() else None
    return Position(point.latitude(), point.longitude(), accuracy, DEVICE, when)


def qt_source(parent=None, nmea_file: str | None = None):
    """The system's position source, or (`nmea_file`) a QNmeaPositionInfoSource replaying a
    receiver's log in simulation mode; None when there is none. Connect positionUpdated and
    errorOccurred, then requestUpdate(timeout_ms): Qt answers on the GUI thread, never blocking."""
    from PySide6.QtCore import QFile, QIODevice
    from PySide6.QtPositioning import QGeoPositionInfoSource, QNmeaPositionInfoSource

    if nmea_file is None:
        return QGeoPositionInfoSource.createDefaultSource(parent)
    source = QNmeaPositionInfoSource(QNmeaPositionInfoSource.UpdateMode.SimulationMode, parent)
    device = QFile(nmea_file, source)
    if not device.open(QIODevice.OpenModeFlag.ReadOnly):
        return None
    source.setDevice(device)
    # Qt reports 2 x HDOP x UERE (a 95% radius, measured with PySide6-Addons 6.12); half the
    # UERE gives HDOP x UERE_M, the same figure parse_nmea gives for the same sentence.
    source.setUserEquivalentRangeError(UERE_M / 2)
    return source
