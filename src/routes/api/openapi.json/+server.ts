import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { version } from '$lib/server/config';
import { httpBase } from '$lib/server/http/public-url';
import { openapiDocument } from '$lib/server/openapi';

// The OpenAPI 3.1 description of the native API; tests/openapi.test.ts keeps it in step with the routes.
export const GET: RequestHandler = ({ url }) => json(openapiDocument(httpBase(url), version));
