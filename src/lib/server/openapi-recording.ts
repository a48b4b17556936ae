// The recording part of the OpenAPI document (src/lib/server/openapi.ts):
// recordings, calendar, playback, manual recording, exports, schedules,
// snapshots, and the camera's recording settings. Plain data like the rest of
// the document; the shared helpers are passed in.

type Node = Record<string, unknown>;

export interface OpenapiHelpers {
	schema(name: string): Node;
	parameter(name: string): Node;
	response(name: string): Node;
	jsonBody(s: object, examples?: Record<string, { summary?: string; value: unknown }>): Node;
	media(type: string): Node;
	signedIn: Node[];
	userErrors: Node;
	adminErrors: Node;
}

const ISO_EXAMPLE = '2026-12-04T08:00:00Z';

/** The camera fields of the recording settings (CAMERA_FIELDS in cameras/cameras.ts). */
export const recordingCameraProperties = {
	recordMode: {
		type: 'string',
		enum: ['off', 'continuous', 'schedule'],
		description: 'off: only manual recording; continuous: always; schedule: inside the weekly windows (/schedules). Default "off".'
	},
	segmentSec: {
		type: ['integer', 'null'],
		minimum: 1,
		maximum: 600,
		description: 'Segment file length in seconds (cut at the first keyframe after it); null: RECORD_SEGMENT_SEC (default 60).'
	},
	retentionDays: { type: 'integer', minimum: 0, maximum: 3650, description: 'Footage and snapshots older than this are deleted; 0: kept until the disk needs the room. Default 30.' },
	snapshotSec: { type: 'integer', minimum: 0, maximum: 86400, description: 'Periodic snapshot interval (document 004\'s snap_val); 0: none. Default 0.' }
};

export function recordingSchemas(h: OpenapiHelpers) {
	return {
		RecordingStatus: {
			type: 'object',
			description: 'Whether the camera records now, why, and what stopped it.',
			required: ['state', 'reason', 'error', 'since', 'manualUntil'],
			properties: {
				state: { type: 'string', enum: ['idle', 'recording', 'error'] },
				reason: { type: ['string', 'null'], enum: ['continuous', 'schedule', 'manual', null] },
				error: { type: ['string', 'null'], description: 'e.g. "disk full: 3 MB free, recording needs 1024 MB (RECORD_MIN_FREE_MB)"; recording resumes by itself once there is room.' },
				since: { type: 'string', format: 'date-time' },
				manualUntil: { type: ['string', 'null'], format: 'date-time', description: 'The end of a manual recording with a time limit.' }
			}
		},
		RecordingSegment: {
			type: 'object',
			required: ['id', 'start', 'end', 'durationMs', 'size', 'open', 'url'],
			properties: {
				id: { type: 'integer' },
				start: { type: 'string', format: 'date-time' },
				end: { type: 'string', format: 'date-time' },
				durationMs: { type: 'integer' },
				size: { type: 'integer', description: 'Bytes.' },
				open: { type: 'boolean', description: 'Still being written: end and size grow.' },
				url: { type: 'string', description: 'The segment file (fragmented MP4), with ?token= when the request had one.' }
			}
		},
		Span: {
			type: 'object',
			required: ['start', 'end'],
			properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } }
		},
		Schedule: {
			type: 'object',
			required: ['id', 'weekday', 'start', 'end', 'durationSec'],
			properties: {
				id: { type: 'integer' },
				weekday: { type: 'integer', minimum: 0, maximum: 6, description: '0 Sunday … 6 Saturday.' },
				start: { type: 'string', pattern: '^\\d{2}:\\d{2}:\\d{2}$' },
				end: { type: 'string', pattern: '^\\d{2}:\\d{2}:\\d{2}$', description: 'The last second of the window.' },
				durationSec: { type: 'integer', minimum: 1 }
			}
		},
		ScheduleInput: {
			type: 'object',
			description: 'A weekly window in the server\'s time zone (TZ). It must end by 23:59:59 and not overlap another window of the camera.',
			additionalProperties: false,
			properties: {
				weekday: { type: 'integer', minimum: 0, maximum: 6 },
				start: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$', examples: ['08:00:00'] },
				durationSec: { type: 'integer', minimum: 1, maximum: 86400 }
			}
		},
		Snapshot: {
			type: 'object',
			required: ['id', 'takenAt', 'size', 'url'],
			properties: { id: { type: 'integer' }, takenAt: { type: 'string', format: 'date-time' }, size: { type: 'integer' }, url: { type: 'string' } }
		},
		Export: {
			type: 'object',
			required: ['id', 'cameraId', 'start', 'end', 'transcode', 'status', 'progress', 'url', 'size', 'error'],
			properties: {
				id: { type: 'string' },
				cameraId: h.schema('CameraId'),
				start: { type: 'string', format: 'date-time' },
				end: { type: 'string', format: 'date-time' },
				transcode: { type: ['string', 'null'], enum: ['h264', null] },
				status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'], description: 'queued: waiting for a free slot (a few exports run at once).' },
				progress: { type: 'integer', minimum: 0, maximum: 100 },
				url: { type: ['string', 'null'], description: 'The MP4 once done.' },
				size: { type: 'integer' },
				error: { type: ['string', 'null'] }
			}
		}
	};
}

