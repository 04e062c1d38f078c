"""Whatever arrives over the air, capture never crashes and never writes a bad recording.

Hypothesis feeds the formlab-profile adapter (configured over the virtual radio) and the shared
sample assembler with garbage and with well-formed packets whose counters and clocks are random:
malformed payloads raise PacketError only; the rows written keep ``t_s`` and ``sample_index``
strictly increasing, whatever the device claims.
"""

import numpy as np
import pytest
from bleak import BleakClient
from bumble_backend import bumble_backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from virtual_sensor import SampleSource, make_radio, sensor_ble_device
from virtual_time import run_virtual

from formlab.ble import protocol
from formlab.ble.formlab_profile import FormlabProfileAdapter
from formlab.ble.protocol import PacketError
from formlab.ble.stream import SampleAssembler


@pytest.fixture(scope="module")
def configured():
    """A FormlabProfileAdapter configured from the virtual sensor's INFO, and its StreamInfo."""

    async def main():
        central, _ = await make_radio(SampleSource.synthetic(2000, 200))
        adapter = FormlabProfileAdapter()
        async with BleakClient(sensor_ble_device(), backend=bumble_backend(central)) as client:
            info = await adapter.configure(client, None)
        return adapter, info

    with pytest.MonkeyPatch.context() as mp:
        return run_virtual(main(), mp)


def test_configure_reads_info_and_device_information(configured):
    _, info = configured
    assert (info.rate_hz, info.has_gyro, info.clock_hz) == (200.0, True, 1e6)
    assert (info.device, info.firmware, info.metadata["manufacturer"]) == ("virtual-imu", "1.2.3", "formlab")


packet = st.tuples(
    st.integers(0, 2**16 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 19)
).map(lambda f: protocol.encode_data(f[0], f[1], f[2], np.full((f[3], 6), f[0] % 1000, dtype=np.int16)))
payloads = st.lists(st.one_of(packet, st.binary(max_size=260)), min_size=1, max_size=60)
gaps_ms = st.lists(st.integers(0, 5000), min_size=60, max_size=60)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=payloads, gaps_ms=gaps_ms)
def test_random_packets_never_crash_and_keep_the_recording_valid(configured, payloads, gaps_ms):
    adapter, info = configured
    asm = SampleAssembler(epoch_offset_s=1.7e9)
    host_ns = 10**12
    asm.new_segment(info, host_ns)
    t_s, index = [], []
    for payload, gap in zip(payloads, gaps_ms):
        host_ns += gap * 10**6
        try:
            batches = adapter.decode(payload)
        except PacketError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        for batch in batches:
            block = asm.add(host_ns, batch)
            if block is not None:
                assert block.acc_g.shape == (block.n, 3) and np.all(np.isfinite(block.host_time_s))
                t_s.append(block.t_s)
                index.append(block.sample_index)
    if t_s:
        assert np.all(np.diff(np.concatenate(t_s)) > 0)
        assert np.all(np.diff(np.concatenate(index)) > 0)
