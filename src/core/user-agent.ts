// A short browser and OS summary of a User-Agent header, for a list of a user's active sessions.
// Pure: no Node, no DOM.

/** How much of the header is read: a real User-Agent names its browser and OS well before this. */
const MAX_SCAN = 512;
/** A major version has at most this many digits; anything longer is not shown. */
const MAX_VERSION_DIGITS = 4;
const UNKNOWN = 'Unknown browser';

type Os = 'Windows' | 'macOS' | 'iPhone' | 'iPad' | 'Android' | 'ChromeOS' | 'Linux';

/**
 * Platform tokens, in the order they are tried: iOS says "like Mac OS X", Android and ChromeOS
 * say "Linux".
 */
const OS_TOKENS: readonly (readonly [token: string, os: Os])[] = [
  ['iPhone', 'iPhone'],
  ['iPad', 'iPad'],
  ['Windows', 'Windows'],
  ['Android', 'Android'],
  ['CrOS', 'ChromeOS'],
  ['Macintosh', 'macOS'],
  ['Mac OS X', 'macOS'],
  ['Linux', 'Linux'],
];

/**
 * Browsers that name themselves in a product token, in the order they are tried: each one also
 * carries the tokens of those after it (Edge, Opera and Samsung Internet say "Chrome/", every
 * Chromium says "Safari/"), so the most specific comes first.
 */
const BROWSER_TOKENS: readonly (readonly [name: string, tokens: readonly string[]])[] = [
  ['Edge', ['Edg/', 'EdgA/', 'EdgiOS/', 'Edge/']],
  ['Opera', ['OPR/']],
  ['Samsung Internet', ['SamsungBrowser/']],
  ['Firefox', ['Firefox/', 'FxiOS/']],
  ['Headless Chrome', ['HeadlessChrome/']],
  ['Chrome', ['Chrome/', 'CriOS/']],
];

/** Command-line tools and HTTP libraries: they put their own name first, and name no OS. */
const TOOL_PREFIXES: readonly (readonly [prefix: string, name: string, versioned: boolean])[] = [
  ['curl/', 'curl', true],
  ['Wget/', 'Wget', true],
  ['python-requests/', 'Python Requests', true],
  // Go's default client gives the HTTP version after the slash, not its own.
  ['Go-http-client/', 'Go HTTP client', false],
  ['node/', 'Node.js', true],
];
/** What Node's built-in fetch (undici) sends, with no version. */
const NODE_FETCH = new Set(['node', 'undici']);

/**
 * A short, human-readable summary of a User-Agent header: the browser, its major version, and
 * the OS, for a "your active sessions" list. Only the first 512 characters are read, in time
 * linear in them; the result is at most 64 characters, made only of fixed names and at most 4
 * digits of version, so nothing the header says is echoed. Never throws.
 *
 * A header it does not recognise gives "Unknown browser" ("Unknown browser on Android" when the
 * OS is known). An iPad asking for desktop sites sends a Mac User-Agent and is shown as macOS.
 *
 * @example
 * ```ts
 * describeUserAgent(req.headers['user-agent']);
 * // 'Chrome 131 on Windows', 'Safari 17 on iPhone', 'Firefox 133 on Linux', 'curl 8'
 * describeUserAgent(undefined); // 'Unknown browser'
 * ```
 */
export function describeUserAgent(userAgent: string | undefined): string {
  if (typeof userAgent !== 'string') return UNKNOWN;
  const head = userAgent.slice(0, MAX_SCAN);

  for (const [prefix, name, versioned] of TOOL_PREFIXES) {
    if (head.startsWith(prefix)) return versioned ? withVersion(name, head, prefix.length) : name;
  }
  if (NODE_FETCH.has(head)) return 'Node.js';

  const os = findOs(head);
  const browser = findBrowser(head, os);
  if (browser === undefined) return os === undefined ? UNKNOWN : `${UNKNOWN} on ${os}`;
  return os === undefined ? browser : `${browser} on ${os}`;
}

function findOs(head: string): Os | undefined {
  for (const [token, os] of OS_TOKENS) {
    if (findToken(head, token) >= 0) return os;
  }
  return undefined;
}

function findBrowser(head: string, os: Os | undefined): string | undefined {
  for (const [name, tokens] of BROWSER_TOKENS) {
    for (const token of tokens) {
      const at = findToken(head, token);
      if (at >= 0) return withVersion(name, head, at + token.length);
    }
  }
  // Safari gives its own version in "Version/"; "Safari/" carries the WebKit build. The Android
  // stock browser says the same, and is not Safari.
  const version = findToken(head, 'Version/');
  if (version >= 0 && findToken(head, 'Safari/') >= 0 && os !== 'Android') {
    return withVersion('Safari', head, version + 'Version/'.length);
  }
  // An app's web view on Apple systems says "AppleWebKit/" and no version: WebKit is Safari's
  // engine, and on iOS every browser's.
  const apple = os === 'iPhone' || os === 'iPad' || os === 'macOS';
  if (apple && (findToken(head, 'AppleWebKit/') >= 0 || findToken(head, 'Safari/') >= 0)) {
    return 'Safari';
  }
  return undefined;
}

/**
 * Where `token` starts in `head` as a word of its own (at the start, or after a character that
 * is not a letter or digit, so "Chrome/" is not found in "HeadlessChrome/"), or -1.
 */
function findToken(head: string, token: string): number {
  let at = head.indexOf(token);
  while (at > 0 && isAlphanumeric(head.charCodeAt(at - 1))) {
    at = head.indexOf(token, at + 1);
  }
  return at;
}

/** `name`, followed by the major version read at `from` in `head` when there is a plain one. */
function withVersion(name: string, head: string, from: number): string {
  let end = from;
  while (end < head.length && end - from <= MAX_VERSION_DIGITS && isDigit(head.charCodeAt(end))) {
    end++;
  }
  const digits = end - from;
  if (digits === 0 || digits > MAX_VERSION_DIGITS) return name;
  // Digits only, at most 4 of them: written back as a number, so "0131" reads "131".
  return `${name} ${Number(head.slice(from, end))}`;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isAlphanumeric(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
