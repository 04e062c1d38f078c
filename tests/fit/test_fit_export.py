"""formlab export: the bundled session's FIT file decoded by two independent decoders (fitdecode and
Garmin's FIT SDK) gives back what formlab computed, at each field's scale, and opens as a run."""

from datetime import timedelta

import fitdecode
import numpy as np
import pandas as pd
import pytest
from fit_session import START
from garmin_fit_sdk import Decoder, Stream

from formlab.fit.export import DEV_FIELDS, fit_bytes
from formlab.fit.records import MIN_STEPS, WINDOW_S, FitSource, per_second, span_values
from formlab.summary import side_medians
from formlab.treadmill import speed_at

# FIT record field -> (formlab column, factor formlab -> FIT unit, FIT resolution)
NATIVE = {
    "stance_time": ("contact_ms", 1.0, 0.1),
    "stance_time_percent": ("stance_time_pct", 1.0, 0.01),
    "stance_time_balance": ("ground_contact_balance_left_pct", 1.0, 0.01),
    "vertical_oscillation": ("vertical_oscillation_cm", 10.0, 0.1),
    "vertical_ratio": ("vertical_ratio_pct", 1.0, 0.01),
    "step_length": ("step_length_m", 1000.0, 0.1),
    "speed": ("speed_mps", 1.0, 0.001),
    "distance": ("distance_m", 1.0, 0.01),
}
CADENCE_RES_SPM = 2.0 / 128.0  # fractional cadence is 1/128 stride/min


def fitdecode_messages(path) -> dict[str, list[dict]]:
    """Data messages by name, fields (developer fields by their names) as decoded values."""
    out: dict[str, list[dict]] = {}
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.RAISE,
                             error_handling=fitdecode.ErrorHandling.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out.setdefault(frame.name, []).append({f.name: f.value for f in frame.fields if f.value is not None})
    return out


def garmin_messages(path) -> dict[str, list[dict]]:
    """The FIT SDK's decode, developer fields renamed from their index to their field name."""
    messages, errors = Decoder(Stream.from_file(str(path))).read()
    assert errors == []
    names = [d["field_name"] for d in messages["field_description_mesgs"]]
    out = {}
    for key, mesgs in messages.items():
        out[key.removesuffix("_mesgs")] = [
            {**{k: v for k, v in m.items() if k != "developer_fields"},
             **{names[i]: v for i, v in m.get("developer_fields", {}).items()}} for m in mesgs]
    return out


DECODERS = {"fitdecode": fitdecode_messages, "garmin-fit-sdk": garmin_messages}


def test_the_file_checks_with_both_decoders(exported):
    decoder = Decoder(Stream.from_file(str(exported.fit)))
    assert decoder.is_fit() and decoder.check_integrity()  # the FIT SDK's own header and CRC checks
    fitdecode_messages(exported.fit)  # raises on a bad CRC or a malformed message
    data = exported.fit.read_bytes()
    assert data[8:12] == b".FIT" and len(data) < 100_000


@pytest.mark.parametrize("decoder", DECODERS)
def test_opens_as_a_run_with_its_start_time_and_duration(exported, decoder):
    m = DECODERS[decoder](exported.fit)
    duration_s = float(np.floor(exported.source.duration_s))  # 610.02 s recorded: records at 0..610 s
    assert duration_s == 610
    (session,), (activity,), (file_id,) = m["session"], m["activity"], m["file_id"]
    assert file_id["type"] == "activity"
    assert session["sport"] == "running" and session["sub_sport"] == "treadmill"
    assert session["start_time"] == START and session["total_elapsed_time"] == duration_s
    assert session["total_timer_time"] == duration_s and activity["num_sessions"] == 1
    records = m["record"]
    assert len(records) == duration_s + 1
    assert records[0]["timestamp"] == START and records[-1]["timestamp"] == START + timedelta(seconds=duration_s)
    assert [r["timestamp"] for r in records] == [START + timedelta(seconds=k) for k in range(len(records))]
    (device,) = [d for d in m["device_info"] if d.get("product_name")]
    from formlab import __version__
    assert device["product_name"] == f"formlab {__version__}"
    assert len(m["developer_data_id"]) == 1 and len(m["field_description"]) == 3 * len(DEV_FIELDS)


@pytest.mark.parametrize("decoder", DECODERS)
def test_every_record_field_decodes_to_the_computed_value(exported, decoder):
    records = DECODERS[decoder](exported.fit)["record"]
    table = exported.table
    assert table["running"].sum() > 590  # 600 s of running
    for rec, row in zip(records, table.to_dict("records")):
        for name, (column, factor, res) in NATIVE.items():
            if np.isnan(row[column]):
                assert name not in rec
            else:
                assert rec[name] == pytest.approx(row[column] * factor, abs=res / 2 + 1e-9), (name, row["t_s"])
        if np.isnan(row["cadence_spm"]):
            assert "cadence" not in rec
        else:
            spm = 2.0 * (rec["cadence"] + rec["fractional_cadence"])
            assert spm == pytest.approx(row["cadence_spm"], abs=CADENCE_RES_SPM / 2 + 1e-9)
        for f in DEV_FIELDS:
            if np.isnan(row[f.column]):
                assert f.name not in rec
            else:  # float32
                assert rec[f.name] == pytest.approx(row[f.column], rel=1e-6), (f.name, row["t_s"])


