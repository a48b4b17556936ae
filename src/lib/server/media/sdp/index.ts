export * from './sdp';
export * from './bridge';
