"""FIT activity files: export formlab's running dynamics, import Garmin's, compare the two (``docs/fit.md``)."""
