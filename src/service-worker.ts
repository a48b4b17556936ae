/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The app shell for the installed PWA (Workbox): the built JS/CSS, the static
// files and the offline page are precached; pages come from the network (they
// are per user and live), and the offline page stands in when there is none.
// API calls, live video and map tiles are never cached.
import { build, files, version } from '$service-worker';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute, setCatchHandler } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';

declare const self: ServiceWorkerGlobalScope;

const OFFLINE = '/offline';

precacheAndRoute([
	...build.map((url) => ({ url, revision: null })), // content-hashed names
	...files.map((url) => ({ url, revision: version })),
	{ url: OFFLINE, revision: version }
]);
cleanupOutdatedCaches();

registerRoute(new NavigationRoute(new NetworkOnly()));
setCatchHandler(async ({ request }) => {
	if (request.mode === 'navigate') return (await matchPrecache(OFFLINE)) ?? Response.error();
	return Response.error();
});

// A new version takes over at once: the shell and the server move together.
self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
