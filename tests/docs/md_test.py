#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every example in README.md and docs/*.md is a test.

  ```yaml / ```toml  a resync-mon configuration: must pass `resync-mon config check` (variables it
                     names as ${NAME}, without a default, are set to a dummy value).
  ```console         `$ command` lines (a trailing backslash continues one) are run with bash, the
                     built resync-mon first on PATH, stderr merged into stdout; the lines after a
                     command are its expected output. Placeholders in expected output:
                       <n>     a number (123, -1.5, 1,440, 2e-05)
                       <time>  HH:MM:SS or an ISO-8601 UTC time (2026-12-02T03:24:12Z)
                       <word>  any run of non-blank characters
                       ...     on a line of its own: any number of lines (none included);
                               inside a line: any text
                     Runs of blanks match any run of blanks (table columns may shift).
                     Commands run in the document's work folder with umask 022, TZ=UTC.
  other languages    not run (json, sh, cmake, cpp, nginx, ini and plain ``` blocks).

Markers, an HTML comment on the line(s) just before a fence (blank lines allowed in between):
  <!-- md-test: skip (REASON) -->      the block is not run; the reason is required and printed
  <!-- md-test: file NAME -->          the block is also written to NAME in the document's work
                                       folder, for the console blocks after it
  <!-- md-test: file NAME, refused --> as file, and `config check` must refuse it (exit 3)

