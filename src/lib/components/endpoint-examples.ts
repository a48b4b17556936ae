// The endpoint reference of the API token page, filled with the real host and token.

export interface EndpointDoc {
	method: 'GET' | 'POST' | 'WS';
	path: string;
	summary: string;
	examples: { curl: string; python: string; javascript: string };
}

export function endpointDocs(base: string, token: string, cameraId: string): EndpointDoc[] {
	const ws = base.replace(/^http/, 'ws');
	const get = (path: string, summary: string): EndpointDoc => ({
		method: 'GET',
		path,
		summary,
		examples: {
			curl: `curl -H "Authorization: Bearer ${token}" \\\n  "${base}${path}"`,
			python: `import requests\nr = requests.get("${base}${path}",\n    headers={"Authorization": "Bearer ${token}"})\nprint(r.status_code, r.headers["content-type"])`,
			javascript: `const r = await fetch("${base}${path}", {\n  headers: { Authorization: "Bearer ${token}" }\n});\nconsole.log(r.status, r.headers.get("content-type"));`
		}
	});
	return [
		{
			method: 'POST',
			path: '/api/auth/login',
			summary: 'Log in and get a JWT (valid 24 hours)',
			examples: {
				curl: `curl -s -X POST "${base}/api/auth/login" \\\n  -H "Content-Type: application/json" \\\n  -d '{"username":"USER","password":"PASS"}'`,
				python: `import requests\nresp = requests.post("${base}/api/auth/login",\n    json={"username": "USER", "password": "PASS"})\ntoken = resp.json()["token"]`,
				javascript: `const resp = await fetch("${base}/api/auth/login", {\n  method: "POST",\n  headers: { "Content-Type": "application/json" },\n  body: JSON.stringify({ username: "USER", password: "PASS" })\n});\nconst { token } = await resp.json();`
			}
		},
		get('/api/cameras', 'Cameras with GPS position (all=true: every camera; format=geojson: GeoJSON)'),
		get('/api/cameras?format=geojson', 'The same as a GeoJSON FeatureCollection, [lon, lat]'),
		get('/api/proxy/streams', 'Your cameras with ready stream URLs'),
		get(`/api/proxy/frame?id=${cameraId}`, 'One keyframe as MP4 (thumbnail)'),
		get(`/api/proxy/hls?id=${cameraId}`, 'HLS playlist'),
		get(`/api/proxy/mp4?id=${cameraId}`, 'Continuous fragmented MP4'),
		get(`/api/proxy/rtsp-url?id=${cameraId}`, 'Anonymous RTSP URL for NVR / CCTV software'),
		{
			method: 'WS',
			path: `/api/proxy/ws?id=${cameraId}`,
			summary: 'WebSocket for video-stream.js (WebRTC / MSE / HLS); the token goes in the query',
			examples: {
				curl: `# WebSockets can't carry headers: the token goes in the query\n${ws}/api/proxy/ws?id=${cameraId}&token=${token}`,
				python: `import websocket  # pip install websocket-client\nws = websocket.create_connection("${ws}/api/proxy/ws?id=${cameraId}&token=${token}")\nws.send('{"type":"mse","value":"avc1.640029"}')\nprint(ws.recv())`,
				javascript: `<script type="module" src="${base}/video-stream.js"></script>\nconst player = document.createElement('video-stream');\nplayer.mode = 'webrtc,mse,hls';\nplayer.src = '${ws}/api/proxy/ws?id=${cameraId}&token=${token}';\ndocument.body.appendChild(player);`
			}
		}
	];
}
