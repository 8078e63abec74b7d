#!/usr/bin/python3
"""wasipy test on a real project that Debian packages with its tests,
compared test by test with native pytest (Debian's python3.11) on the same
files. Test dependencies come from Debian's /usr/lib/python3/dist-packages.

    debian_project_test.py [OPTIONS] WASIPY PACKAGE [PYTEST_ARGS...]

    --requirement FILE   passed to wasipy test as -r FILE: the test
                         requirements, for packages whose Debian metadata
                         lists none (Debian drops requires.txt)
    --files-from LIST    test paths to add, one a line (`#` comments), of
                         which --count N takes the first N ("all": every one)
    --only-if-env VAR    run only when the environment variable VAR is set
                         (not empty, not 0); otherwise report skipped

The package is fetched with `apt-get download` and unpacked with `dpkg -x`
into a temporary folder (never installed). Exit 77 (skipped) when no CPython
WASI distribution is installed or apt cannot download the package."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from e2e_common import HOST_ENV, tree_digest





def junit_outcomes(path):
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        tid = tc.get("classname", "") + "::" + tc.get("name", "")
        outcome = "passed"
        for child in tc:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error" and outcome != "failed":
                outcome = "error"
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        out[tid] = outcome
    return out


def listed_paths(list_file, count):
    with open(list_file) as f:
        paths = [l.split("#", 1)[0].strip() for l in f]
    paths = [p for p in paths if p]
    return paths if count == "all" else paths[:int(count)]


def main():
    argv, opts = sys.argv[1:], {"--requirement": None, "--files-from": None, "--count": "all", "--only-if-env": None}
    while argv and argv[0] in opts:
        opts[argv[0]] = argv[1]
        argv = argv[2:]
    wasipy, package, pytest_args = os.path.abspath(argv[0]), argv[1], argv[2:]
    gate = opts["--only-if-env"]
    if gate and os.environ.get(gate, "") in ("", "0"):
        print(f"skipped: set {gate}=1 to run this one (it takes long on the interpreter tier)")
        return 77
    if opts["--files-from"]:
        paths = listed_paths(opts["--files-from"], opts["--count"])
        print(f"{len(paths)} test paths from {os.path.basename(opts['--files-from'])} (--count {opts['--count']})", flush=True)
        pytest_args = pytest_args + paths
    wasipy_opts = ["-r", os.path.abspath(opts["--requirement"])] if opts["--requirement"] else []
    probe = subprocess.run([wasipy, "python", "list"], capture_output=True, text=True)
    if probe.returncode != 0 or "3.11" not in probe.stdout:
        print("skipped: no CPython 3.11 WASI distribution installed (run 'wasipy python build' first)")
        return 77
    # A fixed folder, emptied first: wasipy's bytecode cache is per project
    # folder, so the same path (and dpkg's preserved mtimes) keeps it warm
    # from one run to the next instead of adding a new one each time.
    work = os.path.join(tempfile.gettempdir(), f"wasipy-e2e-{package}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)  # apt's _apt user writes the download here
    dl = subprocess.run(["apt-get", "download", package], cwd=work, capture_output=True, text=True)
    debs = glob.glob(os.path.join(work, "*.deb"))
    if dl.returncode != 0 or not debs:
        print(f"skipped: apt-get download {package} failed: {dl.stderr.strip()[-300:]}")
        return 77
    subprocess.run(["dpkg", "-x", debs[0], os.path.join(work, "root")], check=True)
    project = os.path.join(work, "root/usr/lib/python3/dist-packages")
    print(f"{os.path.basename(debs[0])} unpacked at {project}", flush=True)

    # Native pytest on a copy (it may write caches), same files.
    native_copy = os.path.join(work, "native")
    shutil.copytree(project, native_copy)
    native_xml = os.path.join(work, "native.xml")
    t0 = time.monotonic()
    n = subprocess.run(["/usr/bin/python3.11", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        f"--junit-xml={native_xml}", "-o", "junit_family=xunit1", *pytest_args],
                       cwd=native_copy, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, capture_output=True, text=True)
    native_s = time.monotonic() - t0
    print("native:", (n.stdout.strip().splitlines() or ["?"])[-1], f"({native_s:.1f} s)", flush=True)

    before = tree_digest(project)
    wasi_xml, report = os.path.join(work, "wasi.xml"), os.path.join(work, "report.json")
    t0 = time.monotonic()
    # --no-index: only the host environment; a pip configuration of the
    # machine (PIP_FIND_LINKS, an index) must not change what is compared.
    w = subprocess.run([wasipy, "test", project, "--no-index", "--host-env", HOST_ENV, *wasipy_opts, "--junit-xml", wasi_xml,
                        "--report-json", report, "--", "-q", *pytest_args], capture_output=True, text=True)
    wasi_s = time.monotonic() - t0
    print("\n".join("    | " + l for l in (w.stdout + w.stderr).strip().splitlines()[-12:]))
    print(f"wasipy test took {wasi_s:.1f} s (native pytest {native_s:.1f} s)", flush=True)
    ok = True
    if tree_digest(project) != before:
        print("FAIL: wasipy test wrote into the project tree")
        ok = False
    if not os.path.exists(wasi_xml) or not os.path.exists(report):
        print(f"FAIL: no JUnit report / JSON report (exit status {w.returncode})")
        return 1
    with open(report) as f:
        data = json.load(f)
    wasi_limited = {p["test"]: p["wasi_limitation"] for p in data["problems"] if p["wasi_limitation"]}
    native, wasi = junit_outcomes(native_xml), junit_outcomes(wasi_xml)
    if set(native) != set(wasi):
        print("FAIL: different tests collected:", sorted(set(native) ^ set(wasi))[:10])
        ok = False
    differ = [(t, native.get(t), wasi.get(t)) for t in sorted(set(native) | set(wasi)) if native.get(t) != wasi.get(t)]
    for t, a, b in differ:
        why = wasi_limited.get(t)
        print(f"{'allowed' if why else 'FAIL'}: {t}: native {a}, wasi {b}" + (f" (WASI limitation: {why})" if why else ""))
        ok = ok and bool(why)
    print(f"{len(native)} tests; {len(differ)} differ from native, "
          f"{sum(1 for t, _, _ in differ if t in wasi_limited)} of them attributed to a WASI limitation; "
          f"verdict {data['verdict']}")
    expected_status = 0 if all(v in ("passed", "skipped", "xfailed") for v in wasi.values()) else 1
    if w.returncode != expected_status:
        print(f"FAIL: exit status {w.returncode}, expected {expected_status}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
