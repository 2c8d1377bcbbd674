// Starts the built app (adapter-node's server, `build/`) on 127.0.0.1 unless HOST says
// otherwise (adapter-node's own default is every interface), on PORT (default 3000). Its origin
// is said in ORIGIN: without it adapter-node takes every request for https, and SvelteKit then
// refuses the forms of the app's own http pages as cross-site.
process.env.HOST ??= '127.0.0.1';
process.env.PORT ??= '3000';
process.env.ORIGIN ??= `http://${process.env.HOST}:${process.env.PORT}`;
await import('./build/index.js');
