// The only globals the core may use (tsconfig.core.json compiles src/core without DOM or Node
// types): URL, Web Crypto's getRandomValues, btoa and console, which Node, browsers, Bun, Deno
// and Workers all have.

declare class URLSearchParams {
  set(name: string, value: string): void;
  get(name: string): string | null;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly origin: string;
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly href: string;
  readonly searchParams: URLSearchParams;
}

declare function btoa(data: string): string;

declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

declare const console: {
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
