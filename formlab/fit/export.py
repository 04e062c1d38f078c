"""Write a FIT activity file of formlab's running dynamics, with ``fit-tool`` (BSD-3-Clause).

The file: file_id, device_info (product name ``formlab VERSION``), developer_data_id, one
field_description per developer field, a timer start event, one record per second
(:func:`formlab.fit.records.per_second`), a timer stop event, one lap per treadmill speed stage,
the session and the activity. Native FIT running-dynamics fields carry what the FIT profile has a
field for (cadence in strides/min plus fractional part, stance time, stance time percent and
balance, vertical oscillation, vertical ratio, step length, speed, distance); developer fields
(float32, base type 0x88) carry the rest: pelvic tilt, drop per side, rotation range, braking,
impact per side and impact asymmetry. Field list, scales and units: ``docs/fit.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from formlab import __version__
from formlab.fit.records import FitSource, laps, per_second, span_values

APPLICATION_ID = bytes.fromhex("f0a1b2c3d4e5f6071829304a5b6c7d8e")  # formlab's developer application id
RECORD_MESG, LAP_MESG, SESSION_MESG = 20, 19, 18


@dataclass(frozen=True)
class DevField:
    """One developer field: formlab value column, FIT field name, units."""

    column: str
    name: str
    units: str


DEV_FIELDS = [
    DevField("pelvic_tilt_deg", "pelvic_tilt", "deg"),
    DevField("pelvic_drop_left_deg", "pelvic_drop_left", "deg"),
    DevField("pelvic_drop_right_deg", "pelvic_drop_right", "deg"),
    DevField("pelvic_rotation_range_deg", "pelvic_rotation_range", "deg"),
    DevField("braking_mps", "braking", "m/s"),
    DevField("impact_left_g", "impact_left", "g"),
    DevField("impact_right_g", "impact_right", "g"),
    DevField("impact_asymmetry_pct", "impact_asymmetry", "%"),
]
# field numbers: record fields 0-7, lap fields 16-23 (name prefix lap_), session fields 32-39 (avg_)
DEV_BLOCKS = {RECORD_MESG: (0, ""), LAP_MESG: (16, "lap_"), SESSION_MESG: (32, "avg_")}


def _ms(source: FitSource, t_s: float) -> int:
    """fit-tool timestamps: milliseconds since the Unix epoch (FIT stores whole seconds)."""
    return int(round(source.start_utc.timestamp() + t_s)) * 1000


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _cadence(spm: float) -> tuple[int, float]:
    """Steps/min → FIT strides/min as whole strides + fractional part (scale 1/128)."""
    strides = round(spm / 2.0 * 128.0) / 128.0
    whole = int(strides)
    return whole, strides - whole


def _dev_fields(mesg_num: int, vals) -> list:
    from fit_tool.base_type import BaseType
    from fit_tool.developer_field import DeveloperField

    first, _ = DEV_BLOCKS[mesg_num]
    out = []
    for k, f in enumerate(DEV_FIELDS):
        value = vals.get(f.column)
        if not _present(value):
            continue
        dev = DeveloperField(field_id=first + k, name=f.name, base_type=BaseType.FLOAT32, units=f.units,
                             size=4, developer_data_index=0)
        dev.set_value(0, float(value))
        out.append(dev)
    return out


def _header_messages(source: FitSource) -> list:
    from fit_tool.base_type import BaseType
    from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
    from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer

    start = _ms(source, 0.0)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = int.from_bytes(APPLICATION_ID[:4], "little")
    file_id.time_created = start
    device = DeviceInfoMessage()
    device.timestamp = start
    device.device_index = 0  # the creator
    device.manufacturer = Manufacturer.DEVELOPMENT.value
    device.product = 0
    device.product_name = f"formlab {__version__}"
    device.software_version = float(".".join(__version__.split(".")[:2]))
    dev_id = DeveloperDataIdMessage()
    dev_id.application_id = APPLICATION_ID
    dev_id.developer_data_index = 0
    dev_id.application_version = int("".join(f"{int(p):02d}" for p in __version__.split(".")[:3]))
    out = [file_id, device, dev_id]
    for mesg_num, (first, prefix) in DEV_BLOCKS.items():
        for k, f in enumerate(DEV_FIELDS):
            desc = FieldDescriptionMessage()
            desc.developer_data_index = 0
            desc.field_definition_number = first + k
            desc.fit_base_type_id = BaseType.FLOAT32.value  # 0x88: float32 with the endian-ability bit
            desc.field_name = prefix + f.name
            desc.units = f.units
            desc.native_mesg_num = mesg_num
            out.append(desc)
    timer = EventMessage()
    timer.timestamp = start
    timer.event = Event.TIMER
    timer.event_type = EventType.START
    out.append(timer)
    return out


def _set_dynamics(msg, vals, prefix: str = "") -> None:
    """Native running-dynamics fields of a record (``prefix=""``) or lap/session (``"avg_"``)."""
    def put(name, value, scale=1.0):
        if _present(value):
            setattr(msg, prefix + name, value * scale)

    if _present(vals.get("cadence_spm")):
        whole, frac = _cadence(vals["cadence_spm"])
        setattr(msg, "avg_running_cadence" if prefix else "cadence", whole)
        setattr(msg, prefix + "fractional_cadence", frac)
    put("stance_time", vals.get("contact_ms"))
    put("stance_time_percent", vals.get("stance_time_pct"))
    put("stance_time_balance", vals.get("ground_contact_balance_left_pct"))
    put("vertical_oscillation", vals.get("vertical_oscillation_cm"), 10.0)  # FIT: mm
    put("vertical_ratio", vals.get("vertical_ratio_pct"))
    put("step_length", vals.get("step_length_m"), 1000.0)  # FIT: mm


def _records(source: FitSource, table: pd.DataFrame) -> list:
    from fit_tool.profile.messages.record_message import RecordMessage

    out = []
    for row in table.to_dict("records"):
        msg = RecordMessage(developer_fields=_dev_fields(RECORD_MESG, row))
        msg.timestamp = _ms(source, row["t_s"])
        if _present(row["speed_mps"]):
            msg.speed = row["speed_mps"]
            msg.enhanced_speed = row["speed_mps"]
            msg.distance = row["distance_m"]
        _set_dynamics(msg, row)
        out.append(msg)
    return out


def _summary_message(msg, source: FitSource, table: pd.DataFrame, start_s: float, end_s: float, mesg_num: int,
                     vals: dict) -> None:
    """Fill the fields a lap and a session share, over ``[start_s, end_s)``, with ``vals``."""
    from fit_tool.profile.profile_type import Event, EventType, Sport, SubSport

    msg.timestamp = _ms(source, end_s)
    msg.start_time = _ms(source, start_s)
    msg.total_elapsed_time = end_s - start_s
    msg.total_timer_time = end_s - start_s
    msg.event = Event.SESSION if mesg_num == SESSION_MESG else Event.LAP
    msg.event_type = EventType.STOP
    msg.sport = Sport.RUNNING
    msg.sub_sport = SubSport.TREADMILL if source.stages else SubSport.GENERIC
    inside = table[(table["t_s"] > start_s) & (table["t_s"] <= end_s)]
    if source.stages:
        distance = float(inside["speed_mps"].sum())
        msg.total_distance = distance
        msg.avg_speed = distance / (end_s - start_s)
        msg.enhanced_avg_speed = distance / (end_s - start_s)
    _set_dynamics(msg, vals, "avg_")


def _lap_values(source: FitSource, spans: list[tuple[float, float]], index: int) -> dict:
    """A lap's values: its steps; the first lap takes any step before 0 s, the last any after the
    last whole second, so the laps' steps are exactly the session's."""
    a, b = spans[index]
    return span_values(source, -math.inf if index == 0 else a, math.inf if index == len(spans) - 1 else b)


def fit_messages(source: FitSource) -> list:
    """The activity's messages in file order (see the module docstring)."""
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import Activity, Event, EventType, LapTrigger, SessionTrigger

    table = per_second(source)
    end_s = float(table["t_s"].iloc[-1])
    out = _header_messages(source) + _records(source, table)
    stop = EventMessage()
    stop.timestamp = _ms(source, end_s)
    stop.event = Event.TIMER
    stop.event_type = EventType.STOP_ALL
    out.append(stop)
    spans = [(a, min(b, end_s)) for a, b in laps(source) if a < end_s]
    for index, (a, b) in enumerate(spans):
        vals = _lap_values(source, spans, index)
        lap = LapMessage(developer_fields=_dev_fields(LAP_MESG, vals))
        lap.message_index = index
        lap.lap_trigger = LapTrigger.SESSION_END if index == len(spans) - 1 else LapTrigger.MANUAL
        _summary_message(lap, source, table, a, b, LAP_MESG, vals)
        out.append(lap)
    vals = span_values(source)
    session = SessionMessage(developer_fields=_dev_fields(SESSION_MESG, vals))
    session.message_index = 0
    session.first_lap_index = 0
    session.num_laps = len(spans)
    session.trigger = SessionTrigger.ACTIVITY_END
    _summary_message(session, source, table, 0.0, end_s, SESSION_MESG, vals)
    out.append(session)
    activity = ActivityMessage()
    activity.timestamp = _ms(source, end_s)
    activity.total_timer_time = end_s
    activity.num_sessions = 1
    activity.type = Activity.MANUAL
    activity.event = Event.ACTIVITY
    activity.event_type = EventType.STOP
    out.append(activity)
    return out


def fit_bytes(source: FitSource) -> bytes:
    """The FIT activity file for ``source``, header and CRC included, checked by fit-tool's strict
    validation (wire limits, profile ranges, activity file rules) before it is returned."""
    from fit_tool.fit_file_builder import FitFileBuilder

    builder = FitFileBuilder(auto_define=True, min_string_size=16, strict=True)
    builder.add_all(fit_messages(source))
    return builder.build().to_bytes()
