export {
  REDRIVE_COUNT_HEADER,
  type RedriveFilter,
  type RedrivePlan,
  redrivePlan,
  type SkipReason,
} from './redrive/dead-letter-redrive.js';
export { type RedriveOptions, type RedriveSummary, redriveDeadLetters } from './redrive/redrive.js';
export {
  DestinationWriteError,
  FunctionError,
  InvalidBatchResponseError,
  InvocationTimeoutError,
  RetriesExhaustedError,
  SchemaRegistryIntegrationError,
} from './runner/errors.js';
export {
  type FailureFilesOptions,
  type FailureFilesSummary,
  replayFailureFiles,
} from './runner/failure-files.js';
export { MAX_PAYLOAD_BYTES, runEventSource } from './runner/run-event-source.js';
export { TemplateError } from './runner/template/template-error.js';
export {
  loadTemplateEsm,
  type TemplateEsm,
  type TemplateEsmOptions,
  type TemplateEsmSelection,
  templateEsm,
} from './runner/template/template-esm.js';
export type {
  BatchReport,
  BatchTrigger,
  EsmRegistryClient,
  EsmSchemaRegistryOptions,
  EventSourceOptions,
  EventSourceRunner,
  LocalHandler,
  RecordRef,
  RetriesExhaustedAction,
  RieOptions,
  RunnerStats,
  StartingPosition,
} from './runner/types.js';
