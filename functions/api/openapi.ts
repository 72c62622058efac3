import { apiHandler } from '#commons/http';
import { openApiDocument } from '#commons/openapi';

// Built once per instance: it depends only on code.
const document = openApiDocument();

export const handler = apiHandler(() => Promise.resolve({ statusCode: 200, body: document }));
