// Types of scripts/regex-scan.mjs, for the test that runs the same scan.

/** A regular expression found in the sources; `source` is undefined for a non-literal pattern. */
export interface FoundRegex {
  file: string;
  line: number;
  source: string | undefined;
  flags: string | undefined;
  /** The call's code, for a RegExp built from a non-literal pattern. */
  code?: string;
  /** Whether a DYNAMIC_MARK comment vouches for a non-literal pattern. */
  excused?: boolean;
}

/** recheck's verdict on one FoundRegex. */
export interface CheckedRegex extends FoundRegex {
  status: 'safe' | 'vulnerable' | 'unknown' | 'dynamic';
  complexity: string;
  ok: boolean;
}

export const SOURCE_DIR: string;
export const DYNAMIC_MARK: string;
export function findRegexes(dir?: string): FoundRegex[];
export function checkRegexes(found: readonly FoundRegex[]): Promise<CheckedRegex[]>;
export function describeResult(result: CheckedRegex): string;
