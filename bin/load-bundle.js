'use strict';
// Runs dist/<name>.cjs as require() would, but compiled with a V8 code cache
// (dist/<name>.cjs.cache): compiling the bundle is most of what berth costs at
// start on top of Node itself (~8 ms of berth's ~60 ms; the cache takes it to
// about 1 ms). scripts/build.mjs makes the cache after each build by running
// each launcher once; when it is missing or does not fit (another Node, flags
// or build), the bundle compiles as usual and a fresh cache is written when
// the process exits, if dist/ is writable. A cache is only ever an
// optimisation: whatever goes wrong with one, the bundle runs as before.
//
// V8 checks a cache against its own version, its flags and the length of the
// source only, so the cache begins with a line naming the bundle's size and
// mtime and Node's version: a rebuilt bundle never runs a stale cache.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

// The wrapper require() puts around a CommonJS file, on a line of its own so
// that lineOffset -1 keeps the bundle's line and column numbers in stack traces.
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {\n';

module.exports = function loadBundle(name) {
  const file = path.join(__dirname, '..', 'dist', `${name}.cjs`);
  let fn;
  try {
    // Node maps stack traces through the bundle's source map for require()d
    // files only: keep that when it was asked for.
    if (!process.sourceMapsEnabled) fn = compile(file);
  } catch {
    fn = undefined; // a vm API that differs, an unreadable bundle: require() says what is wrong
  }
  if (fn === undefined) return require(file);
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
};

function compile(file) {
  const fd = fs.openSync(file, 'r');
  let source;
  let stat;
  try {
    stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  let header = `berth code cache: ${process.version} ${process.arch} ${stat.size} ${stat.mtimeMs}`;
  header += `${' '.repeat(7 - (header.length % 8))}\n`; // the cache data starts 8-byte aligned
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    const buf = fs.readFileSync(cacheFile);
    if (buf.length > header.length && buf.toString('latin1', 0, header.length) === header) cachedData = buf.subarray(header.length);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(`${WRAPPER}${source}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => save(script, cacheFile, header));
  return script.runInThisContext();
}

// At exit, so that the cache also holds the functions compiled while the
// process ran (commander's, the command's), not only the top level.
function save(script, cacheFile, header) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  let fd;
  try {
    fd = fs.openSync(tmp, 'w', 0o644); // first: a dist/ we may not write costs nothing more
    const data = script.createCachedData();
    fs.writeSync(fd, header, null, 'latin1');
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, cacheFile);
  } catch {
    try {
      if (fd !== undefined) fs.closeSync(fd);
      fs.unlinkSync(tmp);
    } catch {
      // nothing was made
    }
  }
}
