// Validates AsyncAPI documents with the official parser (@asyncapi/parser): every file named on the
// command line must parse with no error-level diagnostic. Exit status 1 otherwise.
//
//   NODE_PATH=<folder holding node_modules/@asyncapi/parser> node validate.cjs services/*/asyncapi.json
//
// Run by tests/test_asyncapi_parser.py; the parser is installed from this folder's package-lock.json
// into .cache/ by the dev stack (python3 deploy/local/stack.py install asyncapi), never globally.
"use strict";

const { readFileSync } = require("node:fs");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main(paths) {
  const parser = new Parser();
  let failed = false;
  for (const path of paths) {
    const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
    for (const d of errors) {
      console.log(`${path}: error ${d.code}: ${d.message} at ${(d.path || []).join(".")}`);
    }
    if (!document || errors.length) {
      failed = true;
    }
    const version = document ? document.version() : "unparsed";
    console.log(`${path}: AsyncAPI ${version}, ${errors.length} errors, ${warnings.length} warnings`);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
