"""Live capture from Bluetooth LE IMUs (bleak), with exact loss accounting and time sync.

Modules (data flows top to bottom):

- :mod:`formlab.ble.adapter` — the device-adapter contract every sensor protocol implements
  (:class:`~formlab.ble.adapter.DeviceAdapter`, :class:`~formlab.ble.adapter.DecodedBatch`,
  :class:`~formlab.ble.adapter.StreamInfo`) and the adapter registry.
- :mod:`formlab.ble.protocol` — byte codec of the open formlab IMU GATT profile
  (``docs/ble-profile.md``); :class:`~formlab.ble.protocol.PacketError`.
- :mod:`formlab.ble.formlab_profile` — the adapter for that profile; ``polar``/``movesense``:
  adapters for Polar PMD and Movesense sensors.
- :mod:`formlab.ble.timesync` — counter unwrapping and the drift-aware device→host clock fit.
- :mod:`formlab.ble.stream` — batches → recording rows: loss accounting, gaps, ``t_s``,
  ``sample_index``, ``host_time_s`` (:class:`~formlab.ble.stream.SampleBlock`).
- :mod:`formlab.ble.collector` — connect, stream, write, reconnect, statistics.
- :mod:`formlab.ble.scan` — list nearby sensors.

Entry points for the command line and the live dashboard::

    async def formlab.ble.scan.scan_devices(timeout_s: float = 5.0, backend=None) -> list[FoundDevice]
        # FoundDevice(name, address, rssi_dbm, kind, streams), strongest first
    def formlab.ble.scan.print_devices(devices, console=None) -> None

    async def formlab.ble.collector.record(
        device: str | BLEDevice,            # advertised name or address, or a BLEDevice
        out_path, *,
        rate_hz: float | None = None,       # None: highest supported <= 208 Hz
        duration_s: float | None = None,    # None: until Ctrl-C (task cancellation)
        on_samples: Callable[[SampleBlock], None] | None = None,  # each written batch
        backend=None, scanner_backend=None, # bleak backend classes (None: the platform's)
        metadata: dict[str, str] | None = None,   # extra '# key: value' lines
        scan_timeout_s: float = 10.0,
        reconnect_timeout_s: float = 300.0,
    ) -> CaptureStats                       # also when cancelled; CaptureError if it cannot start
    def formlab.ble.collector.print_stats(stats: CaptureStats, console=None) -> None

``SampleBlock`` (what ``on_samples`` receives, right after the rows were flushed to the file):
``t_s`` (n,) sensor clock s; ``acc_g`` (n, 3); ``gyr_dps`` (n, 3) or None; ``sample_index`` (n,)
int64, recording-wide, strictly increasing (a jump = lost samples); ``host_time_s`` (n,) epoch s.
"""
