// The OpenAPI 3.1 description of the native REST API (document 000 and the
// admin endpoints around it), served at GET /api/openapi.json. The live video
// WebSocket (WS /api/proxy/ws) has no OpenAPI operation: it is described under
// the `x-websocket` extension.
//
// Plain data, no imports: tests/openapi.test.ts loads it without SvelteKit and
// checks it against every src/routes/api/**/+server.ts (both directions), so a
// route added or removed without touching this file fails the test.
//
// Validation limits below mirror src/lib/server/cameras/cameras.ts,
// cameras/source.ts, users/users.ts and auth/password.ts; the test compares the
// ones it can read from those files. The live media endpoints authorize through
// src/lib/server/live/access.ts (liveCamera): 400 / 401 / 404 / 503 below.

import { recordingCameraProperties, recordingPaths, recordingSchemas, type OpenapiHelpers } from './openapi-recording';

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const parameter = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });

const JSON_TYPE = 'application/json';
const jsonBody = (s: object, examples?: Record<string, { summary?: string; value: unknown }>) => ({
	[JSON_TYPE]: { schema: s, ...(examples ? { examples } : {}) }
});

// Who may call: a JWT in the Authorization header or in ?token=, or the browser's session cookie.
const signedIn = [{ bearerAuth: [] }, { tokenQuery: [] }, { sessionCookie: [] }];
const open: never[] = [];

// Responses that every signed-in / admin-only operation can give.
const userErrors = { '401': response('Unauthorized') };
const adminErrors = { '401': response('Unauthorized'), '403': response('Forbidden') };

// Examples from document 000 (HOST is the server's host name).
const CAMERA_A = { id: 'a3f9c12d8e4b', label: 'Ngã tư An Sương', lat: 10.823145, lon: 106.629732 };
const CAMERA_B = { id: 'b7e2a1f4c3d9', label: 'Cầu Bình Lợi', lat: 10.834211, lon: 106.710445 };
const CAMERA_NO_POSITION = { id: 'c9d3b2e1a4f8', label: '', lat: null, lon: null };
// GET /api/cameras/{id}: the live status of a camera being watched (src/lib/server/hub/stream.ts).
const STATUS_ONLINE = {
	state: 'online',
	error: null,
	codec: 'avc1.640028',
	audioCodec: 'mp4a.40.2',
	width: 1920,
	height: 1080,
	fps: 25,
	bitrate: 4096000,
	since: '2025-01-15T08:31:02.000Z'
};
const STATUS_ERROR_ADMIN = {
	state: 'error',
	error: 'rtsp://192.168.1.64:554/Streaming/Channels/101: Connection timed out',
	codec: null,
	audioCodec: null,
	width: null,
	height: null,
	fps: null,
	bitrate: null,
	since: '2025-01-15T09:12:40.000Z'
};
// What a camera the live hub has not loaded yet reports, e.g. in the answer to POST /api/cameras.
const STATUS_NOT_LOADED = { ...STATUS_ERROR_ADMIN, state: 'offline', error: null, since: '1970-01-01T00:00:00.000Z' };
const ADMIN_CAMERA = {
	id: CAMERA_A.id,
	name: 'camera_01',
	label: CAMERA_A.label,
	lat: CAMERA_A.lat,
	lon: CAMERA_A.lon,
	source: 'rtsp://192.168.1.64:554/Streaming/Channels/101',
	enabled: true,
	keepalive: false,
	tags: ['district-12'],
	pushKey: null,
	publish: null,
	status: STATUS_ONLINE,
	recordMode: 'continuous',
	segmentSec: null,
	retentionDays: 30,
	snapshotSec: 0,
	recording: { state: 'recording', reason: 'continuous', error: null, since: '2025-01-15T08:31:02.000Z', manualUntil: null },
	createdAt: '2025-01-15T08:30:00.000Z',
	updatedAt: '2025-01-15T08:30:00.000Z'
};
// Saved grid layouts (src/lib/server/layouts/layouts.ts).
const LAYOUT_INPUT = { name: 'Lobby', size: 4, cameras: [CAMERA_A.id, CAMERA_B.id, null, null] };
const LAYOUT = { id: 'd41c8e2f9a07', name: 'Lobby', size: 4, cameras: [CAMERA_A.id, CAMERA_B.id, null, null], createdAt: '2025-01-15T10:00:00.000Z', updatedAt: '2025-01-15T10:00:00.000Z' };

const streamUrlsFor = (id: string, token = '...') => ({
	ws_url: `ws://HOST:1984/api/proxy/ws?id=${id}&token=${token}`,
	hls_url: `http://HOST:1984/api/proxy/hls?id=${id}&token=${token}`,
	frame_url: `http://HOST:1984/api/proxy/frame?id=${id}&token=${token}`,
	mp4_url: `http://HOST:1984/api/proxy/mp4?id=${id}&token=${token}`,
	rtsp_url: `rtsp://HOST:8554/${id}`
});

// What a camera accepts on create and patch (CAMERA_FIELDS).
const cameraInputProperties = {
	name: {
		type: 'string',
		description:
			'Original stream name, shown to admins only. Letters, digits, "_", "-", "." and "/" between parts; starts with a letter or digit; must not look like a camera id (12 hex characters). Unique.',
		minLength: 1,
		maxLength: 128,
		pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*(\\/[A-Za-z0-9_.-]+)*$',
		not: { pattern: '^[0-9a-f]{12}$' },
		examples: ['camera_01', 'district-12/gate.north']
	},
	label: { type: 'string', maxLength: 200, description: 'Public label (trimmed). Default "".', examples: ['Ngã tư An Sương'] },
	lat: {
		type: ['number', 'null'],
		minimum: -90,
		maximum: 90,
		description: 'Latitude (WGS 84). Given together with lon; both null for no position.'
	},
	lon: {
		type: ['number', 'null'],
		minimum: -180,
		maximum: 180,
		description: 'Longitude (WGS 84). Given together with lat; both null for no position.'
	},
	source: {
		type: 'string',
		maxLength: 2048,
		description:
			'Where the video comes from: an rtsp://, rtsps://, rtmp://, http://, https:// URL with a host, file:///absolute/path of a file on the server, demo:// (a generated test pattern with a running clock, e.g. demo://testpattern; the demo camera of a fresh install), or "push" (the camera publishes to the server).',
		anyOf: [{ const: 'push' }, { pattern: '^(rtsps?|rtmp|https?|file|demo)://' }],
		examples: ['rtsp://user:pass@192.168.1.64:554/Streaming/Channels/101', 'demo://testpattern', 'push']
	},
	enabled: { type: 'boolean', description: 'Default true.' },
	keepalive: { type: 'boolean', description: 'Keep pulling the source with no viewer. Default false.' },
	tags: {
		type: 'array',
		items: { type: 'string', minLength: 1, maxLength: 64 },
		maxItems: 32,
		description: 'Free-form tags; duplicates are dropped. Default [].'
	},
	...recordingCameraProperties
};

const userInputProperties = {
	username: {
		type: 'string',
		pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$',
		description: '1-64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit.'
	},
	password: { type: 'string', minLength: 8, maxLength: 256, writeOnly: true },
	role: { ...schema('Role'), description: 'Default viewer.' },
	cameras: { ...schema('CameraRights'), description: 'Default [] (no camera).' },
	push: { ...schema('PushPattern'), description: 'Default "" (no push rights).' }
};

