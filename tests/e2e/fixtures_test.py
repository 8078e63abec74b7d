#!/usr/bin/python3
"""wasipy test on fixture projects whose dependencies come from a wheelhouse
built here with Debian's pip (python3-pip, -setuptools, -wheel), plus pytest
and its dependencies from Debian's /usr/lib/python3/dist-packages.

    fixtures_test.py WASIPY

Exit 77 (skipped) when no CPython WASI distribution is installed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from e2e_common import HOST_ENV, tree_digest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
failures = []




def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail), flush=True)
    if not cond:
        failures.append(name)


def pip_env():
    """The environment for wasipy when its host pip source is used: pip's own
    configuration (a find-links from the environment, a config file) left out,
    so that only the index given with --index-url is seen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def wasipy_test(wasipy, work, project, *extra, pytest_args=(), sources=None):
    """Dependencies from the wheelhouse and the host environment, with no
    package index (--no-index) unless `sources` replaces those options."""
    report = os.path.join(work, project + ".json")
    if os.path.exists(report):
        os.remove(report)
    path = os.path.join(FIXTURES, "projects", project)
    if sources is None:
        sources = ["--find-links", os.path.join(work, "wheelhouse"), "--host-env", HOST_ENV, "--no-index"]
    cmd = [wasipy, "test", path, *sources, "--report-json", report, *extra, "--", "-q", *pytest_args]
    before = tree_digest(path)
    p = subprocess.run(cmd, capture_output=True, text=True, env=pip_env())
    check(f"{project}: nothing written into the project", tree_digest(path) == before)
    data = None
    if os.path.exists(report):
        with open(report) as f:
            data = json.load(f)
    sys.stdout.write("".join("    | " + l + "\n" for l in (p.stdout + p.stderr).splitlines()[-14:]))
    return p, data


def outcomes(data):
    return {t["test"].split("::")[-1]: (t["outcome"], t["wasi_limitation"]) for t in data["problems"]}


