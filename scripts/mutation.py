"""`make mutation [MODULES="caddy alerts"]`: mutmut over the modules where a silent change hurts most.

Each module runs in a copy of the project (build/mutation/<module>/, so the work tree is never
mutated) with its own mutmut configuration: the file(s) to mutate and the tests that state their
behaviour (per-module test selection; mutmut narrows it further to the tests that call the
mutated function). One module at a time, one worker (the machine is shared); the figures go to
build/mutation/<module>.json and a line per module is printed. mutmut 3 mutates function bodies,
not module-level constants: those are pinned by literal expectations (tests/expected.py and the
tests beside each module).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "build" / "mutation"
# Everything a test may import or read, copied beside the mutants.
COPIED = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.swarm.yaml", "pyproject.toml",
          "README.md", "docs", "tests", "scripts", "Makefile", "requirements.txt", "requirements-dev.txt")
# Every package of the program (a directory with __init__.py), found rather than listed: a package
# added later and missing from the copy fails every mutant's collection (ModuleNotFoundError).
PACKAGES = tuple(sorted(p.parent.name for p in PROJECT.glob("*/__init__.py") if p.parent.name not in COPIED))


@dataclass(frozen=True)
class Module:
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    # Only these functions' mutants (mutmut names, fnmatch globs); empty = every function in `mutate`.
    functions: tuple[str, ...] = ()
    # What mutmut's fork server loads before forking each mutant: "collect" (the tests, once: fast) or
    # "none" (each mutant collects them anew). "none" for modules whose checks are built at import
    # time (a mutant of a factory such as grammar.between is only seen by a fresh import) and whose
    # parametrized test ids hold "::" (a second collection in the warmed process fails to find them,
    # pytest exit 4, which mutmut counts as a timeout, i.e. a kill, though no test ran).
    warmup: str = "collect"
    # Functions called at import time (check factories such as grammar.between): mutmut maps a function to
    # the tests that call it while they run, so these would be tried only against the odd test that calls
    # the factory itself. Their mutants are run again against every selected test (with warmup "none",
    # each mutant's fresh import builds the checks from the mutated factory).
    import_time: tuple[str, ...] = ()


MODULES: dict[str, Module] = {
    "caddy": Module(("render/caddy.py", "render/caddyfile.py"),
                    ("tests/config/test_caddy.py", "tests/config/test_caddy_pinned.py")),
    "web_config": Module(("render/web_config.py",), ("tests/config/test_web_config.py",)),
    "alertmanager": Module(("render/alertmanager.py",), ("tests/unit/test_alertmanager_render.py",
                                                         "tests/config/test_amtool.py")),
    "alerts": Module(("mixin/alerts.py", "mixin/alerts_logs.py", "mixin/alert_model.py"),
                     ("tests/config/test_promtool.py", "tests/unit/test_runbook.py")),
    "grammar": Module(("settings/grammar.py", "settings/grammar_edge.py"),
                      ("tests/unit/test_bad_inputs.py", "tests/unit/test_setting_limits.py",
                       "tests/config/test_grammar_consumers.py", "tests/unit/test_edge_settings.py",
                       "tests/unit/test_readme.py"),  # a check's __name__ is the README's "checked as" column
                      warmup="none", import_time=("settings.grammar.x__fullmatch", "settings.grammar.x_between",
                                                  "settings.grammar.x_optional", "settings.grammar.x_one_of")),
    "validation": Module(("settings/load.py", "settings/declare.py", "settings/services.py", "settings/secrets.py"),
                         ("tests/unit/test_bad_inputs.py", "tests/unit/test_setting_limits.py",
                          "tests/unit/test_settings.py", "tests/unit/test_edge_settings.py")),
    # The redaction itself: which settings the program runs with, and the run that writes build/.
    "redaction": Module(("offline/plan.py",), ("tests/unit/test_plan.py",),
                        ("offline.plan.x_placeholder_config__*", "offline.plan.x_plan__*")),
    "policy": Module(("policy/env_secrets.py", "policy/images.py", "policy/isolation.py", "policy/lifecycle.py",
                      "policy/ports.py", "policy/secret_marks.py"),
                     ("tests/policy/test_policy_pack.py", "tests/policy/test_swarm_policy.py")),
    # The verdicts, not the report's tables.
    "bench_verdicts": Module(("bench/targets.py", "bench/report.py"),
                             ("tests/bench/test_targets.py", "tests/bench/test_recorded_run.py"),
                             ("bench.targets.x_verdicts__*", "bench.targets.x_dashboard_loads__*",
                              "bench.report.x_target_checks__*")),
}


def setup_cfg(module: Module) -> str:
    lines = ["[mutmut]", "source_paths =", *(f"    {p}" for p in PACKAGES),
             "only_mutate =", *(f"    {p}" for p in module.mutate),
             "also_copy =", *(f"    {p}" for p in COPIED),
             "pytest_add_cli_args_test_selection =", *(f"    {t}" for t in module.tests),
             "pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -q",
             # Pulumi's gRPC is not fork-safe: fork each mutant from a server that only collected the
             # tests (forking from the process whose tests ran the program hangs the child).
             "process_isolation = forkserver", f"forkserver_warmup = {module.warmup}", ""]
    return "\n".join(lines)


def prepare(name: str, module: Module) -> Path:
    work = OUT / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for item in (*PACKAGES, *COPIED):
        source = PROJECT / item
        if source.is_dir():
            shutil.copytree(source, work / item, ignore=shutil.ignore_patterns("__pycache__", "results"))
        elif source.exists():
            shutil.copy2(source, work / item)
    (work / "setup.cfg").write_text(setup_cfg(module))
    return work


def mutmut(work: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """mutmut in `work`; past `timeout` its whole process group (fork server and workers) is stopped and
    the run counts as exit code -9, its mutants not reached left "not checked"."""
    exe = Path(sys.executable).parent / "mutmut"
    with subprocess.Popen([str(exe), *args], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            return subprocess.CompletedProcess(process.args, -9, out, err)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def widen_import_time(work: Path, module: Module) -> None:
    """Map the import-time functions to every test of the selection in mutmut's stats (see Module)."""
    listing = subprocess.run([sys.executable, "-m", "pytest", "--rootdir=.", "--collect-only", "-q",
                              "-p", "no:cacheprovider", *module.tests], cwd=work / "mutants",
                             capture_output=True, text=True, check=True).stdout
    tests = sorted(line.strip() for line in listing.splitlines() if "::" in line)
    stats_file = work / "mutants" / "mutmut-stats.json"
    stats = json.loads(stats_file.read_text())
    for function in module.import_time:
        stats["tests_by_mangled_function_name"][function] = tests
    stats_file.write_text(json.dumps(stats))


