/**
 * GET /assets/{file}: the console's scripts, styles and icon. The route table names one entry file
 * per route, and the page and its assets are one piece of code, so this entry is functions/api/console.ts.
 */
export { handler } from './console';