@pytest.mark.parametrize("decoder", DECODERS)
def test_session_averages_equal_summary_json_at_the_field_scale(exported, decoder):
    (s,) = DECODERS[decoder](exported.fit)["session"]
    m = exported.summary["metrics"]
    # tolerance: half the FIT field's resolution + half SUMMARY.json's rounding step
    checks = [
        (2 * (s["avg_running_cadence"] + s["avg_fractional_cadence"]), m["cadence_spm"], CADENCE_RES_SPM / 2 + 0.05),
        (s["avg_stance_time"], m["ground_contact_ms"]["mean"], 0.05 + 0.05),
        (s["avg_stance_time_balance"], m["ground_contact_balance_left_pct"], 0.005 + 0.005),
        (s["avg_vertical_oscillation"] / 10, m["vertical_oscillation_cm"], 0.005 + 0.005),
        (s["avg_vertical_ratio"], m["vertical_ratio_pct"], 0.005 + 0.005),
        (s["avg_step_length"] / 1000, m["step_length_m"], 0.00005 + 0.0005),
        (s["avg_pelvic_tilt"], m["pelvic_tilt_deg"]["mean"], 0.05),
        (s["avg_pelvic_drop_left"], m["pelvic_drop_deg"]["left"], 0.05),
        (s["avg_pelvic_drop_right"], m["pelvic_drop_deg"]["right"], 0.05),
        (s["avg_pelvic_rotation_range"], m["pelvic_rotation_deg"]["range"], 0.05),
        (s["avg_braking"], m["braking_mps"]["mean"], 0.0005),
        (s["avg_impact_left"], m["impact_g"]["left"], 0.005),
        (s["avg_impact_right"], m["impact_g"]["right"], 0.005),
        (s["avg_impact_asymmetry"], m["impact_asymmetry_pct"], 0.05),
    ]
    for k, (decoded, summary, tol) in enumerate(checks):
        assert summary is not None
        assert decoded == pytest.approx(summary, abs=tol + 1e-6), k


def test_developer_fields_are_float32_with_base_type_0x88(exported):
    with fitdecode.FitReader(exported.fit) as reader:
        raw = [f.get_field("fit_base_type_id").raw_value for f in reader
               if isinstance(f, fitdecode.FitDataMessage) and f.name == "field_description"]
    assert raw == [0x88] * (3 * len(DEV_FIELDS))


def test_per_second_values_are_side_medians_of_the_centred_window(exported):
    steps = exported.source.steps
    valid = steps[steps["valid"]]
    for t_s in (12, 100, 333, 609):
        inside = valid[(valid["t_ic_s"] >= t_s - WINDOW_S / 2) & (valid["t_ic_s"] < t_s + WINDOW_S / 2)]
        assert len(inside) >= MIN_STEPS
        expected = side_medians(inside)
        row = exported.table.set_index("t_s").loc[t_s]
        for column in ("cadence_spm", "ground_contact_balance_left_pct", "vertical_oscillation_cm",
                       "pelvic_drop_right_deg", "impact_asymmetry_pct", "braking_mps"):
            assert row[column] == expected[column]
    standing = exported.table.set_index("t_s").loc[0]
    assert not standing["running"] and np.isnan(standing["cadence_spm"]) and standing["speed_mps"] == 0


def _staged(exported, stages) -> FitSource:
    steps = exported.source.steps.copy()
    steps["speed_mps"] = speed_at(stages, steps["t_ic_s"].to_numpy())
    return FitSource(steps, START, exported.source.duration_s, stages)


def test_one_lap_per_speed_stage_with_its_own_averages(exported, tmp_path):
    stages = [(0.0, 3.0), (200.0, 3.3), (400.0, 3.6)]
    source = _staged(exported, stages)
    path = tmp_path / "staged.fit"
    path.write_bytes(fit_bytes(source))
    m = garmin_messages(path)
    laps, (session,) = m["lap"], m["session"]
    assert [lap["start_time"] for lap in laps] == [START + timedelta(seconds=s) for s, _ in stages]
    assert [lap["total_elapsed_time"] for lap in laps] == [200, 200, 210]
    assert session["num_laps"] == 3
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(session["total_distance"], abs=0.03)
    bounds = [-np.inf, 200.0, 400.0, np.inf]
    for lap, a, b, (_, speed) in zip(laps, bounds[:-1], bounds[1:], stages):
        expected = span_values(source, a, b)
        assert lap["avg_stance_time"] == pytest.approx(expected["contact_ms"], abs=0.05 + 1e-9)
        assert lap["avg_step_length"] == pytest.approx(expected["step_length_m"] * 1000, abs=0.05 + 1e-9)
        assert lap["lap_impact_right"] == pytest.approx(expected["impact_right_g"], rel=1e-6)
        assert expected["step_length_m"] == pytest.approx(speed * 60 / expected["cadence_spm"], rel=0.01)
    records = pd.DataFrame(m["record"])
    assert records["speed"].iloc[250] == pytest.approx(3.3) and records["speed"].iloc[450] == pytest.approx(3.6)


def test_without_treadmill_speed_no_speed_step_length_or_vertical_ratio(exported, tmp_path):
    steps = exported.source.steps.assign(speed_mps=np.nan)
    path = tmp_path / "nospeed.fit"
    path.write_bytes(fit_bytes(FitSource(steps, START, exported.source.duration_s, None)))
    m = fitdecode_messages(path)
    running = [r for r in m["record"] if "stance_time" in r]
    assert len(running) > 590
    for r in m["record"]:
        assert not {"speed", "distance", "step_length", "vertical_ratio"} & set(r)
    (session,) = m["session"]
    assert "avg_step_length" not in session and "total_distance" not in session
    assert session["sub_sport"] == "generic"
    table = per_second(FitSource(steps, START, exported.source.duration_s, None))
    assert table["step_length_m"].isna().all() and table["cadence_spm"].notna().sum() > 590
