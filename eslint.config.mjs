// One lint configuration for the whole repository (flat config). Type-aware rules use each
// package's own tsconfig through typescript-eslint's project service.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.turbo/**",
      ".data/**",
      "**/test-artifacts/**",
      "packages/db/src/generated/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.mjs", "apps/miniapp/babel.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      // Unused names are errors, except the deliberate `_name` placeholders.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // Promises handed to callbacks on purpose are marked `void`; everything else must be awaited.
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: true }],
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // Implementations of async interfaces (a memory cache's `async get`) legitimately have no await:
      // `async` turns their throws into rejections, which is the contract callers rely on.
      "@typescript-eslint/require-await": "off",
      // Passing on a caught `unknown` (a login's failure, handed to every later caller) rejects with
      // whatever failed, as a rethrow does; only-throw-error allows unknown the same way by default.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // Libraries log through an injected logger; only programs (scripts, CLIs, tests) print.
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: ["**/scripts/**", "**/bench/**", "**/test/**", "**/e2e/**", "**/main.ts", "**/*.config.ts"],
    rules: { "no-console": "off" },
  },
  {
    // Vitest's asymmetric matchers (expect.any, expect.stringMatching, ...) are typed `any` on
    // purpose: they stand in for a value of any type inside toEqual/toMatchObject objects, which this
    // rule reports on every property. The other no-unsafe-* rules still catch an `any` put to use.
    files: ["**/test/**/*.ts", "**/e2e/**/*.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: ["apps/miniapp/src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    // Plain JavaScript config files: no type information to lint with.
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
