// The framework-independent entry: options, errors, the policy and the ping protocol, for
// adapters and for apps that need them. Framework adapters live in their own subpaths.

export { type Clock, systemClock } from './core/clock.js';
export {
  SessionSecurityConfigError,
  SessionSecurityError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  type SignInRefusal,
  SignInRefusedError,
} from './core/errors.js';
export type {
  EventBase,
  ExpiredEvent,
  ExtendedEvent,
  MetricsRecorder,
  RefusedEvent,
  RefusedReason,
  SessionSecurityEvent,
  SessionSecurityEventType,
  SignedInEvent,
  SignedOutEvent,
  SignInLostEvent,
  SignInRefusedEvent,
  StoreFailedEvent,
} from './core/events.js';
export { safeNextPath } from './core/next.js';
export {
  DEFAULT_EXPIRE_AFTER_SECONDS,
  DEFAULT_PREFIX,
  defaultWarnAfter,
  type EventData,
  type Logger,
  type PassiveRule,
  type PerUser,
  type ResolvedOptions,
  resolveOptions,
  type SessionSecurityOptions,
} from './core/options.js';
export {
  type ActiveStatus,
  type Decision,
  decide,
  type ExpiryReason,
  type SecurityState,
  type SignInFacts,
  statusOf,
  type Timeouts,
} from './core/policy.js';
export {
  describePolicy,
  type PolicyDescription,
  type PolicyRow,
} from './core/policy-description.js';
export { PRESETS, type Preset, type PresetLimit, type PresetRule } from './core/presets.js';
export { type Answer, MAX_BODY_BYTES, parsePingBody } from './core/protocol.js';
export type { SignInManagement, SignInSummary } from './core/sign-ins.js';
export type {
  ActivityStore,
  RevokeTarget,
  SessionAccess,
  SignInRecord,
  SweptSignIn,
  Touch,
} from './core/store.js';
export type { EndReason } from './core/tombstones.js';
export { describeUserAgent } from './core/user-agent.js';
