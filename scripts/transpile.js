// Loads .ts files without type-checking, for the tests, `npm test`, the benches and the offline policy pack
// process (offline/policy/launch-pack.ts): mocha's --require (.mocharc.json) and `node -r`.
// Sucrase strips the types and turns imports into CommonJS, file by file, without type-checking (that is
// `tsc --noEmit`'s job): about seven times less CPU than TypeScript's own transpiler, and plain
// JavaScript, nothing native. It keeps every line where it was, so stack traces point at the .ts lines
// without source maps. disableESTransforms leaves class fields, optional chaining and the like as they
// are: Node runs them, and class fields then behave as tsc emits them for target es2022.
"use strict";
require("sucrase/dist/register").addHook(".ts", { transforms: ["typescript", "imports"], disableESTransforms: true });