export function recordingPaths(h: OpenapiHelpers) {
	const { schema, parameter, response, jsonBody, media, signedIn, userErrors, adminErrors } = h;
	const camera = [parameter('CameraIdPath')];
	const notFound = { '404': response('CameraNotFound') };
	const range = (what: string) => [
		{ name: 'start', in: 'query', required: false, description: `Start of the ${what} (ISO 8601). Default: 24 hours before end.`, schema: { type: 'string', format: 'date-time' }, example: ISO_EXAMPLE },
		{ name: 'end', in: 'query', required: false, description: 'End (ISO 8601), after start, at most 31 days later. Default: now.', schema: { type: 'string', format: 'date-time' } },
		parameter('Token')
	];
	const file = (description: string, type: string) => ({
		'200': { description, content: media(type) },
		'206': { description: 'The requested byte range.', content: media(type) }
	});
	return {
		'/api/cameras/{id}/recordings': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'listRecordings',
				summary: 'Recorded segments in a time range, and the continuous spans they make',
				security: signedIn,
				parameters: range('search'),
				responses: {
					'200': {
						description: 'Segments overlapping the range, oldest first (the one being written included), and their merged spans.',
						content: jsonBody({
							type: 'object',
							required: ['start', 'end', 'segments', 'spans'],
							properties: {
								start: { type: 'string', format: 'date-time' },
								end: { type: 'string', format: 'date-time' },
								segments: { type: 'array', items: schema('RecordingSegment') },
								spans: { type: 'array', items: schema('Span') }
							}
						})
					},
					'400': response('BadRequest'),
					...userErrors,
					...notFound
				}
			}
		},
		'/api/cameras/{id}/recordings/{rid}': {
			parameters: [...camera, { name: 'rid', in: 'path', required: true, description: 'The segment id, optionally with ".mp4".', schema: { type: 'string', pattern: '^\\d+(\\.mp4)?$' } }],
			get: {
				tags: ['recordings'],
				operationId: 'getRecordingFile',
				summary: 'One segment file (fragmented MP4), whole or a byte range',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: { ...file('The segment.', 'video/mp4'), ...userErrors, '404': response('CameraNotFound'), '416': { description: 'Unsatisfiable range.' } }
			}
		},
		'/api/cameras/{id}/calendar': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'getRecordingCalendar',
				summary: 'Days of a month with footage (server time zone)',
				security: signedIn,
				parameters: [
					{ name: 'year', in: 'query', required: false, schema: { type: 'integer', minimum: 1970 }, description: 'Default: this year.' },
					{ name: 'month', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 12 }, description: 'Default: this month.' },
					parameter('Token')
				],
				responses: {
					'200': {
						description: 'The days.',
						content: jsonBody(
							{ type: 'object', required: ['year', 'month', 'days'], properties: { year: { type: 'integer' }, month: { type: 'integer' }, days: { type: 'array', items: { type: 'integer' } } } },
							{ december: { value: { year: 2026, month: 12, days: [1, 2, 4] } } }
						)
					},
					'400': response('BadRequest'),
					...userErrors,
					...notFound
				}
			}
		},
		'/api/cameras/{id}/playback.m3u8': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'getPlaybackPlaylist',
				summary: 'HLS VOD playlist over the recordings of a range',
				description:
					'EXT-X-PLAYLIST-TYPE:VOD; one media segment per recorded file (byte range after its init, EXT-X-MAP for the init), EXT-X-DISCONTINUITY where footage is missing, EXT-X-PROGRAM-DATE-TIME per segment. Segment URLs carry ?token= when the request had one.',
				security: signedIn,
				parameters: range('playback'),
				responses: {
					'200': { description: 'The playlist.', content: media('application/vnd.apple.mpegurl') },
					'400': response('BadRequest'),
					...userErrors,
					...notFound
				}
			}
		},
		'/api/cameras/{id}/recording': {
			parameters: camera,
			post: {
				tags: ['recordings'],
				operationId: 'manualRecording',
				summary: 'Start or stop a manual recording (admin)',
				description: 'A manual recording runs besides the camera\'s record mode, until stopped or for limitSec seconds; it survives a restart.',
				security: signedIn,
				requestBody: {
					required: true,
					content: jsonBody(
						{
							type: 'object',
							required: ['action'],
							additionalProperties: false,
							properties: { action: { type: 'string', enum: ['start', 'stop'] }, limitSec: { type: 'integer', minimum: 1, maximum: 604800 } }
						},
						{ tenMinutes: { value: { action: 'start', limitSec: 600 } }, stop: { value: { action: 'stop' } } }
					)
				},
				responses: {
					'200': { description: 'The recording status.', content: jsonBody(schema('RecordingStatus')) },
					'400': response('BadRequest'),
					...adminErrors,
					...notFound
				}
			}
		},
		'/api/cameras/{id}/exports': {
			parameters: camera,
			post: {
				tags: ['recordings'],
				operationId: 'createExport',
				summary: 'Cut a clip (MP4) from the recordings',
				description: 'Copied (-c copy) unless transcode is "h264". Poll GET /api/exports/{id} for progress.',
				security: signedIn,
				requestBody: {
					required: true,
					content: jsonBody(
						{
							type: 'object',
							required: ['start', 'end'],
							additionalProperties: false,
							properties: {
								start: { type: 'string', format: 'date-time' },
								end: { type: 'string', format: 'date-time', description: 'After start, at most 6 hours later.' },
								transcode: { type: 'string', enum: ['h264'] }
							}
						},
						{ tenSeconds: { value: { start: '2026-12-04T08:00:00Z', end: '2026-12-04T08:00:10Z' } } }
					)
				},
				responses: {
					'202': { description: 'Accepted: running, or queued until a slot is free.', content: jsonBody({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } }) },
					'400': response('BadRequest'),
					...userErrors,
					'404': { description: 'No such camera (or not visible), or no recordings in the range.', content: jsonBody(schema('Error')) },
					'429': { description: 'Too many exports already waiting.', content: jsonBody(schema('Error')) }
				}
			}
		},
		'/api/exports/{id}': {
			parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
			get: {
				tags: ['recordings'],
				operationId: 'getExport',
				summary: 'An export\'s status and progress (its owner, or an admin)',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: {
					'200': { description: 'The export.', content: jsonBody(schema('Export')) },
					...userErrors,
					'404': { description: 'No such export, or not the caller\'s.', content: jsonBody(schema('Error')) }
				}
			}
		},
		'/api/exports/{id}/file': {
			parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
			get: {
				tags: ['recordings'],
				operationId: 'downloadExport',
				summary: 'The exported clip (MP4, as an attachment)',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: { ...file('The clip.', 'video/mp4'), ...userErrors, '404': { description: 'No such export, not the caller\'s, or not done.', content: jsonBody(schema('Error')) }, '416': { description: 'Unsatisfiable range.' } }
			}
		},
		'/api/cameras/{id}/schedules': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'listSchedules',
				summary: 'Weekly recording windows (admin)',
				security: signedIn,
				responses: { '200': { description: 'The windows.', content: jsonBody({ type: 'array', items: schema('Schedule') }) }, ...adminErrors, ...notFound }
			},
			post: {
				tags: ['recordings'],
				operationId: 'createSchedule',
				summary: 'Add a weekly recording window (admin)',
				security: signedIn,
				requestBody: { required: true, content: jsonBody({ ...schema('ScheduleInput') }, { mondayMorning: { value: { weekday: 1, start: '08:00:00', durationSec: 14400 } } }) },
				responses: {
					'201': { description: 'The window.', content: jsonBody(schema('Schedule')) },
					'400': response('BadRequest'),
					...adminErrors,
					...notFound,
					'409': { description: 'It overlaps another window of the camera.', content: jsonBody(schema('Error')) }
				}
			}
		},
		'/api/cameras/{id}/schedules/{sid}': {
			parameters: [...camera, { name: 'sid', in: 'path', required: true, schema: { type: 'integer' } }],
			patch: {
				tags: ['recordings'],
				operationId: 'updateSchedule',
				summary: 'Change a weekly recording window (admin)',
				security: signedIn,
				requestBody: { required: true, content: jsonBody(schema('ScheduleInput')) },
				responses: {
					'200': { description: 'The window.', content: jsonBody(schema('Schedule')) },
					'400': response('BadRequest'),
					...adminErrors,
					'404': { description: 'No such camera or window.', content: jsonBody(schema('Error')) },
					'409': { description: 'It would overlap another window of the camera.', content: jsonBody(schema('Error')) }
				}
			},
			delete: {
				tags: ['recordings'],
				operationId: 'deleteSchedule',
				summary: 'Remove a weekly recording window (admin)',
				security: signedIn,
				responses: { '204': { description: 'Removed.' }, ...adminErrors, '404': { description: 'No such camera or window.', content: jsonBody(schema('Error')) } }
			}
		},
		'/api/cameras/{id}/snapshot.jpg': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'getSnapshot',
				summary: 'The camera\'s picture now (JPEG, from the cached keyframe)',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: {
					'200': { description: 'JPEG.', content: media('image/jpeg') },
					'400': response('BadRequest'),
					...userErrors,
					...notFound,
					'503': { description: 'The camera is disabled, offline or starting.', content: jsonBody(schema('Error')) }
				}
			}
		},
		'/api/cameras/{id}/snapshots': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'listSnapshots',
				summary: 'Stored periodic snapshots in a time range',
				security: signedIn,
				parameters: range('search'),
				responses: { '200': { description: 'Oldest first.', content: jsonBody({ type: 'array', items: schema('Snapshot') }) }, '400': response('BadRequest'), ...userErrors, ...notFound }
			}
		},
		'/api/cameras/{id}/snapshots/{sid}': {
			parameters: [...camera, { name: 'sid', in: 'path', required: true, schema: { type: 'integer' } }],
			get: {
				tags: ['recordings'],
				operationId: 'getStoredSnapshot',
				summary: 'One stored snapshot (JPEG)',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: { ...file('JPEG.', 'image/jpeg'), ...userErrors, '404': { description: 'No such camera or snapshot.', content: jsonBody(schema('Error')) }, '416': { description: 'Unsatisfiable range.' } }
			}
		},
		'/api/cameras/{id}/thumbnail.jpg': {
			parameters: camera,
			get: {
				tags: ['recordings'],
				operationId: 'getThumbnail',
				summary: 'The camera\'s thumbnail: its newest stored snapshot',
				security: signedIn,
				parameters: [parameter('Token')],
				responses: { ...file('JPEG.', 'image/jpeg'), ...userErrors, '404': { description: 'No such camera, or no snapshot yet.', content: jsonBody(schema('Error')) }, '416': { description: 'Unsatisfiable range.' } }
			}
		}
	};
}
