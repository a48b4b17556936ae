// RTMP, server side, for publishing: handshake, chunk streams, messages, the
// publish session and a TCP server for it. Pure protocol code: no app imports.
export { HANDSHAKE_SIZE, HandshakeError, serverHandshake, clientHello, verifyServerHandshake, findClientDigest } from './handshake';
export { ChunkReader, ChunkWriter, writeMessage, RtmpError, MSG, DEFAULT_CHUNK_SIZE, type RtmpMessage, type ChunkReaderOptions } from './chunk';
export * from './messages';
export { RtmpSession, RtmpRefusal, type PublishRequest, type RtmpPublishHandler, type RtmpIo, type RtmpSessionOptions } from './session';
export { serveRtmpConnection, createRtmpServer, type RtmpServeOptions } from './serve';
