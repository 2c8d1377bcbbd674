// The root entry: what an app uses whatever its framework (options and their check, errors, event
// types, presets, the policy's description, safeNextPath). Adapters live in their own subpaths;
// what an adapter author needs is in session-security/adapter; the rest is internal.

export { type Clock, systemClock } from './core/clock.js';
export {
  LeaseRefusedError,
  RecentSignInRequiredError,
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
  LeaseEndedEvent,
  LeaseHeldEvent,
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
  TraceEvent,
  TraceWhy,
} from './core/events.js';
export { safeNextPath } from './core/next.js';
export {
  type ClearSiteDataType,
  DEFAULT_EXPIRE_AFTER_SECONDS,
  DEFAULT_PREFIX,
  defaultWarnAfter,
  type EventData,
  type LockCredentials,
  type LockOptions,
  type Logger,
  type PassiveRule,
  type PerUser,
  type PerUserTimeouts,
  type ResolvedDrafts,
  type ResolvedOptions,
  resolveOptions,
  type SessionSecurityOptions,
} from './core/options.js';
export type { ActiveStatus, ExpiryReason } from './core/policy.js';
export {
  describePolicy,
  type PolicyDescription,
  type PolicyRow,
} from './core/policy-description.js';
export { PRESETS, type Preset, type PresetLimit, type PresetRule } from './core/presets.js';
export type { PassiveWhy } from './core/request.js';
export type { SignInManagement, SignInSummary } from './core/sign-ins.js';
export type { ActivityStore } from './core/store.js';
export type { EndReason } from './core/tombstones.js';
export { describeEvent } from './core/trace.js';