const schemas = {
	Error: {
		type: 'object',
		description: 'Every error of the native API.',
		required: ['error'],
		properties: { error: { type: 'string', description: 'What went wrong, for a person to read.' } },
		examples: [{ error: 'camera not found' }]
	},
	CameraId: {
		type: 'string',
		pattern: '^[0-9a-f]{12}$',
		description: "A camera's anonymous public id (12 lowercase hex characters), used in every URL; the original name never appears.",
		examples: ['a3f9c12d8e4b']
	},
	Role: { type: 'string', enum: ['admin', 'operator', 'viewer'] },
	CameraRights: {
		description: 'The cameras a user may see: "*" (every camera, also ones added later) or a list of camera ids. Admins always see "*".',
		oneOf: [{ const: '*' }, { type: 'array', items: schema('CameraId') }],
		examples: ['*', ['a3f9c12d8e4b', 'b7e2a1f4c3d9']]
	},

	LoginRequest: {
		type: 'object',
		required: ['username', 'password'],
		properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } }
	},
	LoginResponse: {
		type: 'object',
		required: ['token', 'username', 'role'],
		properties: {
			token: { type: 'string', description: 'HS256 JWT, valid 24 hours. Send as "Authorization: Bearer <token>" or ?token=.' },
			username: { type: 'string' },
			role: schema('Role')
		}
	},
	CurrentUser: {
		type: 'object',
		required: ['username', 'role'],
		properties: { username: { type: 'string' }, role: schema('Role') }
	},
	PasswordChange: {
		type: 'object',
		required: ['currentPassword', 'newPassword'],
		additionalProperties: false,
		properties: {
			currentPassword: { type: 'string', writeOnly: true },
			newPassword: { type: 'string', minLength: 8, maxLength: 256, writeOnly: true }
		}
	},
	Ok: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
	Health: {
		type: 'object',
		required: ['ok', 'version'],
		properties: { ok: { const: true }, version: { type: 'string', examples: ['0.1.0'] } }
	},

	CameraListItem: {
		type: 'object',
		description: 'An item of GET /api/cameras: no stream URL, only id, label and position. `name` is present for admins only.',
		required: ['id', 'label', 'lat', 'lon'],
		properties: {
			id: schema('CameraId'),
			name: { type: 'string', description: 'Admins only.' },
			label: { type: 'string' },
			lat: { type: ['number', 'null'] },
			lon: { type: ['number', 'null'] }
		}
	},
	CameraFeatureCollection: {
		type: 'object',
		description: 'GET /api/cameras?format=geojson. Coordinates are [lon, lat] (GeoJSON order); a camera with no position has geometry null.',
		required: ['type', 'features'],
		properties: {
			type: { const: 'FeatureCollection' },
			features: {
				type: 'array',
				items: {
					type: 'object',
					required: ['type', 'geometry', 'properties'],
					properties: {
						type: { const: 'Feature' },
						geometry: {
							oneOf: [
								{
									type: 'object',
									required: ['type', 'coordinates'],
									properties: {
										type: { const: 'Point' },
										coordinates: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2 }
									}
								},
								{ type: 'null' }
							]
						},
						properties: {
							type: 'object',
							required: ['id', 'label'],
							properties: { id: schema('CameraId'), name: { type: 'string', description: 'Admins only.' }, label: { type: 'string' } }
						}
					}
				}
			}
		}
	},
	StreamStatus: {
		type: 'object',
		description:
			'The live state of a camera\'s stream. codec, audioCodec, width and height are known once the stream\'s init segment arrived, fps and bitrate once it has been online for a second; every state but online starts with them null.',
		required: ['state', 'error', 'codec', 'audioCodec', 'width', 'height', 'fps', 'bitrate', 'since'],
		properties: {
			state: {
				type: 'string',
				enum: ['offline', 'starting', 'online', 'error'],
				description:
					'offline: not pulled (no viewer and no keepalive, disabled, a push camera, or not loaded yet); starting: the source is being opened; online: media is flowing; error: the last attempt failed, retried with a growing delay.'
			},
			error: {
				type: ['string', 'null'],
				description:
					'Why the state is error, else null. Admins get the reason (it may name the source host, never its password); other users get "camera unreachable".',
				examples: ['camera unreachable']
			},
			codec: { type: ['string', 'null'], description: 'The video codec (RFC 6381).', examples: ['avc1.640028', 'hvc1.1.6.L120.B0'] },
			audioCodec: { type: ['string', 'null'], description: 'The audio codec (RFC 6381); null with no audio track.', examples: ['mp4a.40.2', 'opus'] },
			width: { type: ['integer', 'null'], minimum: 1, description: 'Video width, pixels.' },
			height: { type: ['integer', 'null'], minimum: 1, description: 'Video height, pixels.' },
			fps: { type: ['number', 'null'], minimum: 0, description: 'Video frames per second over the last few seconds (one decimal).' },
			bitrate: { type: ['integer', 'null'], minimum: 0, description: 'Bits per second over the last few seconds (audio and video).' },
			since: {
				type: 'string',
				format: 'date-time',
				description: 'When the state began. A camera the live hub has not loaded yet (as in the answer to POST /api/cameras) reports offline since 1970-01-01T00:00:00.000Z.'
			}
		},
		examples: [STATUS_ONLINE, STATUS_ERROR_ADMIN]
	},
	Camera: {
		type: 'object',
		description: 'The whole camera, as admins see it.',
		required: ['id', 'name', 'label', 'lat', 'lon', 'source', 'enabled', 'keepalive', 'tags', 'recordMode', 'segmentSec', 'retentionDays', 'snapshotSec', 'pushKey', 'publish', 'status', 'recording', 'createdAt', 'updatedAt'],
		properties: {
			id: schema('CameraId'),
			...cameraInputProperties,
			pushKey: {
				type: ['string', 'null'],
				readOnly: true,
				description: 'For source "push": the secret the device publishes with (in the publish URLs); null otherwise.'
			},
			publish: {
				type: ['object', 'null'],
				readOnly: true,
				description: 'For source "push": where the device publishes (RTMP publish, or RTSP ANNOUNCE/RECORD); null otherwise.',
				required: ['rtmp', 'rtsp'],
				properties: {
					rtmp: { type: 'string', example: 'rtmp://HOST:1935/live/a3f9c12d8e4b?key=0f1e2d3c4b5a69788796a5b4c3d2e1f0' },
					rtsp: { type: 'string', example: 'rtsp://HOST:8554/a3f9c12d8e4b?key=0f1e2d3c4b5a69788796a5b4c3d2e1f0' }
				}
			},
			status: { ...schema('StreamStatus'), readOnly: true, description: 'The live status; error carries the reason.' },
			recording: { ...schema('RecordingStatus'), readOnly: true },
			createdAt: { type: 'string', format: 'date-time', readOnly: true },
			updatedAt: { type: 'string', format: 'date-time', readOnly: true }
		}
	},
	CameraView: {
		type: 'object',
		description: 'A camera as a non-admin user granted it sees it: no name, no source.',
		required: ['id', 'label', 'lat', 'lon', 'enabled', 'tags', 'status'],
		properties: {
			id: schema('CameraId'),
			label: { type: 'string' },
			lat: { type: ['number', 'null'] },
			lon: { type: ['number', 'null'] },
			enabled: { type: 'boolean' },
			tags: { type: 'array', items: { type: 'string' } },
			status: { ...schema('StreamStatus'), description: 'The live status; error is "camera unreachable" or null.' }
		}
	},
	CameraInput: {
		type: 'object',
		description: 'A new camera. lat and lon are given together (or both null).',
		required: ['name', 'source'],
		additionalProperties: false,
		dependentRequired: { lat: ['lon'], lon: ['lat'] },
		properties: cameraInputProperties
	},
	CameraPatch: {
		type: 'object',
		description: 'The fields to change; the others stay. After the change lat and lon must both be numbers or both null.',
		additionalProperties: false,
		properties: cameraInputProperties
	},

	Consumer: {
		type: 'object',
		description: "One viewer or puller of a camera's live stream.",
		required: ['protocol', 'remoteAddress', 'startedAt', 'bytes'],
		properties: {
			protocol: {
				type: 'string',
				description:
					'How it watches: mse (WebSocket MSE), mp4-frames (WebSocket keyframe MP4s), mp4 (GET /api/proxy/mp4), hls (an HLS session), webrtc.',
				examples: ['mse', 'mp4-frames', 'mp4', 'hls', 'webrtc']
			},
			remoteAddress: { type: 'string', description: "The client's address.", examples: ['192.168.1.20'] },
			startedAt: { type: 'string', format: 'date-time' },
			bytes: { type: 'integer', minimum: 0, description: 'Bytes sent to it so far, as its output counts them (WebRTC: 0, not counted).' }
		}
	},

	Stream: {
		type: 'object',
		description: 'A camera the user may open, with ready-to-use URLs carrying a token. `name` is present for admins only.',
		required: ['id', 'ws_url', 'hls_url', 'frame_url', 'mp4_url', 'rtsp_url'],
		properties: {
			id: schema('CameraId'),
			name: { type: 'string', description: 'Admins only.' },
			ws_url: { type: 'string', format: 'uri', description: 'WebSocket for video-stream.js (WebRTC / MSE / HLS).' },
			hls_url: { type: 'string', format: 'uri', description: 'LL-HLS master playlist (application/vnd.apple.mpegurl).' },
			frame_url: { type: 'string', format: 'uri', description: 'One keyframe as MP4 (video/mp4).' },
			mp4_url: { type: 'string', format: 'uri', description: 'Continuous fragmented MP4 (video/mp4).' },
			rtsp_url: { type: 'string', format: 'uri', description: 'Anonymous RTSP restream: rtsp://HOST:RTSP_PORT/<id>.' }
		}
	},
	RtspUrl: {
		type: 'object',
		required: ['stream_id', 'rtsp_url', 'rtsp_port', 'note'],
		properties: {
			stream_id: schema('CameraId'),
			rtsp_url: { type: 'string', format: 'uri' },
			rtsp_port: { type: 'string', description: 'The RTSP port, as a string (document 000).', examples: ['8554'] },
			note: { type: 'string' }
		}
	},

	User: {
		type: 'object',
		required: ['username', 'role', 'cameras', 'push', 'createdAt'],
		properties: {
			username: { type: 'string' },
			role: schema('Role'),
			cameras: schema('CameraRights'),
			push: schema('PushPattern'),
			createdAt: { type: 'string', format: 'date-time' }
		}
	},
	PushPattern: {
		type: 'string',
		maxLength: 1024,
		description:
			'Push rights (document 001\'s "push"): comma-separated stream paths the user may publish to over RTMP (`rtmp://HOST:1935/live/<path>?user=&pass=` or `?token=`) or RTSP ANNOUNCE (`rtsp://user:pass@HOST:8554/<path>`), `*` standing for any run of characters. A path is a camera id or name; a name no camera has yet creates a push camera, granted to the user. "" none, "*" all. Admins may publish anywhere.',
		examples: ['*', 'site1/*,gate']
	},
	UserInput: {
		type: 'object',
		required: ['username', 'password'],
		additionalProperties: false,
		properties: userInputProperties
	},
	UserPatch: {
		type: 'object',
		description:
			'The fields to change. A new password ends the user\'s tokens and sessions. `username` cannot be changed (if given, it must be the current one). `cameras` replaces the whole list.',
		additionalProperties: false,
		properties: {
			username: { type: 'string', description: 'Must equal the username in the path.' },
			password: userInputProperties.password,
			role: schema('Role'),
			cameras: schema('CameraRights'),
			push: schema('PushPattern')
		}
	},

	Layout: {
		type: 'object',
		description: 'A saved grid layout of the signed-in user. A camera the user may no longer see shows as an empty tile (null).',
		required: ['id', 'name', 'size', 'cameras', 'createdAt', 'updatedAt'],
		properties: {
			id: { type: 'string', pattern: '^[0-9a-f]{12}$' },
			name: { type: 'string' },
			size: { type: 'integer', enum: [1, 4, 9, 16] },
			cameras: { type: 'array', items: { anyOf: [schema('CameraId'), { type: 'null' }] } },
			createdAt: { type: 'string', format: 'date-time' },
			updatedAt: { type: 'string', format: 'date-time' }
		}
	},
	LayoutInput: {
		type: 'object',
		required: ['name', 'size', 'cameras'],
		additionalProperties: false,
		properties: {
			name: { type: 'string', minLength: 1, maxLength: 64, description: 'Unique among the user\'s layouts.' },
			size: { type: 'integer', enum: [1, 4, 9, 16], description: 'Tiles: 1, 4, 9 or 16.' },
			cameras: {
				type: 'array',
				description: 'One entry per tile (exactly `size`): a camera id the user may see, or null for an empty tile.',
				items: { anyOf: [schema('CameraId'), { type: 'null' }] }
			}
		}
	},

	WsMessage: {
		type: 'object',
		description: 'A JSON text frame of WS /api/proxy/ws, either way (go2rtc video-stream.js protocol); see x-websocket.',
		required: ['type'],
		properties: {
			type: {
				type: 'string',
				enum: ['mse', 'hls', 'mp4', 'webrtc/offer', 'webrtc/answer', 'webrtc/candidate', 'error']
			},
			value: { type: 'string' }
		},
		examples: [{ type: 'mse', value: 'avc1.640029,mp4a.40.2,opus' }, { type: 'error', value: 'mse: no video track this client can play' }]
	}
};