Relative links ([text](docs/x.md#heading)) must lead to a file that exists and, for a page, to one
of its headings. When the whole documentation is checked (no FILE given), every subcommand `resync-mon --help` lists
must be run by at least one console example.

Addresses and paths: the default address of the embedded configuration (http://HOST:PORT of
config/default.yaml) and /var/lib/resync-mon/ are rewritten, in commands and configurations, to a
real `resync-mon serve` this test starts on a free loopback port with the packaged configuration
(packaging/resync-mon.yaml) and a state file of its own; its output is rewritten back before the
comparison. A `resync-mon serve` command is started with --bind 127.0.0.1:0 when it has no --bind,
its first lines are compared, and it is stopped. Each document has its own work folder, holding a
link to examples/.

Usage: md_test.py --binary build/resync-mon --source-dir . [FILE.md ...]
"""
import argparse
import ctypes
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from markdown_examples import (CONFIG_LANGS, broken_links, normalize, output_regex, parse_console,
                               parse_directive, parse_markdown)

STATE_PREFIX = "/var/lib/resync-mon/"
COMMAND_TIMEOUT = 90


class Fixture:
    """A real `resync-mon serve` on a free loopback port, with a state file, started on first use."""

    def __init__(self, args, root):
        self.args, self.root, self.proc, self.url = args, root, None, None
        self.state_dir = os.path.join(root, "var-lib-resync-mon") + "/"
        os.makedirs(self.state_dir)  # configurations naming /var/lib/resync-mon/ get a folder that exists
        bind = re.search(r'bind:\s*"?([^"\s]+)"?', read(os.path.join(args.source_dir, "config/default.yaml")))
        self.default_url = "http://" + bind.group(1)

    def needed_by(self, text):
        return self.default_url[7:] in text or STATE_PREFIX in text

    def start(self):
        if self.proc:
            return
        packaged = read(os.path.join(self.args.source_dir, "packaging/resync-mon.yaml"))
        config = os.path.join(self.root, "fixture.yaml")
        with open(config, "w") as f:
            f.write(packaged.replace(STATE_PREFIX, self.state_dir))
        self.proc = subprocess.Popen([self.args.binary, "--config", config, "serve", "--bind", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=clean_env(self.args), preexec_fn=die_with_parent)
        banner = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+", banner)
        if not m:
            raise SystemExit(f"fixture serve did not start: {banner!r}")
        self.url = m.group(0)
        # Keep reading its log so a chatty server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/monitoring/health", timeout=5) as r:
                    if json.load(r).get("samples_collected", 0) >= 2:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("fixture serve took no 2 samples within 60 s")
        print(f"fixture: {self.url}, state file {self.state_dir}state", flush=True)

    def to_real(self, text):
        if self.url:
            text = text.replace(self.default_url, self.url)
            text = text.replace("ws" + self.default_url[4:], "ws" + self.url[4:])
        return text.replace(STATE_PREFIX, self.state_dir)

    def to_doc(self, text):
        if self.url:
            text = text.replace(self.url, self.default_url).replace("ws" + self.url[4:], "ws" + self.default_url[4:])
        return text.replace(self.state_dir, STATE_PREFIX)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def die_with_parent():
    """A server this test starts ends with it, even when the test itself is killed (ctest timeout)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def clean_env(args, extra=None):
    env = {"PATH": os.path.dirname(os.path.abspath(args.binary)) + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", "TZ": os.environ.get("TZ", "UTC")}
    env.update(extra or {})
    return env


class Runner:
    def __init__(self, args, root, fixture):
        self.args, self.root, self.fixture = args, root, fixture
        self.failures, self.configs, self.commands, self.skipped = [], 0, 0, []
        self.subcommands_run = set()

    def fail(self, where, message):
        self.failures.append(f"{where}: {message}")
        print(f"FAIL {where}: {message}\n", flush=True)

    def check_config(self, block, workdir, name, refused):
        text = self.fixture.to_real(block.text)
        names = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
        file = os.path.join(workdir, name or f"block-{block.line}{CONFIG_LANGS[block.lang]}")
        with open(file, "w") as f:
            f.write(text)
        env = clean_env(self.args, {n: "dummy-" + n.lower() for n in names})
        r = subprocess.run([self.args.binary, "config", "check", os.path.basename(file)], cwd=workdir, env=env,
                           capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        self.configs += 1
        if refused and r.returncode != 3:
            self.fail(block.where(), f"config check should refuse this block (exit 3), got {r.returncode}:\n"
                      f"{r.stdout}{r.stderr}")
        elif not refused and r.returncode != 0:
            self.fail(block.where(), f"config check refused the block (exit {r.returncode}):\n{r.stdout}{r.stderr}")

    def run_serve(self, cmd, workdir, expected):
        if "--bind" not in cmd:
            cmd += " --bind 127.0.0.1:0"
        p = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=workdir, env=clean_env(self.args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             preexec_fn=die_with_parent)
        lines, wanted = [], max(1, len(expected))
        reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 20
        while len(lines) < wanted and reader.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        reader.join(timeout=5)
        return "".join(re.sub(r"http://127\.0\.0\.1:\d+", self.fixture.default_url, line)
                       for line in lines[:wanted])

    def run_console(self, block, workdir):
        for line, cmd, expected in parse_console(block):
            where = f"{block.path}:{line}"
            if self.fixture.needed_by(cmd):
                self.fixture.start()
            real = self.fixture.to_real(cmd)
            self.commands += 1
            for m in re.finditer(r"\bresync-mon((?:\s+(?:-c|--config)\s+\S+)?)\s+([a-z][a-z-]*)", cmd):
                self.subcommands_run.add(m.group(2))
            if re.match(r"^resync-mon( --config \S+| -c \S+)? serve\b", real):
                actual = self.run_serve(real, workdir, expected)
            else:
                try:
                    r = subprocess.run(["bash", "-c", "umask 022\n" + real], cwd=workdir, env=clean_env(self.args),
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       timeout=COMMAND_TIMEOUT)
                    actual = r.stdout
                except subprocess.TimeoutExpired:
                    self.fail(where, f"`{cmd}` did not finish within {COMMAND_TIMEOUT} s")
                    continue
            actual = normalize(self.fixture.to_doc(actual))
            if not output_regex(expected).fullmatch(actual):
                diff = "\n".join(difflib.unified_diff(normalize("\n".join(expected)).split("\n"),
                                                      actual.split("\n"), "documented", "actual", lineterm=""))
                self.fail(where, f"output of `{cmd}` differs from the page:\n{diff}")

    def run_document(self, path):
        rel = os.path.relpath(path, self.args.source_dir)
        workdir = tempfile.mkdtemp(prefix=re.sub(r"\W", "_", rel) + "-", dir=self.root)
        os.symlink(os.path.join(self.args.source_dir, "examples"), os.path.join(workdir, "examples"))
        text = read(path)
        for problem in broken_links(path, text):
            line, message = problem.split(": ", 1)
            self.fail(f"{rel}:{line}", message)
        for block in parse_markdown(rel, text):
            skip, name, refused = parse_directive(block)
            if skip:
                self.skipped.append(f"{block.where()} ({block.lang or 'plain'}): {skip}")
                continue
            if name:
                with open(os.path.join(workdir, name), "w") as f:
                    f.write(self.fixture.to_real(block.text))
            if block.lang in CONFIG_LANGS:
                self.check_config(block, workdir, name, refused)
            elif block.lang == "console":
                self.run_console(block, workdir)
            elif refused:
                self.fail(block.where(), "'refused' applies to configuration blocks only")


def subcommands(binary):
    """The subcommands `resync-mon --help` lists."""
    text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    section = text.split("Subcommands:", 1)[1] if "Subcommands:" in text else ""
    return {m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]*)\s", section, re.M)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.source_dir = os.path.abspath(args.source_dir)
    files = args.files or [os.path.join(args.source_dir, "README.md")] + sorted(
        os.path.join(args.source_dir, "docs", f) for f in os.listdir(os.path.join(args.source_dir, "docs"))
        if f.endswith(".md"))
    root = tempfile.mkdtemp(prefix="md_test-")
    fixture = Fixture(args, root)
    runner = Runner(args, root, fixture)
    try:
        for path in files:
            runner.run_document(os.path.abspath(path))
    finally:
        fixture.stop()
    if not args.files:
        missing = sorted(subcommands(args.binary) - runner.subcommands_run)
        if missing:
            runner.fail("README.md, docs/", "no console example runs " + ", ".join(missing) +
                        ": every subcommand of `resync-mon --help` needs one (see docs/cli.md)")
    for s in runner.skipped:
        print(f"skipped {s}")
    print(f"{runner.configs} configuration blocks checked, {runner.commands} commands run, "
          f"{len(runner.skipped)} blocks skipped, {len(runner.failures)} failures")
    if runner.failures:
        return 1
    if not args.files and runner.configs + runner.commands == 0:
        print("no example was tested: is the documentation where this test looks?")
        return 1
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
