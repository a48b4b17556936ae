// RTSP 1.0 protocol pieces: messages, transports, authentication, SDP, RTCP,
// Request-URIs, RTP receiving. Pure code: nothing here knows the app.
export * from './message';
export * from './transport';
export * from './auth';
export * from './sdp';
export * from './rtcp';
export * from './url';
export * from './receiver';
export * from './parameter-sets';