const errorContent = (examples: Record<string, string>) =>
	jsonBody(
		schema('Error'),
		Object.fromEntries(Object.entries(examples).map(([name, error]) => [name, { value: { error } }]))
	);

const layoutBadRequest = {
	description: 'Malformed body, unknown field, size not 1/4/9/16, a cameras array of the wrong length, or a camera the caller may not see.',
	content: errorContent({ size: 'size must be 1, 4, 9 or 16', length: 'cameras must have 4 entries, one per tile', camera: 'unknown camera id: 000000000000' })
};

// liveCamera (src/lib/server/live/access.ts): why a visible camera has no live stream.
const LIVE_UNAVAILABLE = { disabled: 'camera is disabled', notLoaded: 'camera is not available yet' };

/** 503 of a live endpoint that can also give up waiting for the camera. */
const cameraUnavailable = (description: string, examples: Record<string, string>) => ({
	description: `The camera is disabled or not loaded by the live hub yet, or ${description}`,
	content: errorContent({ ...LIVE_UNAVAILABLE, ...examples })
});

// Every error of an endpoint behind liveCamera: a camera id is required, it must be visible, enabled and loaded.
const liveErrors = {
	'400': response('CameraIdRequired'),
	...userErrors,
	'404': response('CameraNotFound'),
	'503': response('CameraUnavailable')
};

