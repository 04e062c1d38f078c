"""Replace the vendored plotly.js cartesian bundle with another version from the npm registry.

    python tools/update_plotly_bundle.py 4.1.1

Runs ``npm pack plotly.js-cartesian-dist-min@VERSION`` in a temporary folder, copies the minified
bundle and its licence into ``formlab/report/vendor/`` and writes the version into the README there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "formlab" / "report" / "vendor"
PACKAGE = "plotly.js-cartesian-dist-min"


def main(version: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{version}"], cwd=tmp, check=True, capture_output=True)
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        shutil.copyfile(package / "plotly-cartesian.min.js", VENDOR / "plotly-cartesian.min.js")
        shutil.copyfile(package / "LICENSE", VENDOR / "plotly-LICENSE.txt")
    readme = VENDOR / "README.md"
    readme.write_text(re.sub(r"\*\*[0-9.]+\*\*", f"**{version}**", readme.read_text(encoding="utf-8")),
                      encoding="utf-8")
    print(f"vendored {PACKAGE} {version}: {(VENDOR / 'plotly-cartesian.min.js').stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/update_plotly_bundle.py VERSION")
    main(sys.argv[1])
