/**
 * The zod every schema in functions/ uses: `zod/mini`, the same engine, checks and messages as `zod`
 * with functions instead of methods, so esbuild keeps only what is used (≈ 35 KiB instead of ≈ 95 KiB
 * per bundle). Import it as a namespace (`import * as z from '#core/zod'`) to keep it tree-shakable.
 */
import { config } from 'zod/mini';
// The one locale by path: the `locales` namespace would bundle every language.
import en from 'zod/v4/locales/en.js';

// zod/mini sets no locale (every built-in issue would read "Invalid input"); `zod` loads English on
// import, and the API's field errors and the worker's rejection reasons are those messages.
config(en());

export * from 'zod/mini';