def mutant_statuses(work: Path) -> dict[str, str]:
    """Each mutant's status as mutmut reports it, but an exit code 255 as "error" (see below)."""
    listing = mutmut(work, "results", "--all", "true", timeout=600).stdout
    statuses: dict[str, str] = {}
    for line in listing.splitlines():
        key, sep, status = line.strip().rpartition(": ")
        if sep:
            statuses[key] = status
    # mutmut reports exit code 255 (its test runner raised, e.g. pytest could not find a test id) as
    # "timeout", which would count as a kill: read the exit codes and count those as errors instead.
    for meta in (work / "mutants").rglob("*.meta"):
        for key, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            if code == 255 and key in statuses:
                statuses[key] = "error"
    return statuses


def run_module(name: str, timeout: float, survivors_only: bool = False) -> dict[str, object]:
    """All of a module's mutants; or (`survivors_only`) the last run's survivors (and mutants no test called)
    again, with today's tests."""
    module = MODULES[name]
    work = OUT / name
    if survivors_only:
        previous = json.loads((OUT / f"{name}.json").read_text())
        for tests_dir in (work / "tests", work / "mutants" / "tests"):  # mutmut runs the tests from the latter
            shutil.rmtree(tests_dir)
            shutil.copytree(PROJECT / "tests", tests_dir, ignore=shutil.ignore_patterns("__pycache__"))
        # "no tests" too: a test added since may now call the function.
        selection = tuple(previous["survived"]) + tuple(previous.get("no_tests", ()))
        if not selection:
            return dict(previous)
    else:
        work = prepare(name, module)
        selection = module.functions
    started = time.monotonic()
    if survivors_only and module.import_time:
        widen_import_time(work, module)
    result = mutmut(work, "run", "--max-children", "1", *selection, timeout=timeout)
    if module.import_time and not survivors_only and result.returncode == 0:
        widen_import_time(work, module)
        left = timeout - (time.monotonic() - started)
        again = mutmut(work, "run", "--max-children", "1", *(f"{f}__mutmut_*" for f in module.import_time),
                       timeout=max(left, 60))
        result = subprocess.CompletedProcess(result.args, again.returncode, result.stdout + again.stdout,
                                             result.stderr + again.stderr)
    seconds = round(time.monotonic() - started)
    if survivors_only:
        seconds += int(previous["seconds"])
    (OUT / f"{name}.log").write_text(result.stdout[-20000:] + result.stderr[-20000:])
    statuses = mutant_statuses(work)
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    # Kill rate over the mutants the tests ran: killed (or timed out) / (total - skipped, not checked, error).
    tested = sum(n for s, n in counts.items() if s not in ("skipped", "not checked", "error"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    summary = {"module": name, "mutated": list(module.mutate), "tests": list(module.tests), "seconds": seconds,
               "exit_code": result.returncode, "counts": counts,
               "kill_rate": round(100 * killed / tested, 1) if tested else None,
               "survived": sorted(k for k, s in statuses.items() if s == "survived"),
               "no_tests": sorted(k for k, s in statuses.items() if s == "no tests"),
               "errors": sorted(k for k, s in statuses.items() if s == "error")}
    (OUT / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"default: all ({', '.join(MODULES)})")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per module")
    parser.add_argument("--survivors", action="store_true",
                        help="run the last run's surviving (and untested) mutants again, with the current tests")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.modules or list(MODULES):
        s = run_module(name, args.timeout, args.survivors)
        survived = s["survived"]
        assert isinstance(survived, list)
        print(f"{name}: kill rate {s['kill_rate']}% {s['counts']} in {s['seconds']} s; survived: {len(survived)}"
              f" (build/mutation/{name}.json)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
