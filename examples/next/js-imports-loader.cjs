// A Turbopack loader for the repository's TypeScript sources: drops the `.js` of relative imports
// (`./foo.js` names `./foo.ts`), which Turbopack does not map by itself (next.js#82945).
module.exports = function jsImportsLoader(source) {
  return source.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\.js\2/g,
    '$1$2$3$2',
  );
};
