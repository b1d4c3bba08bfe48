#!/usr/bin/env bash
# tests/e2e/source_rules.sh - rules of STYLE.md that a compiler or a script
# can hold, so that they need no reviewer: the banned functions (lib/banned.h,
# as git's) fail to compile in every source file, and every lib/ and src/
# file opens with a comment saying what it is for.  env: ROOT.
# Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"

CC=${CC:-cc}
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -iquote "$ROOT/lib" -iquote "$ROOT/tests/unit"
	-DMMOPS_VERSION='"test"')
read -r -a PKGF <<< "$(pkg-config --cflags jansson yaml-0.1 libcurl libmicrohttpd libxml-2.0 2>/dev/null)"

# each banned call, after the system headers and an mmops header, as in a real file
while read -r fn call; do
	printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>\n#include "err.h"\nint f(void);\nint f(void) { char b[16] = "x"; time_t t = 0; (void)b; (void)t; %s; return 0; }\n' \
		"$call" > "$T/banned_$fn.c"
	"$CC" "${CFLAGS[@]}" -c -o "$T/b.o" "$T/banned_$fn.c" > "$T/cc_$fn.out" 2>&1
	rc=$?
	check "$fn does not compile (sorry_${fn}_is_a_banned_function)" \
		bash -c "[ $rc != 0 ] && grep -q 'sorry_${fn}_is_a_banned_function' '$T/cc_$fn.out'"
done <<'CALLS'
strcpy strcpy(b, "y")
strcat strcat(b, "y")
sprintf sprintf(b, "%d", 1)
vsprintf vsprintf(b, "%d", NULL)
strtok strtok(b, ",")
gmtime gmtime(&t)
localtime localtime(&t)
atoi atoi(b)
atol atol(b)
CALLS
printf '#include <stdio.h>\n#include <string.h>\n#include <time.h>\n#include "err.h"\nint f(void);\nint f(void) { char b[16]; struct tm tm; time_t t = 0; char *save; snprintf(b, sizeof(b), "%%d", 1); (void)strtok_r(b, ",", &save); return gmtime_r(&t, &tm) == NULL; }\n' > "$T/allowed.c"
check "the bounded and reentrant replacements compile" "$CC" "${CFLAGS[@]}" -c -o "$T/a.o" "$T/allowed.c"

# every source file sees banned.h (through err.h, xalloc.h, log.h, stats.h, crc32c.h or cmds.h)
uncovered=()
for f in "$ROOT"/lib/*.c "$ROOT"/src/*.c "$ROOT"/tests/unit/*.c "$ROOT"/fuzz/*.c "$ROOT"/bench/*.c; do
	[ -e "$f" ] || continue
	"$CC" "${CFLAGS[@]}" "${PKGF[@]}" -E -dM "$f" 2>/dev/null | grep -q MM_BANNED_H || uncovered+=("${f#"$ROOT"/}")
done
check "every source file includes banned.h (missing: ${uncovered[*]:-none})" test ${#uncovered[@]} = 0

# every lib/ and src/ file opens with its comment (STYLE.md: "Each .c opens with one paragraph")
bare=()
for f in "$ROOT"/lib/*.[ch] "$ROOT"/src/*.[ch]; do
	head -1 "$f" | grep -q '^/\*' || bare+=("${f#"$ROOT"/}")
done
check "every lib/ and src/ file opens with a comment saying what it is for (missing: ${bare[*]:-none})" \
	test ${#bare[@]} = 0

# README's layout is a map of lib/: every module has its row
unmapped=()
for h in "$ROOT"/lib/*.h; do
	m=$(basename "$h" .h)
	grep -q "^| \`$m\` | " "$ROOT/README.md" || unmapped+=("$m")
done
check "every lib/ module has a row in README's map of lib/ (missing: ${unmapped[*]:-none})" \
	test ${#unmapped[@]} = 0

finish source_rules
