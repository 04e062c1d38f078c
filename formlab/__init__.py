"""formlab: running-form analysis from one waist-worn IMU.

The body frame used everywhere is documented in ``docs/body-frame.md`` and in
:mod:`formlab.frames`.
"""

__version__ = "0.1.0"
