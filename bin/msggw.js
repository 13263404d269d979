#!/usr/bin/env node
// `npx msggw`, and the process tests start: registers the TypeScript loader, then runs the gateway
// from its sources, so what runs is always what is checked out. Production runs the compiled build
// instead (`npm start` builds dist/ first; the image runs dist/cmd/gateway/main.js): ~45 MB less
// memory and ~15 % less CPU per message than the sources through tsx (docs/decisions.md).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

// `msggw import ...` takes over a gomsggw database (cmd/import); anything else runs the gateway.
const COMMANDS = new Map([['import', '../cmd/import/main.ts']]);

register();
const command = COMMANDS.get(process.argv[2]);
if (command) process.argv.splice(2, 1);
const main = new URL(command ?? '../cmd/gateway/main.ts', import.meta.url);
await import(fileURLToPath(main));
