"""Build the sdist and the wheel from a copy of the source tree (a build writes egg-info
beside the sources: never into the checkout) and check that both carry what the gate needs
at run time besides code: every package's py.typed, the guidance pack, the OTIO plugin
manifest, the Blender add-on manifest, and the licence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache", ".mypy_cache", "artifacts")


def expected(project: dict) -> tuple[str, set[str], set[str]]:
    """The version, the files the wheel must hold, and those the sdist must hold."""
    tool = project["tool"]["setuptools"]
    folders = tool["package-dir"]
    # PEP 561: a subpackage is typed with its top package
    top = [package for package in tool["packages"] if "." not in package]
    wheel = {f"{package}/py.typed" for package in top}
    sdist = {f"{folders.get(package, package)}/py.typed" for package in top}
    for package, patterns in tool["package-data"].items():
        if package == "*":
            continue
        for pattern in patterns:
            for found in (ROOT / folders.get(package, package)).glob(pattern):
                wheel.add(f"{package}/{found.name}")
                sdist.add(f"{folders.get(package, package)}/{found.name}")
    sdist |= {"LICENSE", "README.md", "pyproject.toml"}
    return project["project"]["version"], wheel, sdist


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    version, want_wheel, want_sdist = expected(project)
    with tempfile.TemporaryDirectory(prefix="aigate-build-") as tmp:
        source, out = Path(tmp) / "src", Path(tmp) / "dist"
        shutil.copytree(ROOT, source, ignore=SKIP)
        subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)],
                       check=True, stdout=subprocess.DEVNULL)
        [wheel] = out.glob(f"aigate-{version}-*.whl")
        [sdist] = out.glob(f"aigate-{version}.tar.gz")
        with zipfile.ZipFile(wheel) as z:
            in_wheel = set(z.namelist())
        with tarfile.open(sdist) as t:
            in_sdist = {name.split("/", 1)[1] for name in t.getnames() if "/" in name}
    missing = sorted(f"wheel: {n}" for n in want_wheel - in_wheel) + sorted(
        f"sdist: {n}" for n in want_sdist - in_sdist)
    if not any(n.endswith("/licenses/LICENSE") for n in in_wheel):
        missing.append("wheel: the LICENSE in its dist-info")
    for line in missing:
        print(f"check_dist: missing from the {line}", file=sys.stderr)
    if not missing:
        print(f"check_dist: aigate {version}: sdist and wheel carry their package data")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
