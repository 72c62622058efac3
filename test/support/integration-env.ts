/**
 * Setup file of the `integration` project: runs in each test worker before the test file is
 * imported, so handlers that read their configuration at module scope see the local services.
 */
import { inject } from 'vitest';

Object.assign(process.env, inject('localEnv'));
