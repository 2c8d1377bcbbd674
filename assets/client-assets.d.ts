// The browser client as the server serves it, made by scripts/build-client.mjs (`npm run build`)
// into assets/client-assets.js. This declaration is kept in git so that the sources type-check
// before a build.

/** One of the client's files: its text, its content type, and a hash of its text (its ETag). */
export interface EmbeddedAsset {
  readonly body: string;
  readonly contentType: string;
  /** The first 16 base64url characters of the SHA-256 of `body`. */
  readonly hash: string;
}

declare const assets: {
  readonly '/client.js': EmbeddedAsset;
  readonly '/client.css': EmbeddedAsset;
  readonly '/drafts.js': EmbeddedAsset;
  readonly '/dialog.js': EmbeddedAsset;
  readonly '/lock.js': EmbeddedAsset;
};
export default assets;