// Binary media: OpenAPI 3.1 describes a body of another media type by its media type alone.
const media = (type: string) => ({ [type]: {} });
const cacheControl = (value: string) => ({ 'Cache-Control': { description: value, schema: { type: 'string', const: value } } });

const responses = {
	BadRequest: {
		description: 'The request is malformed or fails validation.',
		content: errorContent({
			invalidJson: 'request body must be valid JSON',
			unknownField: 'unknown field: nmae',
			validation: 'lat must be between -90 and 90'
		})
	},
	Unauthorized: {
		description: 'No credentials, or they are invalid, expired or revoked (a changed password or a deleted user revokes tokens).',
		headers: { 'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } } },
		content: errorContent({
			missing: 'authentication required',
			expired: 'token expired',
			invalid: 'invalid token',
			revoked: 'token revoked'
		})
	},
	Forbidden: {
		description: 'The caller is signed in but is not an admin.',
		content: errorContent({ forbidden: 'admin rights required' })
	},
	CameraNotFound: {
		description: 'No such camera, or the caller may not see it (the two are indistinguishable).',
		content: errorContent({ notFound: 'camera not found' })
	},
	LayoutNotFound: {
		description: 'No such layout among the caller\'s own.',
		content: errorContent({ notFound: 'layout not found' })
	},
	LayoutNameTaken: {
		description: 'The caller already has a layout with this name.',
		content: errorContent({ taken: 'a layout named "Lobby" already exists' })
	},
	UserNotFound: {
		description: 'No such user.',
		content: errorContent({ notFound: 'user not found' })
	},
	CameraIdRequired: {
		description: 'id is missing.',
		content: errorContent({ missing: 'id is required' })
	},
	CameraUnavailable: {
		description: 'The camera is disabled, or the live hub has not loaded it yet (just after the server started or the camera was added).',
		content: errorContent(LIVE_UNAVAILABLE)
	}
};

const parameters = {
	CameraIdPath: { name: 'id', in: 'path', required: true, schema: schema('CameraId') },
	Username: { name: 'username', in: 'path', required: true, schema: { type: 'string' } },
	LayoutId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } },
	CameraIdQuery: { name: 'id', in: 'query', required: true, description: 'The camera id.', schema: schema('CameraId') },
	Token: {
		name: 'token',
		in: 'query',
		required: false,
		description: 'The JWT, instead of the Authorization header (for links and embeds). Same as the tokenQuery security scheme.',
		schema: { type: 'string' }
	},
	HlsSession: {
		name: 'session',
		in: 'query',
		required: false,
		description:
			'The HLS client session from the master playlist (16 hex characters): while it keeps asking, it counts as a viewer of the camera; it ends after 30 s without a request. Without it the request counts for no one.',
		schema: { type: 'string', examples: ['9f86d081884c7d65'] }
	}
};

// The query integers of /api/proxy/hls/{file}: 1 to 9 decimal digits, else 400.
const hlsInteger = (name: string, description: string) => ({
	name,
	in: 'query',
	required: false,
	description: `${description} 1 to 9 decimal digits, else 400.`,
	schema: { type: 'integer', minimum: 0, maximum: 999999999 }
});

