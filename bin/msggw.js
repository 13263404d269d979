#!/usr/bin/env node
// `npx msggw`, and the process tests start: registers the TypeScript loader, then runs the gateway
// from its sources, so what runs is always what is checked out. Production runs the compiled build
// instead (`npm start` builds dist/ first; the image runs dist/cmd/gateway/main.js): ~45 MB less
// memory and ~15 % less CPU per message than the sources through tsx (docs/decisions.md).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const main = new URL('../cmd/gateway/main.ts', import.meta.url);
await import(fileURLToPath(main));
