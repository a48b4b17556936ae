export * from './nal';
export * from './avcc';
export * from './hvcc';
