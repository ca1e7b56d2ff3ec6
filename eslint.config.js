// ESLint (flat config): typescript-eslint's recommended rules, import/no-cycle over the source
// tree, and prettier for layout (run separately: `npm run lint` runs both).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const importPlugin = require('eslint-plugin-import');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'reports/', '.stryker-tmp/', 'examples/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { import: importPlugin },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.mts', '.js', '.json'] } },
      'import/extensions': ['.ts', '.mts', '.js'],
    },
    rules: {
      // Type imports count too: a cycle of types is still a cycle of modules that cannot be read apart.
      'import/no-cycle': ['error', { ignoreExternal: true }],
      // Heavy modules (datafire, msal-node, ajv, zip libraries) are required where first used, by design:
      // importing the package stays cheap. Every such require is typed with `typeof import(...)`.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests build odd values on purpose (wrong types, fake clients).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
