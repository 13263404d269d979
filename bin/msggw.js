#!/usr/bin/env node
// Entry point for `npx msggw` / `npm start`: registers the TypeScript loader, then runs the gateway.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const main = new URL('../cmd/gateway/main.ts', import.meta.url);
await import(fileURLToPath(main));