// WS /api/proxy/ws (src/lib/server/live/ws-endpoint.ts): go2rtc's video-stream.js protocol.
const webSocket = {
	'/api/proxy/ws': {
		summary: 'Live video for video-stream.js (go2rtc protocol): WebRTC, MSE, HLS or keyframe MP4s',
		description:
			'A WebSocket (ws:// or wss://, the ws_url of GET /api/proxy/streams). The upgrade is authorized like GET /api/proxy/frame: the token in ?token= (or an Authorization header, or the session cookie), a camera the caller may see, enabled and loaded; otherwise the upgrade is refused with an HTTP status and a JSON error body (400, 401, 404, 503, or 500 "internal error"). ' +
			'Then JSON text frames `{"type": ..., "value": ...}` go both ways and media arrives as binary frames. The client sends one request per mode it wants; every failure is answered `{"type":"error","value":"<request type>: <message>"}` and the socket stays open. Binary frames from the client are refused with an error; a frame over 256 KiB closes the socket (1009).',
		security: signedIn,
		parameters: [parameter('CameraIdQuery'), parameter('Token')],
		upgradeErrors: {
			'400': response('CameraIdRequired'),
			'401': response('Unauthorized'),
			'404': response('CameraNotFound'),
			'503': response('CameraUnavailable')
		},
		message: schema('WsMessage'),
		clientMessages: {
			mse: {
				value: 'The codecs the browser can play, RFC 6381, comma separated (MediaSource.isTypeSupported); empty: any.',
				answer:
					'{"type":"mse","value":"<MIME type>"} with the chosen tracks, then binary frames: the fMP4 init segment, then media fragments from the cached keyframe on. A slow client skips to the next keyframe. If the camera restarts with other codecs the server closes the socket with code 1012 ("stream restarted"): reconnect. With no video track the client can play: error "mse: no video track this client can play".',
				example: { type: 'mse', value: 'avc1.640029,avc1.64002A,hvc1.1.6.L153.B0,mp4a.40.2,opus' }
			},
			hls: {
				value: 'The codecs the client can play (not used: the playlist carries every track).',
				answer:
					'{"type":"hls","value":"<master playlist>"}: the text of GET /api/proxy/hls, URLs with a token and a session. Error "hls: camera is offline" when the camera sends nothing within 10 s.',
				example: { type: 'hls', value: 'avc1.640029,mp4a.40.2' }
			},
			mp4: {
				value: 'The codecs the client can play (not used).',
				answer: 'Binary frames: a one-keyframe MP4 (as GET /api/proxy/frame) at once if one is cached, then one per new keyframe (GOP), skipped while the client is behind.',
				example: { type: 'mp4', value: 'avc1.640029' }
			},
			'webrtc/offer': {
				value: 'An SDP offer (starting "v=").',
				answer:
					'{"type":"webrtc/answer","value":"<SDP answer>"} once the camera plays through the SFU (at most 15 s, else error "webrtc/offer: camera did not start in time"). One WebRTC session per socket (a second offer: error "webrtc/offer: a WebRTC session is already open"); the socket closes (code 1000, "webrtc closed") when it ends.',
				example: { type: 'webrtc/offer', value: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n...' }
			},
			'webrtc/candidate': {
				value: "A local ICE candidate line of the browser's; empty or missing: end of candidates.",
				answer: 'None; error "webrtc/candidate: no WebRTC session: send webrtc/offer first" before an offer.',
				example: { type: 'webrtc/candidate', value: 'candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host' }
			}
		},
		serverMessages: {
			mse: 'The MIME type of the fMP4 that follows, for MediaSource.addSourceBuffer.',
			hls: 'A master playlist (text).',
			'webrtc/answer': 'The SDP answer. The server sends no webrtc/candidate messages: its candidates are in the answer.',
			error: '"<request type>: <message>", e.g. "mse: no video track this client can play", "message: not JSON", "binary: binary messages are not accepted", "foo: unknown request type".'
		},
		examples: {
			mse: [
				{ direction: 'client', data: { type: 'mse', value: 'avc1.640029,mp4a.40.2,opus' } },
				{ direction: 'server', data: { type: 'mse', value: 'video/mp4; codecs="avc1.640028,mp4a.40.2"' } },
				{ direction: 'server', data: '<binary: init segment>' },
				{ direction: 'server', data: '<binary: fragment>' }
			],
			error: [
				{ direction: 'client', data: { type: 'webrtc/candidate', value: 'candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host' } },
				{ direction: 'server', data: { type: 'error', value: 'webrtc/candidate: no WebRTC session: send webrtc/offer first' } }
			]
		}
	}
};

// Document 000 HLS: the master playlist and an LL-HLS media playlist (HOST and the token shortened).
const HLS_QUERY = `id=${CAMERA_A.id}&token=eyJ...&session=9f86d081884c7d65`;
const HLS_MASTER = [
	'#EXTM3U',
	'#EXT-X-INDEPENDENT-SEGMENTS',
	'#EXT-X-STREAM-INF:BANDWIDTH=4400000,AVERAGE-BANDWIDTH=4096000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=25.000',
	`http://HOST:1984/api/proxy/hls/index.m3u8?${HLS_QUERY}`,
	''
].join('\n');
const hlsMedia = (file: string, rest: string) => `http://HOST:1984/api/proxy/hls/${file}?${HLS_QUERY}&m=m5x2k1a3b9f0c1&${rest}`;
const HLS_MEDIA_PLAYLIST = [
	'#EXTM3U',
	'#EXT-X-VERSION:9',
	'#EXT-X-TARGETDURATION:1',
	'#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.6',
	'#EXT-X-PART-INF:PART-TARGET=0.2',
	'#EXT-X-MEDIA-SEQUENCE:41',
	'#EXT-X-INDEPENDENT-SEGMENTS',
	`#EXT-X-MAP:URI="${hlsMedia('init.mp4', 'v=0')}"`,
	'#EXT-X-PROGRAM-DATE-TIME:2025-01-15T08:31:43.000Z',
	`#EXT-X-PART:DURATION=0.2,URI="${hlsMedia('part.m4s', 'msn=41&part=0')}",INDEPENDENT=YES`,
	'...',
	'#EXTINF:1,',
	hlsMedia('segment.m4s', 'msn=41'),
	'#EXT-X-PROGRAM-DATE-TIME:2025-01-15T08:31:44.000Z',
	`#EXT-X-PART:DURATION=0.2,URI="${hlsMedia('part.m4s', 'msn=42&part=0')}",INDEPENDENT=YES`,
	`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${hlsMedia('part.m4s', 'msn=42&part=1')}"`,
	''
].join('\n');

export function openapiDocument(serverUrl: string, version = '0.1.0') {
	const helpers: OpenapiHelpers = { schema, parameter, response, jsonBody, media, signedIn, userErrors, adminErrors };
	return {
		openapi: '3.1.0',
		info: {
			title: 'Vantage native API',
			version,
			description:
				'The native REST API of Vantage (document 000 and its admin endpoints). Errors are always `{"error": "..."}`. ' +
				'Sign in with POST /api/auth/login, then send the token as `Authorization: Bearer <token>` or `?token=`; tokens last 24 hours. ' +
				'Camera ids are anonymous: original names are shown to admins only. ' +
				'Live video over WebSocket (WS /api/proxy/ws?id=&token=, the go2rtc video-stream.js protocol) has no OpenAPI operation: see `x-websocket`.'
		},
		servers: [{ url: serverUrl }],
		tags: [
			{ name: 'auth', description: 'Tokens, sessions and one\'s own account' },
			{ name: 'cameras', description: 'Cameras and their positions (document 000), and their admin' },
			{ name: 'streams', description: 'Stream URLs for players, NVR and CCTV software (document 000)' },
			{ name: 'live', description: 'Live video: snapshots, fragmented MP4 and LL-HLS (document 000); WebSocket under x-websocket' },
			{ name: 'recordings', description: 'Recordings, playback, exports, schedules and snapshots' },
			{ name: 'users', description: 'Users and their camera rights (admins only)' },
			{ name: 'layouts', description: 'Saved multi-view grid layouts, per user (the app\'s grid and kiosk)' },
			{ name: 'meta', description: 'Health and this document' }
		],
		paths: {
			...recordingPaths(helpers),
			'/api/auth/login': {
				post: {
					tags: ['auth'],
					operationId: 'login',
					summary: 'Sign in: get a JWT',
					description:
						'Failed attempts are throttled per address and username (5 per 15 minutes) and per address (30 per 15 minutes).',
					security: open,
					requestBody: {
						required: true,
						content: jsonBody(schema('LoginRequest'), { login: { value: { username: 'user', password: 'pass' } } })
					},
					responses: {
						'200': {
							description: 'Signed in.',
							content: jsonBody(schema('LoginResponse'), {
								login: { value: { token: 'eyJ...', username: 'user', role: 'viewer' } }
							})
						},
						'400': {
							description: 'The body is not a JSON object, or the username or password is missing.',
							content: errorContent({ missing: 'username and password are required' })
						},
						'401': {
							description: 'Wrong username or password.',
							content: errorContent({ wrong: 'invalid username or password' })
						},
						'429': {
							description: 'Too many failed attempts from this address.',
							headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } },
							content: errorContent({ throttled: 'too many login attempts: try again in 840 s' })
						}
					}
				}
			},
			'/api/auth/logout': {
				post: {
					tags: ['auth'],
					operationId: 'logout',
					summary: 'End the browser session',
					description:
						'Deletes the session behind the vantage_session cookie, if any, and clears the cookie. JWTs are stateless: they end at expiry or on a password change.',
					security: [{ sessionCookie: [] }, {}],
					responses: {
						'200': {
							description: 'Signed out (also when there was no session).',
							headers: { 'Set-Cookie': { description: 'Clears vantage_session.', schema: { type: 'string' } } },
							content: jsonBody(schema('Ok'))
						}
					}
				}
			},
			'/api/auth/me': {
				get: {
					tags: ['auth'],
					operationId: 'currentUser',
					summary: 'Who the credentials belong to',
					security: signedIn,
					responses: {
						'200': {
							description: 'The signed-in user.',
							content: jsonBody(schema('CurrentUser'), { me: { value: { username: 'user', role: 'viewer' } } })
						},
						...userErrors
					}
				}
			},
			'/api/auth/password': {
				post: {
					tags: ['auth'],
					operationId: 'changePassword',
					summary: "Change one's own password",
					description:
						'Every older token and session of the user stops working. The answer carries a fresh token; a caller signed in by session cookie also gets a fresh session cookie.',
					security: signedIn,
					requestBody: {
						required: true,
						content: jsonBody(schema('PasswordChange'), {
							change: { value: { currentPassword: 'old password', newPassword: 'a new long password' } }
						})
					},
					responses: {
						'200': {
							description: 'Changed.',
							headers: { 'Set-Cookie': { description: 'A new vantage_session (session callers only).', schema: { type: 'string' } } },
							content: jsonBody(schema('LoginResponse'))
						},
						'400': {
							description: 'Malformed body, unknown field, wrong current password, or the new password is not acceptable.',
							content: errorContent({
								wrongCurrent: 'current password is wrong',
								tooShort: 'password must be at least 8 characters'
							})
						},
						'429': {
							description: 'Too many wrong current passwords from this address.',
							headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } },
							content: errorContent({ throttled: 'too many attempts: try again in 840 s' })
						},
						...userErrors
					}
				}
			},

			'/api/cameras': {
				get: {
					tags: ['cameras'],
					operationId: 'listCameras',
					summary: 'Cameras and their GPS positions (no stream URLs)',
					description:
						'For maps and GIS. By default only cameras with a position; all=true lists every camera the caller may see. Admins also get each camera\'s original `name`.',
					security: signedIn,
					parameters: [
						{
							name: 'all',
							in: 'query',
							required: false,
							description: 'Also cameras with no position (lat/lon null).',
							schema: { type: 'string', enum: ['true', 'false'], default: 'false' }
						},
						{
							name: 'format',
							in: 'query',
							required: false,
							description: 'json: a JSON array; geojson: a GeoJSON FeatureCollection (application/geo+json).',
							schema: { type: 'string', enum: ['json', 'geojson'], default: 'json' }
						},
						parameter('Token')
					],
					responses: {
						'200': {
							description: 'The cameras, in a stable order (oldest first).',
							content: {
								[JSON_TYPE]: {
									schema: { type: 'array', items: schema('CameraListItem') },
									examples: {
										viewer: { summary: 'A viewer', value: [CAMERA_A, CAMERA_B] },
										admin: { summary: 'An admin also gets name', value: [{ id: CAMERA_A.id, name: 'camera_01', label: CAMERA_A.label, lat: CAMERA_A.lat, lon: CAMERA_A.lon }] },
										all: { summary: 'all=true: also cameras with no position', value: [CAMERA_A, CAMERA_NO_POSITION] }
									}
								},
								'application/geo+json': {
									schema: schema('CameraFeatureCollection'),
									examples: {
										geojson: {
											summary: 'format=geojson',
											value: {
												type: 'FeatureCollection',
												features: [
													{
														type: 'Feature',
														geometry: { type: 'Point', coordinates: [CAMERA_A.lon, CAMERA_A.lat] },
														properties: { id: CAMERA_A.id, label: CAMERA_A.label }
													}
												]
											}
										}
									}
								}
							}
						},
						'400': {
							description: 'all or format has an unknown value.',
							content: errorContent({ all: 'all must be true or false', format: 'format must be json or geojson' })
						},
						...userErrors
					}
				},
				post: {
					tags: ['cameras'],
					operationId: 'createCamera',
					summary: 'Add a camera (admin)',
					description: 'The server picks the camera id.',
					security: signedIn,
					requestBody: {
						required: true,
						content: jsonBody(schema('CameraInput'), {
							rtsp: {
								value: {
									name: 'camera_01',
									label: 'Ngã tư An Sương',
									lat: 10.823145,
									lon: 106.629732,
									source: 'rtsp://192.168.1.64:554/Streaming/Channels/101'
								}
							}
						})
					},
					responses: {
						'201': {
							description: 'Created. `status` is always the not-loaded one here (offline since 1970-01-01T00:00:00.000Z): GET the camera for its live status.',
							content: jsonBody(schema('Camera'), { created: { value: { ...ADMIN_CAMERA, status: STATUS_NOT_LOADED } } })
						},
						'400': {
							description: 'Malformed body, unknown field, invalid value, or the name is taken.',
							content: errorContent({
								source: 'unsupported source scheme "ftp:": use rtsp, rtsps, rtmp, http, https, file, demo or "push"',
								pair: 'lat and lon must be given together (or both null)',
								taken: 'a camera named "camera_01" already exists'
							})
						},
						...adminErrors
					}
				}
			},
			'/api/cameras/{id}': {
				parameters: [parameter('CameraIdPath')],
				get: {
					tags: ['cameras'],
					operationId: 'getCamera',
					summary: 'One camera',
					description:
						'Admins get the whole camera; other users get it without name and source, if they may see it. Both include the live `status`; only admins get the reason of an error.',
					security: signedIn,
					responses: {
						'200': {
							description: 'The camera.',
							content: jsonBody(
								{ oneOf: [schema('Camera'), schema('CameraView')] },
								{
									admin: { summary: 'An admin', value: ADMIN_CAMERA },
									adminError: { summary: 'An admin, the camera failing', value: { ...ADMIN_CAMERA, status: STATUS_ERROR_ADMIN } },
									viewer: {
										summary: 'A user granted the camera',
										value: { ...CAMERA_A, enabled: true, tags: ['district-12'], status: STATUS_ONLINE }
									},
									viewerError: {
										summary: 'A user granted the camera, the camera failing: no reason given',
										value: { ...CAMERA_A, enabled: true, tags: ['district-12'], status: { ...STATUS_ERROR_ADMIN, error: 'camera unreachable' } }
									}
								}
							)
						},
						...userErrors,
						'404': response('CameraNotFound')
					}
				},
				patch: {
					tags: ['cameras'],
					operationId: 'updateCamera',
					summary: 'Change a camera (admin)',
					security: signedIn,
					requestBody: {
						required: true,
						content: jsonBody(schema('CameraPatch'), { move: { value: { lat: 10.8232, lon: 106.6298 } } })
					},
					responses: {
						'200': { description: 'The changed camera.', content: jsonBody(schema('Camera')) },
						'400': response('BadRequest'),
						...adminErrors,
						'404': response('CameraNotFound')
					}
				},
				delete: {
					tags: ['cameras'],
					operationId: 'deleteCamera',
					summary: 'Delete a camera (admin)',
					security: signedIn,
					responses: {
						'204': { description: 'Deleted.' },
						...adminErrors,
						'404': response('CameraNotFound')
					}
				}
			},

			'/api/cameras/{id}/consumers': {
				parameters: [parameter('CameraIdPath')],
				get: {
					tags: ['cameras'],
					operationId: 'listCameraConsumers',
					summary: 'Who is watching a camera right now (admin)',
					description:
						"One entry per viewer or puller of the camera's live stream; the server's own feeders (keyframe probes, the HLS muxer, the WebRTC mountpoint, the recorder) are left out. Empty when nobody watches.",
					security: signedIn,
					responses: {
						'200': {
							description: 'The consumers.',
							content: jsonBody(
								{ type: 'array', items: schema('Consumer') },
								{
									consumers: {
										value: [
											{ protocol: 'mse', remoteAddress: '192.168.1.20', startedAt: '2025-01-15T08:31:02.000Z', bytes: 73400320 },
											{ protocol: 'hls', remoteAddress: '192.168.1.31', startedAt: '2025-01-15T08:40:11.000Z', bytes: 1048576 }
										]
									}
								}
							)
						},
						...adminErrors,
						'404': response('CameraNotFound')
					}
				}
			},

			'/api/proxy/streams': {
				get: {
					tags: ['streams'],
					operationId: 'listStreams',
					summary: 'Every camera the user may open, with full stream URLs',
					description:
						'The URLs carry a token: the one the request came with, or a fresh one for a session caller. Admins also get each camera\'s original `name`.',
					security: signedIn,
					responses: {
						'200': {
							description: 'The streams.',
							content: {
								[JSON_TYPE]: {
									schema: { type: 'array', items: schema('Stream') },
									examples: {
										viewer: { summary: 'A viewer', value: [{ id: CAMERA_A.id, ...streamUrlsFor(CAMERA_A.id) }] },
										admin: { summary: 'An admin also gets name', value: [{ id: CAMERA_A.id, name: 'Camera_01', ...streamUrlsFor(CAMERA_A.id) }] }
									}
								}
							}
						},
						...userErrors
					}
				}
			},
			'/api/proxy/rtsp-url': {
				get: {
					tags: ['streams'],
					operationId: 'getRtspUrl',
					summary: "A camera's anonymous RTSP URL, for NVR and CCTV software",
					description: 'The RTSP stream name is the camera id: the original name never appears.',
					security: signedIn,
					parameters: [parameter('CameraIdQuery'), parameter('Token')],
					responses: {
						'200': {
							description: 'The RTSP URL.',
							content: jsonBody(schema('RtspUrl'), {
								rtspUrl: {
									value: {
										stream_id: 'a3f9c12d8e4b',
										rtsp_url: 'rtsp://HOST:8554/a3f9c12d8e4b',
										rtsp_port: '8554',
										note: 'If RTSP auth configured: rtsp://user:pass@HOST:8554/a3f9c12d8e4b'
									}
								}
							})
						},
						'400': response('CameraIdRequired'),
						...userErrors,
						'404': response('CameraNotFound')
					}
				}
			},

			'/api/proxy/frame': {
				get: {
					tags: ['live'],
					operationId: 'getFrame',
					summary: 'Snapshot (1 frame MP4)',
					description:
						"One keyframe as a self-contained MP4 (the video track only), straight from the camera's cache: no wait for the next GOP. When nothing is cached (nobody watching), the camera is started and its first keyframe awaited, at most 10 s.",
					security: signedIn,
					parameters: [parameter('CameraIdQuery'), parameter('Token')],
					responses: {
						'200': { description: 'The keyframe.', headers: cacheControl('no-store'), content: media('video/mp4') },
						...liveErrors,
						'503': cameraUnavailable('it sent no keyframe within 10 s.', {
							starting: 'camera is starting: try again',
							offline: 'camera is offline'
						})
					}
				}
			},
			'/api/proxy/frame.jpeg': {
				get: {
					tags: ['live'],
					operationId: 'getFrameJpeg',
					summary: 'Snapshot as JPEG',
					description:
						'The keyframe of GET /api/proxy/frame, decoded to JPEG (full resolution). When nothing is cached, the camera is started and its first keyframe awaited, at most 10 s.',
					security: signedIn,
					parameters: [parameter('CameraIdQuery'), parameter('Token')],
					responses: {
						'200': { description: 'The keyframe as JPEG.', headers: cacheControl('no-store'), content: media('image/jpeg') },
						...liveErrors,
						'503': cameraUnavailable('it sent no keyframe within 10 s.', {
							starting: 'camera is starting: try again',
							offline: 'camera is offline'
						})
					}
				}
			},
			'/api/proxy/mp4': {
				get: {
					tags: ['live'],
					operationId: 'getMp4',
					summary: 'Continuous fragmented MP4',
					description:
						"A live fragmented MP4 (every track: video and audio), streamed until the client disconnects: the init segment, then fragments from the camera's cached keyframe on, so playback starts at once when the camera is being watched (otherwise the camera is started and the body begins with its first keyframe). A client that falls behind skips to the next keyframe. If the camera restarts with other codecs the body ends: request it again. A stream with no video track aborts the body.",
					security: signedIn,
					parameters: [parameter('CameraIdQuery'), parameter('Token')],
					responses: {
						'200': {
							description: 'The stream (no Content-Length: it ends when the client disconnects or the stream restarts).',
							headers: cacheControl('no-store'),
							content: media('video/mp4')
						},
						...liveErrors
					}
				}
			},
			'/api/proxy/hls': {
				get: {
					tags: ['live'],
					operationId: 'getHlsMaster',
					summary: 'HLS (LL-HLS) master playlist',
					description:
						'The multivariant playlist of one variant (bandwidth, codecs, resolution and frame rate of the live stream). Its media playlist URL is absolute and carries the camera id, a token (the one of the request, or a fresh one for a session caller) and a new HLS session, so players need no headers. Waits for the camera to start, at most 10 s.',
					security: signedIn,
					parameters: [parameter('CameraIdQuery'), parameter('Token')],
					responses: {
						'200': {
							description: 'The master playlist.',
							headers: cacheControl('no-cache'),
							content: {
								'application/vnd.apple.mpegurl': { schema: { type: 'string' }, examples: { master: { value: HLS_MASTER } } }
							}
						},
						...liveErrors,
						'503': cameraUnavailable('it sent nothing within 10 s.', { offline: 'camera is offline' })
					}
				}
			},
			'/api/proxy/hls/{file}': {
				get: {
					tags: ['live'],
					operationId: 'getHlsFile',
					summary: 'LL-HLS media playlist, init segment, parts and segments',
					description:
						'The URLs written by GET /api/proxy/hls and by the media playlist; players follow them, nobody needs to build them. Every file takes id, token and session; ' +
						'index.m3u8 (application/vnd.apple.mpegurl): the LL-HLS media playlist; with _HLS_msn (and _HLS_part) a blocking reload that answers once that segment (part) is listed, at most 3 × the target duration, then anyway; without, it first waits for one whole segment, at most 10 s. ' +
						'init.mp4 (video/mp4): the init segment, takes m and v. ' +
						'part.m4s (video/iso.segment): a part, takes m, msn and part. ' +
						'segment.m4s (video/iso.segment): a whole segment, takes m and msn. ' +
						'The part or segment being written (or one a little ahead) is awaited until complete, at most 3 × the target duration.',
					security: signedIn,
					parameters: [
						{
							name: 'file',
							in: 'path',
							required: true,
							schema: { type: 'string', enum: ['index.m3u8', 'init.mp4', 'part.m4s', 'segment.m4s'] }
						},
						parameter('CameraIdQuery'),
						{
							...parameter('Token'),
							description:
								'The JWT (or another credential). index.m3u8 writes it into the media URLs it lists (else the bearer token of the request; none for a session caller).'
						},
						parameter('HlsSession'),
						{
							name: 'm',
							in: 'query',
							required: false,
							description:
								"init.mp4, part.m4s and segment.m4s: the muxer id the media playlist wrote; missing or another one: 404. The camera's HLS muxer is a new one after nobody asked for 30 s, with numbering started over: older URLs then answer 404 and the player reloads the master playlist.",
							schema: { type: 'string', examples: ['m5x2k1a3b9f0c1'] }
						},
						hlsInteger('v', 'init.mp4: the init segment version (the stream restarted with new codecs: a new version); default the current one.'),
						hlsInteger('msn', 'part.m4s and segment.m4s (required there): the media sequence number.'),
						hlsInteger('part', 'part.m4s (required there): the part index in the segment.'),
						hlsInteger('_HLS_msn', 'index.m3u8: blocking reload until this media sequence number is listed. At most 2 beyond the segment being written, else 400.'),
						hlsInteger('_HLS_part', 'index.m3u8, with _HLS_msn only: blocking reload until this part of that segment is listed. At most the advance part limit, else 400.')
					],
					responses: {
						'200': {
							description:
								'index.m3u8: the media playlist (Cache-Control: no-cache). The media files: the bytes (Cache-Control: public, max-age=60, immutable: a URL never changes its content).',
							headers: { 'Cache-Control': { schema: { type: 'string', enum: ['no-cache', 'public, max-age=60, immutable'] } } },
							content: {
								'application/vnd.apple.mpegurl': { schema: { type: 'string' }, examples: { media: { value: HLS_MEDIA_PLAYLIST } } },
								...media('video/mp4'),
								...media('video/iso.segment')
							}
						},
						'400': {
							description:
								'id is missing; a number is not 1 to 9 decimal digits or a required one is missing; _HLS_part without _HLS_msn; or the blocking reload asks too far ahead.',
							content: errorContent({
								missing: 'id is required',
								notInteger: '_HLS_msn must be a non-negative integer',
								required: 'msn is required',
								partAlone: '_HLS_part needs _HLS_msn',
								tooFar: 'HLS: msn 57 part 3 is too far ahead'
							})
						},
						...userErrors,
						'404': {
							description:
								'No such camera or the caller may not see it; an unknown file; or a part, segment or init segment that is gone, will not exist, or belongs to another muxer (m): reload the master playlist.',
							content: errorContent({ camera: 'camera not found', gone: 'no longer available', file: 'not found' })
						},
						'503': response('CameraUnavailable')
					}
				}
			},

			'/api/users': {
				get: {
					tags: ['users'],
					operationId: 'listUsers',
					summary: 'Every user (admin)',
					security: signedIn,
					responses: {
						'200': {
							description: 'The users, by username.',
							content: jsonBody(
								{ type: 'array', items: schema('User') },
								{
									users: {
										value: [
											{ username: 'admin', role: 'admin', cameras: '*', createdAt: '2025-01-15T08:00:00.000Z' },
											{ username: 'field1', role: 'viewer', cameras: ['a3f9c12d8e4b'], createdAt: '2025-01-15T09:00:00.000Z' }
										]
									}
								}
							)
						},
						...adminErrors
					}
				},
				post: {
					tags: ['users'],
					operationId: 'createUser',
					summary: 'Add a user (admin)',
					security: signedIn,
					requestBody: {
						required: true,
						content: jsonBody(schema('UserInput'), {
							viewer: { value: { username: 'field1', password: 'a long password', role: 'viewer', cameras: ['a3f9c12d8e4b'] } }
						})
					},
					responses: {
						'201': { description: 'Created.', content: jsonBody(schema('User')) },
						'400': {
							description: 'Malformed body, unknown field, invalid value, unknown camera id, or the username is taken.',
							content: errorContent({
								cameras: 'unknown camera id: 000000000000',
								taken: 'a user named "field1" already exists'
							})
						},
						...adminErrors
					}
				}
			},
			'/api/users/{username}': {
				parameters: [parameter('Username')],
				get: {
					tags: ['users'],
					operationId: 'getUser',
					summary: 'One user (admin)',
					security: signedIn,
					responses: {
						'200': { description: 'The user.', content: jsonBody(schema('User')) },
						...adminErrors,
						'404': response('UserNotFound')
					}
				},
				patch: {
					tags: ['users'],
					operationId: 'updateUser',
					summary: 'Change a user (admin)',
					security: signedIn,
					requestBody: {
						required: true,
						content: jsonBody(schema('UserPatch'), { rights: { value: { cameras: ['a3f9c12d8e4b', 'b7e2a1f4c3d9'] } } })
					},
					responses: {
						'200': { description: 'The changed user.', content: jsonBody(schema('User')) },
						'400': response('BadRequest'),
						...adminErrors,
						'404': response('UserNotFound'),
						'409': {
							description: 'The change would leave no admin.',
							content: errorContent({ lastAdmin: 'this is the last admin: create another admin first' })
						}
					}
				},
				delete: {
					tags: ['users'],
					operationId: 'deleteUser',
					summary: 'Delete a user (admin)',
					security: signedIn,
					responses: {
						'204': { description: 'Deleted.' },
						...adminErrors,
						'404': response('UserNotFound'),
						'409': {
							description: 'Admins cannot delete themselves, nor the last admin.',
							content: errorContent({
								self: 'you cannot delete yourself',
								lastAdmin: 'this is the last admin: create another admin first'
							})
						}
					}
				}
			},

			'/api/layouts': {
				get: {
					tags: ['layouts'],
					operationId: 'listLayouts',
					summary: 'The caller\'s saved grid layouts',
					security: signedIn,
					responses: {
						'200': { description: 'Own layouts, by name.', content: jsonBody({ type: 'array', items: schema('Layout') }, { layouts: { value: [LAYOUT] } }) },
						...userErrors
					}
				},
				post: {
					tags: ['layouts'],
					operationId: 'createLayout',
					summary: 'Save a grid layout',
					security: signedIn,
					requestBody: { required: true, content: jsonBody(schema('LayoutInput'), { lobby: { value: LAYOUT_INPUT } }) },
					responses: {
						'201': { description: 'Saved.', content: jsonBody(schema('Layout'), { lobby: { value: LAYOUT } }) },
						'400': layoutBadRequest,
						...userErrors,
						'409': response('LayoutNameTaken')
					}
				}
			},
			'/api/layouts/{id}': {
				parameters: [parameter('LayoutId')],
				get: {
					tags: ['layouts'],
					operationId: 'getLayout',
					summary: 'One of the caller\'s layouts',
					security: signedIn,
					responses: {
						'200': { description: 'The layout.', content: jsonBody(schema('Layout'), { lobby: { value: LAYOUT } }) },
						...userErrors,
						'404': response('LayoutNotFound')
					}
				},
				put: {
					tags: ['layouts'],
					operationId: 'replaceLayout',
					summary: 'Replace one of the caller\'s layouts (name, size and cameras)',
					security: signedIn,
					requestBody: { required: true, content: jsonBody(schema('LayoutInput'), { lobby: { value: LAYOUT_INPUT } }) },
					responses: {
						'200': { description: 'The changed layout.', content: jsonBody(schema('Layout')) },
						'400': layoutBadRequest,
						...userErrors,
						'404': response('LayoutNotFound'),
						'409': response('LayoutNameTaken')
					}
				},
				delete: {
					tags: ['layouts'],
					operationId: 'deleteLayout',
					summary: 'Delete one of the caller\'s layouts',
					security: signedIn,
					responses: { '204': { description: 'Deleted.' }, ...userErrors, '404': response('LayoutNotFound') }
				}
			},

			'/api/health': {
				get: {
					tags: ['meta'],
					operationId: 'health',
					summary: 'Liveness and version',
					security: open,
					responses: {
						'200': { description: 'Up.', content: jsonBody(schema('Health'), { up: { value: { ok: true, version: '0.1.0' } } }) }
					}
				}
			},
			'/api/openapi.json': {
				get: {
					tags: ['meta'],
					operationId: 'openapi',
					summary: 'This document',
					security: open,
					responses: {
						'200': {
							description: 'The OpenAPI 3.1 description of the native API.',
							content: jsonBody({ type: 'object', description: 'An OpenAPI 3.1 document.' })
						}
					}
				}
			}
		},
		'x-websocket': webSocket,
		components: {
			schemas: { ...schemas, ...recordingSchemas(helpers) },
			responses,
			parameters,
			securitySchemes: {
				bearerAuth: {
					type: 'http',
					scheme: 'bearer',
					bearerFormat: 'JWT',
					description: 'The token from POST /api/auth/login: "Authorization: Bearer <token>". Valid 24 hours.'
				},
				tokenQuery: {
					type: 'apiKey',
					in: 'query',
					name: 'token',
					description: 'The same JWT in the query string, for links, embeds and WebSockets that cannot send headers.'
				},
				sessionCookie: {
					type: 'apiKey',
					in: 'cookie',
					name: 'vantage_session',
					description: 'The browser session of the web app (set by the login page).'
				}
			}
		}
	};
}
