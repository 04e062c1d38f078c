"""One vocabulary across the command line: an option name means one thing in every command.

Every option of every subcommand must be in ``MEANINGS`` below (a new option is declared here with
its meaning, or the test fails), and wherever a name is used it takes the same kind of value. Names
that once meant two things are refused outright.
"""

import argparse

import pytest

from formlab.cli import COMMANDS

MEANINGS = {  # option -> (meaning, value type: None for a flag, else the argparse type name)
    "-h": ("show the help", None),
    "--help": ("show the help", None),
    "--treadmill-speed": ("treadmill belt speed, m/s", "float"),
    "--replay-speed": ("replay this many times faster than real time", "float"),
    "--rules": ("coach's rule override file (TOML)", "str"),
    "--calibration-dir": ("folder of device calibration files", "str"),
    "--force": ("replace output files that already exist", None),
    "--json": ("SUMMARY.json to write", "str"),
    "--steps": ("STEPS.csv to write", "str"),
    "--html": ("HTML page to write", "str"),
    "--out": ("the file the command writes", "str"),
    "--truth": ("simulation truth CSV to write", "str"),
    "--fit": ("FIT activity file to write", "str"),
    "--csv": ("CSV table to write", "str"),
    "--columns": ("column mapping of another CSV layout, or a TOML file of it", "str"),
    "--quiet": ("no terminal summary", None),
    "--device": ("a BLE sensor's advertised name or address", "str"),
    "--replay": ("a recording fed through the live pipeline", "str"),
    "--rate": ("a sensor's stream rate, Hz", "float"),
    "--duration": ("record for this many seconds", "float"),
    "--meta": ("a KEY=VALUE metadata line for a new recording", "str"),
    "--timeout": ("scan for this many seconds", "float"),
    "--demo": ("simulate the demo runner", None),
    "--duration-s": ("simulated running time, s", "_positive"),
    "--standing-s": ("simulated quiet standing first, s", "_non_negative"),
    "--walk-s": ("simulated walking before running, s", "_non_negative"),
    "--rate-hz": ("simulated sample rate, Hz", "_rate"),
    "--cadence-spm": ("simulated cadence, steps/min", "_positive"),
    "--contact-ms": ("simulated ground contact, ms", "_positive"),
    "--contact-diff-ms": ("simulated contact left minus right, ms", "float"),
    "--impact-left-bw": ("simulated left impact, body weights", "_non_negative"),
    "--impact-right-bw": ("simulated right impact, body weights", "_non_negative"),
    "--braking-mps": ("simulated braking, m/s lost per step", "_non_negative"),
    "--tilt-deg": ("simulated pelvic tilt, deg", "float"),
    "--drop-left-deg": ("simulated left pelvic drop, deg", "_non_negative"),
    "--drop-right-deg": ("simulated right pelvic drop, deg", "_non_negative"),
    "--mount": ("simulated sensor mount", "_mount"),
    "--packet-loss": ("simulated packet loss probability", "_non_negative"),
    "--clock-drift-ppm": ("simulated clock error, ppm", "float"),
    "--no-gyro": ("simulate without a gyroscope", None),
    "--seed": ("random seed", "int"),
    "--athlete": ("the runner's name", "str"),
    "--save": ("remember the run in the athlete history store", None),
    "--db": ("the history store file", "str"),
    "--session": ("a session of the history store, by id", "int"),
    "--dask": ("a Dask scheduler's address", "str"),
    "--workers": ("worker processes", "int"),
    "--all-reports": ("write every stored session's report", None),
    "--date": ("the session's date, YYYY-MM-DD", "_iso_date"),
}
RETIRED = {"--speed": "it meant the treadmill speed in some commands and the replay multiplier in others",
           "--speed-mps": "the treadmill speed is --treadmill-speed everywhere"}


def _options():
    for name, (_, loader) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=name)
        add_arguments, _ = loader()
        add_arguments(parser)
        for action in parser._actions:
            for option in action.option_strings:
                yield name, option, action


@pytest.mark.parametrize("command, option, action", list(_options()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_one_declared_meaning(command, option, action):
    assert option not in RETIRED, f"{command} {option}: {RETIRED.get(option)}"
    assert option in MEANINGS, f"{command} {option} is not declared in MEANINGS with its meaning"
    expected_type = MEANINGS[option][1]
    if expected_type is None:
        assert action.nargs == 0, f"{command} {option} should be a flag"
    else:
        kind = getattr(action.type, "__name__", "str") if action.type else "str"
        assert kind == expected_type, f"{command} {option} takes {kind}, elsewhere {expected_type}"


def test_the_treadmill_speed_is_one_option_in_every_analysing_command():
    users = {command for command, option, _ in _options() if option == "--treadmill-speed"}
    assert {"analyze", "report", "live", "simulate"} <= users
