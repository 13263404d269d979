/**
 * `msggw <command>`: the admin CLI (docs/cli.md). bin/msggw.js runs the gateway itself when no
 * command is given. The exit code is set, not forced, so output is flushed and `msggw serve`
 * keeps its node running.
 */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
