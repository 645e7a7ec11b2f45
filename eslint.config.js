// ESLint for the page's browser modules (static/js) and their Node unit tests
// (tests/js): the recommended rules, with the globals each place really has.

import js from "@eslint/js";
import globals from "globals";

// Modules with no browser API at all, so Node imports and tests them as they are.
const PURE_MODULES = [
  "static/js/conversation/limits.js",
  "static/js/conversation/presence.js",
  "static/js/conversation/runs.js",
];

// Audio worklets run in their own scope, with no window or document.
const WORKLETS = "static/js/worklets/**/*.js";

export default [
  { ignores: ["node_modules/", "staticfiles/", ".venv/", "artifacts/"] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: "latest", sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["static/js/**/*.js"],
    ignores: [...PURE_MODULES, WORKLETS],
    languageOptions: { globals: globals.browser },
  },
  { files: [WORKLETS], languageOptions: { globals: globals.audioWorklet } },
  { files: PURE_MODULES, languageOptions: { globals: globals["shared-node-browser"] } },
  { files: ["tests/js/**/*.js", "eslint.config.js"], languageOptions: { globals: globals.node } },
];
