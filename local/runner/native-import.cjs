// Node's own dynamic import, loaded with require() so that no test-runner transform rewrites it: the bundled
// handlers are imported natively, as the Lambda runtime would.
module.exports = function nativeImport(specifier) {
  return import(specifier);
};
