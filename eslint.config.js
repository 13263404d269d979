// Lint: the type-aware promise checks, type-only imports and unused code, over the TypeScript
// sources in tsconfig.json (each file is checked in the program tsc builds, so scripts/ is in
// tsconfig.json's include). Formatting is prettier's (.prettierrc.json); nothing here overlaps it.
// docs/decisions.md has the reasons.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'helm/', 'deploy/', 'coverage/', 'data/', 'tmp/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // A leading underscore marks a parameter or binding kept for its position (the code's convention).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // `any` stays where a library's types give nothing better (mostly the smpp package and tests).
      '@typescript-eslint/no-explicit-any': 'off',
      // A `let` assigned once after a closure that reads it (a server's handler and the object
      // holding the server) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Control characters in patterns are the point where they appear (GSM text, ANSI colours, headers).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
