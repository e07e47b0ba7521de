'use strict';
// How every driver script here ends: its result as one JSON line on stdout and exit 0, or the
// error's stack on stderr and exit 1 (explicit exits: a worker or timer must not keep it alive).
module.exports = function runDriver(main) {
  main().then(
    (out) => {
      process.stdout.write(JSON.stringify(out) + '\n');
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    },
  );
};