def main():
    wasipy = os.path.abspath(sys.argv[1])
    probe = subprocess.run([wasipy, "python", "list"], capture_output=True, text=True)
    if probe.returncode != 0 or "3.11" not in probe.stdout:
        print("skipped: no CPython 3.11 WASI distribution installed (run 'wasipy python build' first)")
        return 77
    with tempfile.TemporaryDirectory(prefix="wasipy-e2e-fixtures-") as work:
        # The wheelhouse: built from copies, so that the fixture tree stays clean.
        house = os.path.join(work, "wheelhouse")
        os.makedirs(house)
        for name in sorted(os.listdir(os.path.join(FIXTURES, "wheels"))):
            src = os.path.join(work, "src", name)
            shutil.copytree(os.path.join(FIXTURES, "wheels", name), src)
            subprocess.run(["/usr/bin/python3", "-m", "pip", "wheel", "-q", "--no-index", "--no-deps",
                            "--no-build-isolation", "-w", house, src], check=True, capture_output=True)
        print("wheelhouse:", " ".join(sorted(os.listdir(house))), flush=True)

        # src/ layout, runtime dependency from the wheelhouse, a coverage tool with only a platform wheel.
        p, d = wasipy_test(wasipy, work, "srclayout")
        check("srclayout: exit 0", p.returncode == 0, str(p.returncode))
        check("srclayout: verdict compatible", d and d["verdict"] == "compatible", str(d and d["verdict"]))
        check("srclayout: 4 passed", d and d["counts"] == {"passed": 4, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0},
              str(d and d["counts"]))
        check("srclayout: coverage skipped with its reason",
              d and len(d["skipped_requirements"]) == 1 and "coverage" in d["skipped_requirements"][0]
              and "platform-specific" in d["skipped_requirements"][0], str(d and d["skipped_requirements"]))
        check("srclayout: suggests the classifier", "add the classifier \"Environment :: WebAssembly :: WASI\"" in p.stdout)
        # The same inputs again: the environment is reused.
        p2, _ = wasipy_test(wasipy, work, "srclayout", pytest_args=["-k", "quadruple"])
        check("srclayout: environment reused", "(reused)" in p2.stdout and p2.returncode == 0)

        # A test that needs ctypes.
        p, d = wasipy_test(wasipy, work, "ctypesneed")
        check("ctypesneed: exit 1", p.returncode == 1, str(p.returncode))
        check("ctypesneed: verdict compatible except ctypes", d and d["verdict"] == "compatible-except"
              and d["limitations"] == {"ctypes is unavailable": 1}, str(d and (d["verdict"], d["limitations"])))
        check("ctypesneed: outcomes", d and d["counts"]["passed"] == 1 and outcomes(d) == {"test_libc_abs": ("failed", "ctypes")},
              str(d and outcomes(d)))
        check("ctypesneed: suggests importorskip", "importorskip" in p.stdout)

        # A test dependency that depends on an older release of the project under test.
        p, d = wasipy_test(wasipy, work, "oldself")
        check("oldself: exit 0 and compatible", p.returncode == 0 and d and d["verdict"] == "compatible"
              and d["counts"]["passed"] == 2, str(p.returncode))
        check("oldself: says the project wins", "the project under test is used" in p.stdout)

        # A marker that selects a different dependency on sys_platform == "wasi".
        p, d = wasipy_test(wasipy, work, "markers")
        check("markers: exit 0 and compatible", p.returncode == 0 and d and d["verdict"] == "compatible"
              and d["counts"]["passed"] == 1, str(p.returncode))
        check("markers: wasidep installed, posixdep not", "wpfx-wasidep 1.0" in p.stdout and "posixdep" not in p.stdout)

        # A dependency whose wheel brings a .pth file: its path entry and its import line apply in the guest.
        p, d = wasipy_test(wasipy, work, "pthuser")
        check("pthuser: .pth path entry and import line honoured", p.returncode == 0 and d and d["verdict"] == "compatible"
              and d["counts"]["passed"] == 2, f"{p.returncode} {d and outcomes(d)}")

        # Collect only: the count, and no verdict.
        p, d = wasipy_test(wasipy, work, "srclayout", pytest_args=["--co"])
        check("--co: exit 0, count, no verdict", p.returncode == 0 and "4 tests collected; collect only" in p.stdout
              and "verdict:" not in p.stdout and "no tests collected" not in p.stdout + p.stderr
              and d and d["verdict"] is None and d["collected"] == 4, f"{p.returncode} {d}")

        # pytest's own --junit-xml after '--' is written on the host, and wasipy's report still sees the tests;
        # with wasipy's --junit-xml as well, both files are written.
        mine, theirs = os.path.join(work, "wasipy-junit.xml"), os.path.join(work, "pytest-junit.xml")
        p, d = wasipy_test(wasipy, work, "srclayout", "--junit-xml", mine, pytest_args=["--junit-xml", theirs])
        cases = lambda f: open(f).read().count("<testcase") if os.path.exists(f) else -1
        check("pytest --junit-xml: both reports written, verdict kept", p.returncode == 0 and cases(mine) == 4
              and cases(theirs) == 4 and d and d["verdict"] == "compatible" and d["counts"]["passed"] == 4,
              f"{p.returncode} {cases(mine)} {cases(theirs)} {d and d['counts']}")

        # A real failure.
        p, d = wasipy_test(wasipy, work, "broken")
        check("broken: exit 1, not compatible", p.returncode == 1 and d and d["verdict"] == "not-compatible"
              and outcomes(d) == {"test_wrong_answer": ("failed", None)}, str(d and outcomes(d)))
        check("broken: cause named", "verdict: not compatible: AssertionError (1 test)" in p.stdout)

        # A package index instead of --find-links: a PEP 503 "simple" folder made from the wheelhouse, read by
        # the host's pip (file:// URL, offline). wpfx-helper comes from it; coverage has no pure wheel there.
        index = os.path.join(work, "index")
        for whl in sorted(os.listdir(house)):
            project = whl.split("-")[0].replace("_", "-").replace(".", "-").lower()
            os.makedirs(os.path.join(index, project), exist_ok=True)
            shutil.copy(os.path.join(house, whl), os.path.join(index, project, whl))
        for project in sorted(os.listdir(index)):
            links = "".join(f'<a href="{w}">{w}</a><br/>\n' for w in sorted(os.listdir(os.path.join(index, project))))
            with open(os.path.join(index, project, "index.html"), "w") as f:
                f.write(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
        with open(os.path.join(index, "index.html"), "w") as f:
            f.write("<!DOCTYPE html>\n<html><body>\n" + "".join(f'<a href="{p}/">{p}</a><br/>\n'
                                                              for p in sorted(os.listdir(index))) + "</body></html>\n")
        index_url = "file://" + index
        p, d = wasipy_test(wasipy, work, "srclayout", sources=["--index-url", index_url, "--host-env", HOST_ENV])
        check("index: srclayout exit 0, compatible, 4 passed", p.returncode == 0 and d and d["verdict"] == "compatible"
              and d["counts"]["passed"] == 4, f"{p.returncode} {d and d['counts']}")
        check("index: wpfx-helper from the package index",
              "wpfx_helper 1.0 from the package index" in p.stdout or "wpfx-helper 1.0 from the package index" in p.stdout)
        check("index: coverage skipped (no pure wheel on the index)", d and len(d["skipped_requirements"]) == 1
              and "coverage" in d["skipped_requirements"][0], str(d and d["skipped_requirements"]))
        # Pinned: the downloaded wheel is cached, so a second run needs no index at all ("broken" has no
        # dependencies of its own; its one failing test is expected).
        pinned = os.path.join(work, "pinned-requirements.txt")
        with open(pinned, "w") as f:
            f.write("pytest\nwpfx-helper==1.0\n")
        p, d = wasipy_test(wasipy, work, "broken", "-r", pinned, sources=["--index-url", index_url, "--host-env", HOST_ENV])
        check("index: pinned requirement installed", p.returncode == 1 and "wpfx-helper 1.0" in p.stdout
              and d and d["verdict"] == "not-compatible", str(p.returncode))
        p, d = wasipy_test(wasipy, work, "broken", "-r", pinned,
                           sources=["--index-url", "file://" + os.path.join(work, "no-such-index"), "--host-env", HOST_ENV])
        check("index: pinned requirement from the download cache, index not needed", p.returncode == 1
              and "from the package index (cached download)" in p.stdout and d and d["verdict"] == "not-compatible",
              str(p.returncode))

        # Bad input: one line on stderr, exit 2 (5 when nothing is collected).
        def bad(name, args, status, words):
            p = subprocess.run([wasipy, "test", *args], capture_output=True, text=True, env=pip_env())
            lines = [l for l in p.stderr.splitlines() if l.startswith("wasipy test:")]
            check(f"bad input {name}: exit {status}, one line", p.returncode == status and len(lines) == 1
                  and all(w in lines[0] for w in words), f"{p.returncode} {p.stderr!r}")

        proj = lambda n: os.path.join(FIXTURES, "projects", n)
        bad("no project", [os.path.join(work, "nowhere")], 2, ["no project at"])
        bad("unknown python", [proj("broken"), "--python", "3.12"], 2, ["3.12"])
        bad("unresolvable", [proj("unresolvable"), "--host-env", HOST_ENV, "--no-index"], 2, ["cannot install wpfx-not-anywhere>=1"])
        bad("index not there", [proj("unresolvable"), "--host-env", HOST_ENV, "--index-url",
                                "file://" + os.path.join(work, "no-such-index")], 2,
            ["cannot install wpfx-not-anywhere>=1", "could not be reached"])
        bad("index without the project", [proj("unresolvable"), "--host-env", HOST_ENV, "--index-url", index_url], 2,
            ["cannot install wpfx-not-anywhere>=1", "no pure-Python (py3-none-any) wheel", "on the package index"])
        bad("compiled", [proj("compiled")], 2, ["compiled extensions", "ext_modules"])
        bad("no tests", [proj("notests"), "--host-env", HOST_ENV, "--no-index"], 5, ["no tests collected"])
    print(f"{len(failures)} failed" if failures else "all fixture checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
