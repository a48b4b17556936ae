// RTMP protocol control, user control and command messages (RTMP spec §5.4,
// §6.2, §7.2). Pure: no app imports.
import { AmfError, decodeAmf0, encodeAmf0, type AmfValue } from '../flv/amf0';
import { MSG, RtmpError, type RtmpMessage } from './chunk';

/** Chunk stream ids by convention: 2 protocol control, 3 commands, 5 stream status. */
export const CSID = { CONTROL: 2, COMMAND: 3, STATUS: 5 } as const;

export const USER_CONTROL = {
	STREAM_BEGIN: 0,
	STREAM_EOF: 1,
	STREAM_DRY: 2,
	SET_BUFFER_LENGTH: 3,
	STREAM_IS_RECORDED: 4,
	PING_REQUEST: 6,
	PING_RESPONSE: 7
} as const;

const u32 = (v: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(v >>> 0);
	return b;
};

const control = (type: number, payload: Buffer): RtmpMessage => ({ csid: CSID.CONTROL, type, streamId: 0, timestamp: 0, payload });

export const setChunkSize = (size: number) => control(MSG.SET_CHUNK_SIZE, u32(size & 0x7fffffff));
export const acknowledgement = (sequence: number) => control(MSG.ACK, u32(sequence));
export const windowAckSize = (size: number) => control(MSG.WINDOW_ACK_SIZE, u32(size));
/** limit type 2 = dynamic. */
export const setPeerBandwidth = (size: number, limitType = 2) => control(MSG.SET_PEER_BANDWIDTH, Buffer.concat([u32(size), Buffer.from([limitType])]));

export function userControl(event: number, ...values: number[]): RtmpMessage {
	const b = Buffer.alloc(2 + 4 * values.length);
	b.writeUInt16BE(event);
	values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 2 + 4 * i));
	return control(MSG.USER_CONTROL, b);
}

export interface Command {
	name: string;
	transactionId: number;
	/** The command object (often null) and the arguments after it. */
	args: AmfValue[];
}

/** An AMF0 command message (type 20), or an AMF3 one (type 17) whose body is AMF0 after its format byte. */
export function parseCommand(msg: RtmpMessage): Command {
	const values = decodeBody(msg);
	const [name, transactionId, ...args] = values;
	if (typeof name !== 'string') throw new RtmpError('command message without a command name');
	return { name, transactionId: typeof transactionId === 'number' && Number.isFinite(transactionId) ? transactionId : 0, args };
}

/** A data message (type 18, or 15 with its format byte): e.g. ["@setDataFrame", "onMetaData", {…}]. */
export function parseData(msg: RtmpMessage): AmfValue[] {
	return decodeBody(msg);
}

function decodeBody(msg: RtmpMessage): AmfValue[] {
	let body = msg.payload;
	if (msg.type === MSG.COMMAND_AMF3 || msg.type === MSG.DATA_AMF3) {
		// Format byte 0: the values that follow are AMF0.
		if (body.length === 0 || body[0] !== 0) throw new RtmpError('AMF3-encoded messages are not supported');
		body = body.subarray(1);
	}
	try {
		return decodeAmf0(body, { maxDepth: 16, maxValues: 10_000 });
	} catch (e) {
		if (e instanceof AmfError) throw new RtmpError(e.message);
		throw e;
	}
}

export function command(streamId: number, name: string, transactionId: number, ...args: AmfValue[]): RtmpMessage {
	return { csid: streamId === 0 ? CSID.COMMAND : CSID.STATUS, type: MSG.COMMAND_AMF0, streamId, timestamp: 0, payload: encodeAmf0(name, transactionId, ...args) };
}

export const status = (level: 'status' | 'error' | 'warning', code: string, description: string, extra: Record<string, AmfValue> = {}) => ({
	level,
	code,
	description,
	...extra
});

/** onStatus on a message stream (NetStream events). */
export const onStatus = (streamId: number, info: ReturnType<typeof status>) => command(streamId, 'onStatus', 0, null, info);
