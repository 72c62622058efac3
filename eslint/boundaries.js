// @ts-check
/**
 * The architecture's import boundaries (docs/architecture.md, "Boundaries"), as ESLint
 * `no-restricted-imports` rules per folder. test/unit/boundaries.test.ts proves each one fires.
 * Patterns are regular expressions on the import specifier (gitignore-style patterns would read
 * the `#` of the package's import aliases as a comment).
 */

/** @typedef {{ regex: string, message: string }} Boundary */

/** @type {Boundary[]} */
const runtimeForbidden = [
  { regex: '^#test/|(^|/)test/', message: 'Runtime code never imports test code.' },
  {
    regex: '^#web/build$|(^|/)web/build(\\.ts)?$',
    message: 'Runtime code never imports the console build script.',
  },
];

/** @type {Boundary[]} */
const adapterForbidden = [
  {
    regex: '^#commons/',
    message:
      'Adapters and the core do not depend on commons (configuration, middlewares): they receive what they need.',
  },
  { regex: '^#functions/', message: 'Adapters and the core never import function entry files.' },
  { regex: '^#infra/|(^|/)infra/', message: 'Function code never imports infrastructure code.' },
];

/** @type {Boundary[]} */
const coreForbidden = [
  { regex: '^pg(/|$)', message: 'The core has no database driver: use a port (functions/core/ports.ts).' },
  { regex: '^(@aws-sdk/|aws-sdk(/|$))', message: 'The core has no AWS SDK: use a port.' },
  { regex: '^@middy/', message: 'The core knows no HTTP middleware.' },
  { regex: '^@aws-lambda-powertools/', message: 'The core does not log or emit metrics itself.' },
  { regex: '^#adapters/|(^|/)adapters/', message: 'The core depends on ports, never on adapters.' },
  ...adapterForbidden,
];

/** @param {Boundary[]} patterns */
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** @type {import('eslint').Linter.Config[]} */
export const boundaries = [
  { files: ['functions/**', 'infra/**', 'layers/**', 'web/src/**'], rules: restrict(runtimeForbidden) },
  { files: ['functions/adapters/**'], rules: restrict([...runtimeForbidden, ...adapterForbidden]) },
  { files: ['functions/core/**'], rules: restrict([...runtimeForbidden, ...coreForbidden]) },
];
