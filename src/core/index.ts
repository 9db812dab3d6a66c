/** The parsing core's public surface: used by the CLI, the extension host, the helper and the webview. */
export * from './types';
export { Analyzer, analyzeInputs, InputError, isDefaultInteresting, underPrefix } from './analyzer';
export type { AnalysisResult, AnalyzeOptions, AnalyzerOptions, Boundary, EventFilter, SplitPart } from './analyzer';
export { EventAssembler } from './assembler';
export type { RawEvent } from './assembler';
export { LineSplitter, readLines, expandInputs, rotatedOrder, describeFsError } from './lines';
export type { Line } from './lines';
export { parseRecord, splitFields, eventId } from './record';
export { takeSnapshot, readSnapshot, formatDev } from './snapshot';
export { tokenizeLine } from './tokenize';
export type { Token, TokenKind } from './tokenize';
export { visible } from './display';
